"""Where prediction requests go: a local JSONL outbox, a worker URL, Pub/Sub.

A sink's ``publish(message)`` returns normally on success and raises on
failure (:class:`PermanentPublishError` when trying again cannot help, e.g. the
worker refused the request with a 4xx). :func:`publish_with_retry` adds the
retry policy (tenacity: 3 attempts, waits of 1 s then 2 s; ``sleep``
injectable; never past a deadline) and turns the outcome into a
:class:`PublishResult` whose error text is readable and redacted (no URL path
or query string, no token), so the dispatcher records every request as
``published`` or ``failed`` - never loses one silently and never stores a
credential.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence
from urllib.parse import urlsplit

from tenacity import RetryCallState, Retrying, retry_if_exception

from python_hooks.redact import redact, redact_url, url_secrets

DEFAULT_DELAYS: tuple[float, ...] = (1.0, 2.0)
DEFAULT_OUTBOX = "warehouse/prediction_requests.jsonl"
HTTP_CONNECT_TIMEOUT_S = 5.0
HTTP_READ_TIMEOUT_S = 15.0
PUBSUB_TIMEOUT_S = 30.0
ERROR_MAX_CHARS = 500


class Sink(Protocol):
    name: str

    def publish(self, message: Mapping[str, Any]) -> None: ...

    def close(self) -> None: ...


class PermanentPublishError(RuntimeError):
    """A publish that trying again cannot fix (not retried)."""


@dataclass(frozen=True)
class PublishResult:
    ok: bool
    attempts: int
    error: str | None = None


def describe_error(exc: BaseException, secrets: Sequence[str] = ()) -> str:
    """``Type: message`` for a ledger or a log line: never empty after the
    colon, redacted, at most ERROR_MAX_CHARS characters."""
    message = str(exc).strip()
    if not message:
        if isinstance(exc, TimeoutError):
            message = "timed out (no answer)"
        else:
            message = repr(exc.args) if exc.args else "(no message)"
    return redact(f"{type(exc).__name__}: {message}", secrets)[:ERROR_MAX_CHARS]


def _sink_secrets(sink: Any) -> list[str]:
    secrets = getattr(sink, "secrets", None)
    return list(secrets()) if callable(secrets) else []


def publish_with_retry(
    sink: Sink,
    message: Mapping[str, Any],
    *,
    delays: Sequence[float] = DEFAULT_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> PublishResult:
    """Try ``len(delays) + 1`` times, sleeping ``delays[i]`` between tries.

    A :class:`PermanentPublishError` is not retried; no retry starts (and no
    wait) past ``deadline`` (a ``clock()`` value)."""
    attempts = len(delays) + 1

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= attempts:
            return True
        wait = delays[state.attempt_number - 1]
        return deadline is not None and clock() + wait >= deadline

    retrying = Retrying(
        sleep=sleep,
        stop=stop,
        wait=lambda state: delays[min(state.attempt_number, len(delays)) - 1] if delays else 0,
        # only errors: a signal (BaseException) stops the run, it is not retried
        retry=retry_if_exception(
            lambda exc: isinstance(exc, Exception) and not isinstance(exc, PermanentPublishError)),
        reraise=True,
    )
    made = 0
    try:
        for attempt in retrying:
            with attempt:
                made = attempt.retry_state.attempt_number
                sink.publish(message)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded
        return PublishResult(False, made, describe_error(exc, _sink_secrets(sink)))
    return PublishResult(True, made)


def _private_append(path: str) -> Any:
    """Open ``path`` for appending; a new file is readable by its owner only."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)  # also a file an earlier version created
    return os.fdopen(fd, "a", encoding="utf-8")


