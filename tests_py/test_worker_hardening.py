"""The worker facing hostile or broken clients: validation, limits, push deliveries.

Each test is a measured failure of the earlier worker (see the assertions'
comments); the server runs on 127.0.0.1 in a thread, every client loop is
bounded in count and time.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import socket
import threading
import time

import duckdb
import pytest
import requests

from python_hooks import warehouse
from python_hooks.worker import Worker, handle_request, make_server
from pylayer_fixtures import feature_row, write_feature_store

DAY = dt.date(2026, 1, 15)


@pytest.fixture(autouse=True)
def fresh_cli_logging():
    """cli.main sets up a stderr handler once per process; pytest swaps
    stderr per test, so drop the handler after each test."""
    yield
    import logging

    root = logging.getLogger("nba_fs")
    for handler in list(root.handlers):
        if getattr(handler, "_nba_fs", False):
            root.removeHandler(handler)


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "nba.duckdb")
    write_feature_store(path, [feature_row("ready", DAY), feature_row("unready", DAY, is_quality_ready=False)])
    return path


def request(player: str = "ready", lines=(21.5, 22.5), **extra) -> dict:
    body = {
        "player_lookup": player,
        "game_date": DAY.isoformat(),
        "game_id": "20260115_BOS_NYK",
        "line_values": list(lines),
        "correlation_id": f"corr-{player}",
        "batch_id": "batch_2026-01-15_1",
        "prediction_attempt": "FIRST",
    }
    body.update(extra)
    return body


def rows(path: str, where: str = "true") -> list[tuple]:
    con = duckdb.connect(path, read_only=True)
    try:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_name = 'player_prop_predictions'"
        ).fetchone()[0]
        if not exists:
            return []
        return con.execute(
            "select player_lookup, line, is_active, is_actionable, filter_reason"
            f" from nba_predictions.player_prop_predictions where {where} order by 1, 2"
        ).fetchall()
    finally:
        con.close()


class Served:
    def __init__(self, db: str, **kwargs) -> None:
        self.db = db
        def open_writer():
            return warehouse.DuckDBWarehouse(db, read_only=False)

        try:
            self.worker = Worker(open_writer, db_path=db)
        except TypeError:  # the earlier Worker (to show these tests failing on it)
            self.worker = Worker(open_writer)
        self.server = make_server(self.worker, "127.0.0.1", 0, quiet=True, **kwargs)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.port = self.server.server_port
        self.base = f"http://127.0.0.1:{self.port}"

    def post(self, body, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        if isinstance(body, (bytes, str)):
            return requests.post(f"{self.base}/predict", data=body,
                                 headers={"Content-Type": "application/json"}, **kwargs)
        return requests.post(f"{self.base}/predict", json=body, **kwargs)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served(db):
    server = Served(db)
    yield server
    server.close()


# ---------------------------------------------------------------------------
# Validation: 400, and never more than one active prediction per key
# ---------------------------------------------------------------------------

def test_repeated_line_values_are_refused(served):
    # before: 200 and three active predictions for the one key (line 20.5)
    response = served.post(request(lines=(20.5, 20.5, 20.5)))
    assert response.status_code == 400
    assert "distinct" in response.json()["error"]
    assert rows(served.db) == []


def test_nan_lines_are_refused(served):
    # before: NaN != NaN, so each of three NaN lines was a new active key
    body = json.dumps(request(lines=())).replace('"line_values": []', '"line_values": [NaN, NaN, NaN]')
    response = served.post(body)
    assert response.status_code == 400
    assert rows(served.db) == []
    # the same through the library call
    with pytest.raises(ValueError):
        wh = warehouse.DuckDBWarehouse(served.db, read_only=False)
        try:
            handle_request(request(lines=(float("nan"), float("nan"))), wh)
        finally:
            wh.close()


def test_too_many_line_values_are_refused(served):
    # before: 2,000 line values wrote 2,000 rows
    response = served.post(request(lines=[10.0 + i / 10 for i in range(2000)]))
    assert response.status_code == 400
    assert rows(served.db) == []


@pytest.mark.parametrize(
    "body",
    [
        request(player=["ready"]),
        request(player={"a": 1}),
        request(lines=[{"a": 1}]),
        request(lines=["21.5"]),
        request(lines=[True]),
        request(game_date="2026-13-45"),
        request(game_date=20260115),
        request(game_id=12),
        request(prediction_attempt="SOMETIMES"),
        {"game_date": "2026-01-15"},
        [1, 2, 3],
    ],
    ids=["player-list", "player-object", "line-object", "line-string", "line-bool", "bad-date",
         "int-date", "int-game-id", "bad-mode", "no-player", "not-an-object"],
)
def test_wrong_types_get_400_without_sql(served, body):
    # before: a list or object reached DuckDB and came back as 500 with the
    # database error (and its SQL) in the body
    response = served.post(body)
    assert response.status_code == 400
    text = response.text.lower()
    assert "select" not in text and "binder" not in text and "duckdb" not in text
    assert rows(served.db) == []


def test_unknown_player_gets_one_inactive_record(served):
    # before: five active rows (one per line) for a player without features
    first = served.post(request(player="nobody", lines=(20.5, 21.5, 22.5, 23.5, 24.5)))
    again = served.post(request(player="nobody", lines=(20.5, 21.5, 22.5, 23.5, 24.5)))
    assert first.status_code == again.status_code == 200
    assert first.json()["filter_reason"] == "no_features_available"
    assert again.json()["status"] == "duplicate"
    assert rows(served.db) == [("nobody", None, False, False, "no_features_available")]


def test_internal_errors_do_not_leak(db):
    class Broken(Worker):
        def handle(self, request):
            raise RuntimeError('Binder Error: select secret from "nba_predictions"."x"')

    worker = Broken(lambda: warehouse.DuckDBWarehouse(db, read_only=False))
    server = make_server(worker, "127.0.0.1", 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        response = requests.post(f"http://127.0.0.1:{server.server_port}/predict",
                                 json=request(), timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 500
    assert "select" not in response.text and "Binder" not in response.text
    assert response.json()["error_id"]


# ---------------------------------------------------------------------------
# Transport limits
# ---------------------------------------------------------------------------

def raw_exchange(port: int, head: bytes, body: bytes = b"", *, wait: float = 5.0,
                 shut: bool = False) -> bytes:
    """Send raw bytes, return what the server answers within ``wait`` s."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(head + body)
        if shut:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        deadline = time.monotonic() + wait
        try:
            while time.monotonic() < deadline:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def test_body_size_limit(served):
    # before: any size was read into memory and processed (200)
    padded = json.dumps(request()) + " " * (70 * 1024)
    response = served.post(padded)
    assert response.status_code == 413
    assert rows(served.db) == []


