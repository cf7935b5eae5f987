"""Keep credentials out of error texts, log lines and stored records.

The secret of a webhook or a worker endpoint often *is* part of its URL: the
path of a Slack incoming webhook (``/services/T.../B.../...``), the query
string of a push endpoint (``?token=...``). Any text about to be printed,
logged or stored goes through :func:`redact` first:

* every ``http(s)://`` URL keeps its scheme, host and port only
  (``https://hooks.slack.com/<redacted>``); user info is dropped;
* a bare path or query that a library quotes on its own (``... with url:
  /services/T0/B0/xyz?token=abc``) is replaced by ``<redacted>``;
* any remaining query string (``?token=...``) loses its value;
* ``secrets`` (exact values the caller knows, e.g. a shared token) are
  replaced wherever they appear.

>>> redact("POST https://hooks.slack.com/services/T0/B0/xyz failed")
'POST https://hooks.slack.com/<redacted> failed'
>>> redact_url("http://127.0.0.1:8080/predict?token=abc")
'http://127.0.0.1:8080/<redacted>'
"""

from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import urlsplit

MARK = "<redacted>"

_URL = re.compile(r"\b(?P<scheme>https?)://(?P<rest>[^\s'\"<>()\[\]{},]+)", re.IGNORECASE)
# what urllib3/requests quote after "url:" (path and query, no host)
_QUOTED_PATH = re.compile(r"(\burl:\s*)(/[^\s'\"()]*)", re.IGNORECASE)
_QUERY = re.compile(r"\?[^\s'\"<>()\[\]{}]+")


def redact_url(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, with ``/<redacted>`` when it had a
    path, query or fragment. A text that is not a URL is redacted as a whole."""
    text = str(url)
    try:
        parts = urlsplit(text.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return MARK
    if parts.scheme.lower() not in ("http", "https") or not host:
        return MARK if text.strip() else text
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None:
        netloc = f"{netloc}:{port}"
    base = f"{parts.scheme.lower()}://{netloc}"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return f"{base}/{MARK}"
    return base


def redact(text: object, secrets: Iterable[str] = ()) -> str:
    """``text`` with URLs, quoted paths, query strings and ``secrets`` removed."""
    out = str(text)
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        out = out.replace(secret, MARK)
    out = _URL.sub(lambda m: redact_url(m.group(0)), out)
    out = _QUOTED_PATH.sub(lambda m: m.group(1) + MARK, out)
    out = _QUERY.sub("?" + MARK, out)
    return out


def url_secrets(url: str | None) -> list[str]:
    """The parts of ``url`` that may be credentials (path, query, each query
    value, user info), for ``redact(text, secrets=...)`` where a library
    quotes them in a form the patterns above do not catch."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    found = [url]
    if parts.path not in ("", "/"):
        found.append(parts.path)
    if parts.query:
        found.append(parts.query)
        found.extend(value for _, _, value in
                     (item.partition("=") for item in parts.query.split("&")) if value)
    if parts.username:
        found.append(parts.username)
    if parts.password:
        found.append(parts.password)
    return found