@dataclass
class LocalSink:
    """No cloud: append each request as one JSON line to an outbox file."""

    path: str = DEFAULT_OUTBOX
    name: str = "local"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _handle: Any = field(default=None, repr=False)

    def publish(self, message: Mapping[str, Any]) -> None:
        with self._lock:
            if self._handle is None:
                self._handle = _private_append(self.path)
            self._handle.write(json.dumps(message, sort_keys=True) + "\n")
            self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def validate_worker_url(url: str) -> str:
    """The worker endpoint, or ValueError saying (redacted) what is wrong."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"--worker-url {redact_url(url)} is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--worker-url {redact_url(url)} must be http(s)://host[:port]/path")
    del port
    return worker_endpoint(url.strip())


@dataclass
class HttpSink:
    """POST each request as JSON to the worker (``<url>``, e.g. .../predict)."""

    url: str
    timeout: float = HTTP_READ_TIMEOUT_S
    connect_timeout: float = HTTP_CONNECT_TIMEOUT_S
    name: str = "http"
    _session: Any = field(default=None, repr=False)

    def secrets(self) -> list[str]:
        token = os.environ.get("NBA_WORKER_TOKEN")
        return url_secrets(self.url) + ([token] if token else [])

    def _headers(self) -> dict[str, str]:
        token = os.environ.get("NBA_WORKER_TOKEN")
        return {"X-NBA-Worker-Token": token} if token else {}

    def probe(self) -> None:
        """Can the worker's host and port be reached at all? (one TCP connect)"""
        parts = urlsplit(self.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            with socket.create_connection((parts.hostname, port), timeout=self.connect_timeout):
                pass
        except OSError as exc:
            raise ConnectionError(
                f"worker {redact_url(self.url)} is not reachable: {describe_error(exc)}") from None

    def publish(self, message: Mapping[str, Any]) -> None:
        import requests

        if self._session is None:
            self._session = requests.Session()
        response = self._session.post(self.url, json=dict(message), headers=self._headers(),
                                      timeout=(self.connect_timeout, self.timeout))
        if 200 <= response.status_code < 300:
            return
        text = redact(response.text[:200], self.secrets())
        error = f"HTTP {response.status_code} from {redact_url(self.url)}: {text}"
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            raise PermanentPublishError(error)
        raise RuntimeError(error)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


@dataclass
class PubSubSink:
    """Google Pub/Sub topic. Honours PUBSUB_EMULATOR_HOST like the client does.

    Message data is the JSON request; attributes carry the keys a subscriber
    filters on (game_date, player_lookup, batch_id, prediction_attempt).
    """

    project: str
    topic: str
    timeout: float = PUBSUB_TIMEOUT_S
    name: str = "pubsub"
    publisher: Any = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "PubSubSink":
        environ = os.environ if env is None else env
        project = environ.get("NBA_PUBSUB_PROJECT") or environ.get("NBA_BQ_PROJECT")
        topic = environ.get("NBA_PUBSUB_TOPIC", "prediction-requests")
        if not project:
            raise ValueError("set NBA_PUBSUB_PROJECT for the pubsub sink")
        return cls(project=project, topic=topic)

    def _publisher(self) -> Any:
        if self.publisher is None:
            # google-cloud-pubsub is the optional `pubsub` extra; without it
            # installed mypy sees the google.cloud namespace without pubsub_v1.
            from google.cloud import pubsub_v1  # type: ignore[attr-defined, unused-ignore]

            self.publisher = pubsub_v1.PublisherClient()
        return self.publisher

    def publish(self, message: Mapping[str, Any]) -> None:
        publisher = self._publisher()
        topic_path = publisher.topic_path(self.project, self.topic)
        attributes = {
            key: str(message[key])
            for key in ("game_date", "player_lookup", "batch_id", "prediction_attempt")
            if message.get(key) is not None
        }
        data = json.dumps(dict(message), sort_keys=True).encode("utf-8")
        future = publisher.publish(topic_path, data, timeout=self.timeout, **attributes)
        try:
            future.result(timeout=self.timeout)
        except (TimeoutError, futures.TimeoutError):
            future.cancel()
            raise TimeoutError(
                f"Pub/Sub did not confirm the publish to {topic_path} within {self.timeout:g} s"
                f"{' (emulator ' + os.environ['PUBSUB_EMULATOR_HOST'] + ')' if os.environ.get('PUBSUB_EMULATOR_HOST') else ''}"
            ) from None

    def close(self) -> None:
        if self.publisher is not None:
            self.publisher.stop()
            self.publisher = None


def worker_endpoint(url: str) -> str:
    """A bare worker address gets the /predict path."""
    parts = urlsplit(url)
    if parts.path in ("", "/"):
        return parts._replace(path="/predict").geturl()
    return url


def make_sink(
    kind: str,
    *,
    worker_url: str | None = None,
    outbox: str | None = None,
) -> Sink:
    if kind == "local":
        return LocalSink(path=outbox or DEFAULT_OUTBOX)
    if kind == "http":
        url = worker_url or os.environ.get("NBA_WORKER_URL")
        if not url:
            raise ValueError("--worker-url (or NBA_WORKER_URL) is required for --sink http")
        return HttpSink(url=validate_worker_url(url))
    if kind == "pubsub":
        return PubSubSink.from_env()
    raise ValueError(f"unknown sink {kind!r}")
