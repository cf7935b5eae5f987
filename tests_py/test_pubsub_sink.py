"""PubSubSink through the real google-cloud-pubsub client, on loopback: a fast unit test.

It runs a minimal gRPC Publisher service in-process with grpcio and the client
library's own proto-plus message types, and points the client at it with
PUBSUB_EMULATOR_HOST (the variable the client honours), so it can make publishes
fail on purpose. Everything from PubSubSink.publish down to the HTTP/2 wire is
the real library. The whole path through the gcloud SDK's own emulator, push
deliveries to a worker included, is tests_py/test_pubsub_e2e.py.
"""

from __future__ import annotations

import json
import threading
from concurrent import futures

import pytest

pytest.importorskip("google.cloud.pubsub_v1", reason="the [pubsub] extra is not installed")

import grpc  # noqa: E402 - after the skip
from google.pubsub_v1.types import pubsub  # noqa: E402

from python_hooks.sinks import PubSubSink, publish_with_retry


class FakePublisher:
    """Records PublishRequests; fails the first ``fail_first`` calls."""

    def __init__(self, fail_first: int = 0) -> None:
        self.requests: list[pubsub.PublishRequest] = []
        self.fail_first = fail_first
        self.calls = 0
        self.lock = threading.Lock()

    def publish(
        self, request: pubsub.PublishRequest, context: grpc.ServicerContext
    ) -> pubsub.PublishResponse:
        with self.lock:
            self.calls += 1
            if self.calls <= self.fail_first:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "rejected by the fake")
            self.requests.append(request)
            ids = [str(len(self.requests) * 100 + i) for i, _ in enumerate(request.messages)]
        return pubsub.PublishResponse(message_ids=ids)


def start_server(fake: FakePublisher) -> tuple[grpc.Server, int]:
    handler = grpc.method_handlers_generic_handler(
        "google.pubsub.v1.Publisher",
        {
            "Publish": grpc.unary_unary_rpc_method_handler(
                fake.publish,
                request_deserializer=pubsub.PublishRequest.deserialize,
                response_serializer=pubsub.PublishResponse.serialize,
            )
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


MESSAGE = {
    "player_lookup": "jaysontatum",
    "game_date": "2026-01-15",
    "batch_id": "batch_2026-01-15_1768482000",
    "prediction_attempt": "FIRST",
    "line_values": [25.5, 26.5, 27.5, 28.5, 29.5],
    "correlation_id": "c-1",
}


@pytest.fixture
def fake_emulator(monkeypatch):
    fake = FakePublisher()
    server, port = start_server(fake)
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"127.0.0.1:{port}")
    monkeypatch.setenv("NBA_PUBSUB_PROJECT", "nba-test")
    monkeypatch.setenv("NBA_PUBSUB_TOPIC", "prediction-requests")
    yield fake
    server.stop(grace=None)


def test_publish_reaches_the_topic(fake_emulator):
    sink = PubSubSink.from_env()
    try:
        result = publish_with_retry(sink, MESSAGE, sleep=lambda s: None)
    finally:
        sink.close()
    assert result.ok and result.attempts == 1
    (request,) = fake_emulator.requests
    assert request.topic == "projects/nba-test/topics/prediction-requests"
    (message,) = request.messages
    assert json.loads(message.data) == MESSAGE
    assert dict(message.attributes) == {
        "player_lookup": "jaysontatum",
        "game_date": "2026-01-15",
        "batch_id": "batch_2026-01-15_1768482000",
        "prediction_attempt": "FIRST",
    }


def test_rejected_publish_is_retried_then_succeeds(fake_emulator):
    fake_emulator.fail_first = 1  # a non-retryable status: the client gives up
    sleeps: list[float] = []
    sink = PubSubSink.from_env()
    try:
        result = publish_with_retry(sink, MESSAGE, sleep=sleeps.append)
    finally:
        sink.close()
    assert result.ok and result.attempts == 2
    assert sleeps == [1.0]
    assert len(fake_emulator.requests) == 1


def test_unpublishable_request_is_reported_failed(fake_emulator):
    fake_emulator.fail_first = 99
    sleeps: list[float] = []
    sink = PubSubSink.from_env()
    try:
        result = publish_with_retry(sink, MESSAGE, sleep=sleeps.append)
    finally:
        sink.close()
    assert not result.ok and result.attempts == 3
    assert sleeps == [1.0, 2.0]
    assert "rejected by the fake" in (result.error or "")
    assert fake_emulator.requests == []
