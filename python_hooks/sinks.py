"""Where prediction requests go: a local JSONL outbox, a worker URL, Pub/Sub.

A sink's ``publish(message)`` returns normally on success and raises on
failure. :func:`publish_with_retry` adds the retry policy (3 attempts, waits
of 1 s then 2 s; ``sleep`` injectable) and turns the outcome into a
:class:`PublishResult`, so the dispatcher records every request as
``published`` or ``failed`` - never loses one silently.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence

DEFAULT_DELAYS: tuple[float, ...] = (1.0, 2.0)
DEFAULT_OUTBOX = "warehouse/prediction_requests.jsonl"


class Sink(Protocol):
    name: str

    def publish(self, message: Mapping[str, Any]) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class PublishResult:
    ok: bool
    attempts: int
    error: str | None = None


def publish_with_retry(
    sink: Sink,
    message: Mapping[str, Any],
    *,
    delays: Sequence[float] = DEFAULT_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
) -> PublishResult:
    """Try ``len(delays) + 1`` times, sleeping ``delays[i]`` between tries."""
    error: str | None = None
    attempts = len(delays) + 1
    for attempt in range(1, attempts + 1):
        try:
            sink.publish(message)
            return PublishResult(True, attempt)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded
            error = f"{type(exc).__name__}: {exc}"[:500]
            if attempt < attempts:
                sleep(delays[attempt - 1])
    return PublishResult(False, attempts, error)


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
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self._handle = open(self.path, "a", encoding="utf-8")
            self._handle.write(json.dumps(message, sort_keys=True) + "\n")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


@dataclass
class HttpSink:
    """POST each request as JSON to the worker (``<url>``, e.g. .../predict)."""

    url: str
    timeout: float = 30.0
    name: str = "http"
    _session: Any = field(default=None, repr=False)

    def publish(self, message: Mapping[str, Any]) -> None:
        import requests

        if self._session is None:
            self._session = requests.Session()
        response = self._session.post(self.url, json=dict(message), timeout=self.timeout)
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")

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
    timeout: float = 30.0
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
            from google.cloud import pubsub_v1

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
        future.result(timeout=self.timeout)

    def close(self) -> None:
        if self.publisher is not None:
            self.publisher.stop()
            self.publisher = None


def worker_endpoint(url: str) -> str:
    """A bare worker address gets the /predict path."""
    from urllib.parse import urlparse

    return url.rstrip("/") + "/predict" if urlparse(url).path in ("", "/") else url


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
        return HttpSink(url=worker_endpoint(url))
    if kind == "pubsub":
        return PubSubSink.from_env()
    raise ValueError(f"unknown sink {kind!r}")