def test_negative_content_length_is_refused(served):
    # before: read(-1) waited for the client to close: no answer
    head = (b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: -1\r\n\r\n")
    answer = raw_exchange(served.port, head, json.dumps(request()).encode(), wait=3.0)
    assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400")
    assert rows(served.db) == []


def test_stalled_body_times_out(db):
    # before: a client that promised 100 bytes and sent 10 held its thread
    # forever (no read timeout)
    server = Served(db, read_timeout=1.0)
    try:
        head = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
        started = time.monotonic()
        answer = raw_exchange(server.port, head, b'{"player_l', wait=6.0)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert b" 408 " in answer.split(b"\r\n")[0]
    assert elapsed < 4.0


def test_trickled_body_times_out_in_all(db):
    # a byte every 0.3 s never trips a per-read timeout of 1 s; the body's
    # total deadline does
    server = Served(db, read_timeout=1.0)
    body = json.dumps(request()).encode()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
            started = time.monotonic()
            answer = b""
            for byte in body[:20]:
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    break
                time.sleep(0.3)
                sock.setblocking(False)
                try:
                    answer += sock.recv(4096)
                except (BlockingIOError, ConnectionResetError):
                    pass
                sock.setblocking(True)
                if answer:
                    break
            elapsed = time.monotonic() - started
    finally:
        server.close()
    assert b" 408 " in answer.split(b"\r\n")[0]
    assert elapsed < 3.0


def test_hundred_concurrent_connections_are_all_served(db, tmp_path):
    # before: the standard library's listen backlog of 5 reset 26-47 of 100
    # simultaneous POSTs to a worker process (measured; varies with load)
    from pubsub_fixtures import WorkerProcess

    worker = WorkerProcess(db, tmp_path)
    results: list[object] = []
    lock = threading.Lock()
    barrier = threading.Barrier(100, timeout=30)

    def client(i: int) -> None:
        try:
            barrier.wait()
            status = requests.post(worker.url, json=request(player=f"nobody_{i}", lines=(20.5,)),
                                   timeout=60).status_code
        except Exception as exc:  # noqa: BLE001 - counted below
            status = type(exc).__name__
        with lock:
            results.append(status)

    try:
        threads = [threading.Thread(target=client, args=(i,)) for i in range(100)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
    finally:
        worker.stop()
    failures = [r for r in results if r != 200]
    assert len(results) == 100 and failures == []
    assert len(rows(db)) == 100


def test_shared_secret(db, monkeypatch):
    server = Served(db, token="s3cret-token")
    try:
        assert server.post(request()).status_code == 401
        assert server.post(request(), headers={"X-NBA-Worker-Token": "wrong"}).status_code == 401
        assert server.post(request(), headers={"X-NBA-Worker-Token": "s3cret-token"}).status_code == 200
        pushed = requests.post(f"{server.base}/predict?token=s3cret-token",
                               json=request(player="unready"), timeout=10)
        assert pushed.status_code == 200
        assert requests.get(f"{server.base}/healthz", timeout=10).status_code == 200
    finally:
        server.close()
    assert len(rows(db)) == 4


def test_healthz_checks_the_warehouse(tmp_path):
    # before: /healthz answered 200 whatever the state of the warehouse
    empty = str(tmp_path / "empty.duckdb")
    duckdb.connect(empty).close()
    server = Served(empty)
    try:
        no_store = requests.get(f"{server.base}/healthz", timeout=10)
        os.remove(empty)
        gone = requests.get(f"{server.base}/healthz", timeout=10)
    finally:
        server.close()
    assert no_store.status_code == 503 and "feature store" in no_store.json()["error"]
    assert gone.status_code == 503
    assert not os.path.exists(empty)  # the check did not create the file


def test_healthz_ok(served):
    health = requests.get(f"{served.base}/healthz", timeout=10)
    assert health.status_code == 200 and health.json()["warehouse"] == "ok"


# ---------------------------------------------------------------------------
# Google Pub/Sub push deliveries
# ---------------------------------------------------------------------------

def push_envelope(message: dict, message_id: str = "101") -> dict:
    return {
        "message": {
            "data": base64.b64encode(json.dumps(message).encode()).decode(),
            "attributes": {"player_lookup": message.get("player_lookup", ""), "game_date": "2026-01-15"},
            "messageId": message_id,
            "publishTime": "2026-01-15T13:00:00Z",
        },
        "subscription": "projects/nba-test/subscriptions/prediction-requests-push",
    }


def test_push_delivery_is_accepted_once_per_key(served):
    # before: 400 "request needs player_lookup and game_date" (the envelope was
    # read as the request), so Pub/Sub would redeliver forever
    first = served.post(push_envelope(request()))
    redelivered = served.post(push_envelope(request(), message_id="101"))
    assert first.status_code == redelivered.status_code == 200
    assert first.json()["written"] == 2 and redelivered.json()["status"] == "duplicate"
    assert rows(served.db) == [("ready", 21.5, True, True, None), ("ready", 22.5, True, True, None)]


def test_push_delivery_with_bad_data_is_refused(served):
    bad = push_envelope(request())
    bad["message"]["data"] = "***not base64***"
    assert served.post(bad).status_code == 400
    duplicated = push_envelope(request(lines=(20.5, 20.5)))
    assert served.post(duplicated).status_code == 400
    assert rows(served.db) == []


@pytest.mark.parametrize("kind", ["missing", "directory", "not-duckdb", "bigquery-no-project"])
def test_worker_refuses_an_unusable_warehouse_at_start(kind, tmp_path, capsys, monkeypatch):
    from python_hooks import cli

    path = str(tmp_path / "none.duckdb")
    if kind == "directory":
        path = str(tmp_path)
    elif kind == "not-duckdb":
        path = str(tmp_path / "notes.duckdb")
        with open(path, "w") as handle:
            handle.write("not a database\n" * 100)
    elif kind == "bigquery-no-project":
        monkeypatch.setenv("NBA_WAREHOUSE", "bigquery")
        monkeypatch.setenv("NBA_BQ_PROJECT", "")
    assert cli.main(["worker", "--db", path, "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (kind == "missing" and os.path.exists(path))  # not created either


def test_a_taken_port_is_one_line_and_exit_2(tmp_path) -> None:
    """A worker that cannot listen says so in one line, no traceback."""
    import socket
    import subprocess
    import sys

    import duckdb

    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "python_hooks.cli", "worker", "--db", str(db),
             "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "cannot listen on" in result.stderr and "Traceback" not in result.stderr


def test_lock_detection_ignores_block_and_clock_in_paths() -> None:
    from python_hooks import warehouse

    assert warehouse.is_lock_message('IO Error: Could not set lock on file "/x.duckdb": '
                                     "Conflicting lock is held in python (PID 1)")
    assert not warehouse.is_lock_message("/mnt/blockstore/clock.duckdb is not a database")
