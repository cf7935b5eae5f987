"""Dispatch run unattended: nothing lost, nothing doubled, no silent failure.

Each test pins a failure measured on the earlier dispatcher (in the comments):
signals, a hanging or absent worker, two dispatches at once, a bad --db, a
date without feature rows, a Pub/Sub timeout, credentials in the ledger.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from python_hooks import cli, dispatch, gate, warehouse
from python_hooks.sinks import LocalSink, PubSubSink, publish_with_retry
from pylayer_fixtures import feature_row, write_feature_store

DAY = dt.date(2026, 1, 15)
NOW = dt.datetime(2026, 1, 15, 13, 0, tzinfo=dt.timezone.utc)
PLAYERS = [f"p{i:02d}_gold" for i in range(8)]
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent

LATEST_SQL = """
select player_lookup, status, attempts, error from (
    select *, row_number() over (
        partition by request_id order by status = 'pending', created_at desc) as n
    from nba_predictions.prediction_requests
) where n = 1 order by 1
"""


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
    write_feature_store(path, [feature_row(p, DAY) for p in PLAYERS])
    return path


def query(path: str, sql: str) -> list[tuple]:
    con = duckdb.connect(path, read_only=True)
    try:
        exists = con.execute("select count(*) from information_schema.tables"
                             " where table_name = 'prediction_requests'").fetchone()[0]
        return con.execute(sql).fetchall() if exists else []
    finally:
        con.close()


def statuses(path: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in query(path, LATEST_SQL):
        counts[row[1]] = counts.get(row[1], 0) + 1
    return counts


def nba_fs(*args: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
    environ = dict(os.environ)
    environ.update(env or {})
    return subprocess.Popen([str(BIN / "nba-fs"), *args], cwd=ROOT, env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


class Recorder:
    """A worker stand-in: answers the first ``fast`` POSTs, holds the others."""

    def __init__(self, fast: int) -> None:
        self.fast = fast
        self.count = 0
        self.lock = threading.Lock()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.lock:
                    outer.count += 1
                    number = outer.count
                if number > outer.fast:
                    outer.release.wait(20)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/predict"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------------------
# Signals: the ledger is written as the run goes, and flushed on SIGTERM
# ---------------------------------------------------------------------------

def test_sigterm_leaves_every_request_recorded(db):
    # before: SIGTERM after 3 delivered requests left 0 rows in the ledger
    worker = Recorder(fast=3)
    try:
        proc = nba_fs("dispatch", "--date", DAY.isoformat(), "--db", db, "--sink", "http",
                      "--worker-url", worker.url)
        deadline = time.monotonic() + 60
        while worker.count < 4 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert worker.count == 4, proc.communicate(timeout=5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        worker.close()
    assert proc.returncode == 128 + signal.SIGTERM, (out, err)
    assert "Traceback" not in err
    # 3 answered, 1 in flight (delivery unknown: pending, sent again next run),
    # 4 never sent
    assert statuses(db) == {"published": 3, "pending": 1, "not_sent": 4}
    assert "interrupted by SIGTERM" in out


# ---------------------------------------------------------------------------
# A hanging worker: deadline and circuit breaker (a fake clock, no waiting)
# ---------------------------------------------------------------------------

class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


class HangingSink:
    """Every publish takes 30 s and times out (a worker that never answers)."""

    name = "hanging"

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls = 0

    def publish(self, message) -> None:
        self.calls += 1
        self.clock.t += 30.0
        raise TimeoutError("read timed out after 30 s")

    def close(self) -> None:
        pass


def test_circuit_breaker_stops_after_consecutive_failures(db):
    # before: every request was tried 3 times (94 s each against a hanging
    # worker: 3.4 h for a day)
    fake = FakeClock()
    sink = HangingSink(fake)
    summary = dispatch.dispatch(game_date=DAY, mode=gate.Mode.FIRST, sink=sink, db=db, now=NOW,
                                sleep=fake.sleep, monotonic=fake, deadline_s=None,
                                max_consecutive_failures=3)
    assert sink.calls == 9  # 3 requests x 3 attempts, then the circuit opens
    assert (summary["publish_failed"], summary["not_sent"], summary["dispatched"]) == (3, 5, 0)
    assert "circuit open" in summary["stopped"]
    assert statuses(db) == {"failed": 3, "not_sent": 5}
    rows = query(db, LATEST_SQL)
    assert all("circuit open" in r[3] for r in rows if r[1] == "not_sent")


def test_deadline_bounds_the_run(db):
    fake = FakeClock()
    sink = HangingSink(fake)
    summary = dispatch.dispatch(game_date=DAY, mode=gate.Mode.FIRST, sink=sink, db=db, now=NOW,
                                sleep=fake.sleep, monotonic=fake, deadline_s=100,
                                max_consecutive_failures=None)
    assert fake.t < 100 + 30  # at most one attempt in flight when the deadline passes
    assert summary["not_sent"] == 6 and summary["publish_failed"] == 2
    assert "deadline" in summary["stopped"]
    assert sum(statuses(db).values()) == len(PLAYERS)


def test_worker_url_is_checked_before_the_first_request(db, capsys):
    # before: "localhost:8080" (no scheme) failed each request in turn, with
    # the full backoff, exit 1
    started = time.monotonic()
    code = cli.main(["dispatch", "--date", DAY.isoformat(), "--db", db, "--sink", "http",
                     "--worker-url", "localhost:8080"])
    err = capsys.readouterr().err
    assert code == 2 and "--worker-url" in err and "Traceback" not in err
    assert time.monotonic() - started < 5
    assert query(db, LATEST_SQL) == []


def test_pubsub_timeout_is_readable():
    # before: the ledger said "TimeoutError: " (an empty message)
    class Future:
        cancelled = False

        def result(self, timeout=None):
            raise concurrent.futures.TimeoutError()

        def cancel(self):
            Future.cancelled = True

    class Publisher:
        def topic_path(self, project, topic):
            return f"projects/{project}/topics/{topic}"

        def publish(self, topic, data, **kwargs):
            return Future()

        def stop(self):
            pass

    sink = PubSubSink(project="nba-test", topic="prediction-requests", timeout=0.1,
                      publisher=Publisher())
    result = publish_with_retry(sink, {"player_lookup": "x", "game_date": "2026-01-15"},
                                sleep=lambda s: None)
    assert not result.ok and result.attempts == 3
    assert "projects/nba-test/topics/prediction-requests" in result.error
    assert "0.1 s" in result.error and Future.cancelled


# ---------------------------------------------------------------------------
# One dispatcher per warehouse
# ---------------------------------------------------------------------------

def test_a_second_dispatch_at_once_sends_nothing(db, tmp_path, capsys):
    # before: two dispatches at once each sent every request (260 for 130 players)
    second_outbox = tmp_path / "second.jsonl"
    codes: list[int] = []

    class SinkThatStartsAnother(LocalSink):
        def publish(self, message) -> None:
            if not codes:  # while the first dispatch is publishing, start another
                codes.append(cli.main(["dispatch", "--date", DAY.isoformat(), "--db", db,
                                       "--outbox", str(second_outbox)]))
            super().publish(message)

    first = SinkThatStartsAnother(str(tmp_path / "first.jsonl"))
    summary = dispatch.dispatch(game_date=DAY, mode=gate.Mode.FIRST, sink=first, db=db, now=NOW)
    first.close()
    err = capsys.readouterr().err
    assert codes == [3]
    assert "another dispatch is running" in err and f"pid {os.getpid()}" in err
    assert not second_outbox.exists()
    assert summary["dispatched"] == len(PLAYERS)
    assert len((tmp_path / "first.jsonl").read_text().splitlines()) == len(PLAYERS)


def test_the_lock_holds_across_processes(db, tmp_path):
    lock = dispatch.lock_path(db)
    with dispatch.dispatch_lock(lock):
        proc = nba_fs("dispatch", "--date", DAY.isoformat(), "--db", db,
                      "--outbox", str(tmp_path / "o.jsonl"))
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (out, err)
    assert err.count("\n") == 1 and "another dispatch is running" in err
    # released: the next one runs
    proc = nba_fs("dispatch", "--date", DAY.isoformat(), "--db", db,
                  "--outbox", str(tmp_path / "o.jsonl"))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (out, err)


# ---------------------------------------------------------------------------
# The summary and the exit status tell the truth
# ---------------------------------------------------------------------------

class BrokenSink:
    name = "broken"

    def publish(self, message) -> None:
        raise ConnectionError("topic unreachable")

    def close(self) -> None:
        pass


def test_failed_publishes_are_not_counted_as_dispatched(db):
    # before: "by reason: dispatched 8" when all 8 failed
    summary = dispatch.dispatch(game_date=DAY, mode=gate.Mode.FIRST, sink=BrokenSink(), db=db,
                                now=NOW, sleep=lambda s: None, max_consecutive_failures=None)
    assert summary["dispatched"] == 0 and summary["publish_failed"] == len(PLAYERS)
    assert "dispatched" not in summary["by_reason"]
    assert summary["by_reason"] == {"not_published": len(PLAYERS)}
    screen = dispatch.format_summary(summary)
    assert f"dispatched {len(PLAYERS)}" not in screen and "PUBLISH FAILED" in screen


def test_a_scheduled_date_without_feature_rows_is_an_error(db, tmp_path, capsys):
    # before: rc 0 and an empty summary
    con = duckdb.connect(db)
    con.execute("create schema nba_staging")
    con.execute(
        "create table nba_staging.stg_nba_raw__schedule as select"
        " '0022500700' as game_id, date '2026-01-20' as game_date, 'regular' as game_type,"
        " 'scheduled' as game_status"
    )
    con.close()
    args = ["dispatch", "--db", db, "--outbox", str(tmp_path / "o.jsonl")]
    assert cli.main([*args, "--date", "2026-01-20"]) == 2
    err = capsys.readouterr().err
    assert "no feature rows for 2026-01-20" in err and "1 games are scheduled" in err
    # a date without games is fine: nothing to do
    assert cli.main([*args, "--date", "2026-01-21"]) == 0


@pytest.mark.parametrize("kind", ["missing", "directory", "not-duckdb", "locked"])
def test_unusable_db_is_one_line_and_exit_2(kind, db, tmp_path, capsys):
    # before: a traceback for a non-DuckDB or locked file
    holder = None
    if kind == "missing":
        path = str(tmp_path / "none.duckdb")
    elif kind == "directory":
        path = str(tmp_path)
    elif kind == "not-duckdb":
        path = str(tmp_path / "notes.duckdb")
        Path(path).write_text("not a database\n" * 100)
    else:
        path = db
        holder = subprocess.Popen(
            [sys.executable, "-c",
             "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
             " time.sleep(60)", path], stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "held"
    try:
        code = cli.main(["dispatch", "--date", DAY.isoformat(), "--db", path,
                         "--outbox", str(tmp_path / "o.jsonl")])
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    if kind == "locked":
        assert "locked" in err


# ---------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------

def test_worker_token_never_reaches_the_ledger_or_the_logs(db, capfd, caplog):
    # before: "Max retries exceeded with url: /predict?token=..." in the
    # ledger's error column and on stderr
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def accept_probe_then_close() -> None:
        conn, _ = listener.accept()  # the reachability check
        conn.close()
        listener.close()  # every request then meets a closed port

    threading.Thread(target=accept_probe_then_close, daemon=True).start()
    secret = "s3cr3t-worker-token"
    code = cli.main(["dispatch", "--date", DAY.isoformat(), "--db", db, "--sink", "http",
                     "--worker-url", f"http://127.0.0.1:{port}/predict?token={secret}",
                     "--max-consecutive-failures", "1"])
    out, err = capfd.readouterr()
    assert code == 1
    rows = query(db, "select error, request_json from nba_predictions.prediction_requests")
    assert rows and any(r[0] for r in rows)
    text = json.dumps(rows) + out + err + caplog.text
    assert secret not in text and "token=" not in text
    assert "127.0.0.1" in text  # still says where it failed


def test_ledger_file_and_lock_are_private(db, tmp_path):
    modes = {}

    class Peeking(LocalSink):
        def publish(self, message) -> None:
            modes["lock"] = os.stat(dispatch.lock_path(db)).st_mode & 0o777
            super().publish(message)

    sink = Peeking(str(tmp_path / "outbox.jsonl"))
    dispatch.dispatch(game_date=DAY, mode=gate.Mode.FIRST, sink=sink, db=db, now=NOW)
    sink.close()
    assert oct(os.stat(tmp_path / "outbox.jsonl").st_mode & 0o777) == oct(0o600)
    assert oct(modes["lock"]) == oct(0o600)
    assert not dispatch.lock_path(db).exists()  # removed on release


def test_ledger_rows_are_written_before_publishing(db, tmp_path):
    seen: list[dict[str, int]] = []

    class Peeking(LocalSink):
        def publish(self, message) -> None:
            seen.append(statuses(db))
            super().publish(message)

    sink = Peeking(str(tmp_path / "outbox.jsonl"))
    # ledger_flush_s=0: every outcome is written as soon as it is known
    # (by default they are written at least once a second)
    dispatch.dispatch(game_date=DAY, mode=gate.Mode.FIRST, sink=sink, db=db, now=NOW,
                      ledger_flush_s=0)
    sink.close()
    assert seen[0] == {"pending": len(PLAYERS)}
    assert seen[3] == {"pending": len(PLAYERS) - 3, "published": 3}
    assert statuses(db) == {"published": len(PLAYERS)}
    assert warehouse.dispatched_players(warehouse.DuckDBWarehouse(db), DAY) == set(PLAYERS)
