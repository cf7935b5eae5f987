"""Dispatch: candidates, messages, idempotency, failures, and e2e to the worker."""

from __future__ import annotations

import datetime as dt
import json
import socket
import os
import stat
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from python_hooks import cli, clock, dispatch, gate, warehouse
from python_hooks.predictor import SYSTEM_ID
from python_hooks.sinks import HttpSink, LocalSink
from python_hooks.worker import Worker, make_server
from pylayer_fixtures import feature_row, write_feature_store

DAY = dt.date(2026, 1, 15)
# 2026-01-15 13:00 UTC = 08:00 US Eastern, the same day.
NOW = dt.datetime(2026, 1, 15, 13, 0, tzinfo=dt.timezone.utc)


def fixture_rows() -> list[dict]:
    return [
        feature_row("a_gold", DAY),  # dispatched, line 22.5
        feature_row("b_vegas_only", DAY, line=None),  # dispatched, no line
        feature_row("c_low", DAY, feature_quality_score=80.0, quality_tier="bronze"),
        feature_row("d_red", DAY, quality_alert_level="red", matchup_quality_pct=30.0),
        feature_row("e_defaults", DAY, required_default_count=2, default_feature_count=2),
        feature_row("f_out", DAY, injury_status="out"),  # not a candidate
        feature_row("g_bench", DAY, line=None, minutes_avg_last_7_days=8.0),  # not a candidate
        feature_row("h_existing", DAY),  # already predicted
        # passes the gate (score 88) but the worker's floor stops it
        feature_row("i_not_ready", DAY, feature_quality_score=88.0, is_quality_ready=False, line=18.5),
        feature_row("a_gold", DAY + dt.timedelta(days=1)),  # another date
    ]


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
    write_feature_store(path, fixture_rows())
    wh = warehouse.DuckDBWarehouse(path, read_only=False)
    warehouse.ensure_table(wh, "predictions", warehouse.PREDICTIONS_TABLE, warehouse.PREDICTIONS_DDL)
    wh.insert_rows(
        "predictions",
        warehouse.PREDICTIONS_TABLE,
        [
            {
                "prediction_id": "existing",
                "game_id": "g",
                "game_date": DAY,
                "player_lookup": "h_existing",
                "system_id": SYSTEM_ID,
                "line": 20.5,
                "is_active": True,
            }
        ],
    )
    wh.close()
    return path


def query(path: str, sql: str) -> list[tuple]:
    con = duckdb.connect(path, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def run_dispatch(db: str, sink, mode=gate.Mode.FIRST, **kwargs) -> dict:
    return dispatch.dispatch(game_date=DAY, mode=mode, sink=sink, db=db, now=NOW, **kwargs)


# The ledger is append-only: a request's status is its final row, else pending.
LATEST_SQL = """
select player_lookup, status, attempts, error from (
    select *, row_number() over (
        partition by request_id order by status = 'pending', created_at desc) as n
    from nba_predictions.prediction_requests
) where n = 1 order by 1
"""


def test_dates_come_from_the_one_clock(db, tmp_path):
    late_evening_et = dt.datetime(2026, 1, 16, 3, 30, tzinfo=dt.timezone.utc)  # 22:30 ET on the 15th
    assert clock.resolve_date("today", env={}, now=late_evening_et) == DAY
    assert clock.resolve_date("tomorrow", env={}, now=late_evening_et) == DAY + dt.timedelta(days=1)
    assert clock.resolve_date("2026-02-01") == dt.date(2026, 2, 1)
    parser = cli.build_parser()
    args = parser.parse_args(["dispatch", "--date", "yesterday"])
    assert args.date == clock.run_date() - dt.timedelta(days=1)
    with pytest.raises(SystemExit):
        parser.parse_args(["dispatch", "--date", "someday"])


def test_line_values():
    assert dispatch.line_values(22.5) == [20.5, 21.5, 22.5, 23.5, 24.5]
    assert dispatch.line_values(None) == []


def test_candidates_and_summary(db, tmp_path):
    sink = LocalSink(str(tmp_path / "outbox.jsonl"))
    summary = run_dispatch(db, sink)
    sink.close()
    assert summary["total"] == 7  # f_out and g_bench are not candidates
    assert summary["dispatched"] == 3
    assert summary["expected_count"] == 3
    assert summary["skipped_existing"] == 1
    assert summary["skipped_low_quality"] == 1
    assert summary["hard_blocked"] == 2
    assert summary["by_reason"]["quality_below_threshold_85"] == 1
    assert summary["by_reason"]["hard_floor_red_alert"] == 1
    assert summary["by_reason"]["zero_tolerance_defaults_2"] == 1
    assert summary["by_reason"]["already_has_prediction"] == 1
    screen = dispatch.format_summary(summary)
    assert len(screen.splitlines()) <= 24 and "dispatched" in screen


def test_message_fields(db, tmp_path):
    outbox = tmp_path / "outbox.jsonl"
    sink = LocalSink(str(outbox))
    run_dispatch(db, sink)
    sink.close()
    messages = {m["player_lookup"]: m for m in map(json.loads, outbox.read_text().splitlines())}
    assert set(messages) == {"a_gold", "b_vegas_only", "i_not_ready"}
    gold = messages["a_gold"]
    assert set(gold) == {
        "player_lookup", "game_date", "game_id", "team_abbr", "opponent_team_abbr", "is_home",
        "line_values", "has_prop_line", "actual_prop_line", "line_source", "sportsbook",
        "feature_quality_score", "low_quality_flag", "prediction_attempt", "batch_id",
        "correlation_id", "timestamp",
    }
    assert gold["game_date"] == "2026-01-15"
    assert gold["line_values"] == [20.5, 21.5, 22.5, 23.5, 24.5]
    assert (gold["has_prop_line"], gold["actual_prop_line"], gold["line_source"]) == (True, 22.5, "ACTUAL_PROP")
    assert gold["sportsbook"] == "draftkings"
    assert gold["prediction_attempt"] == "FIRST"
    assert gold["batch_id"] == f"batch_2026-01-15_{int(NOW.timestamp())}"
    assert str(uuid.UUID(gold["correlation_id"])) == gold["correlation_id"]
    assert gold["timestamp"] == "2026-01-15T13:00:00+00:00"
    assert gold["low_quality_flag"] is False
    vegas_only = messages["b_vegas_only"]
    assert vegas_only["line_values"] == []
    assert (vegas_only["has_prop_line"], vegas_only["actual_prop_line"]) == (False, None)
    assert vegas_only["line_source"] == "NO_PROP_LINE"
    assert len({m["correlation_id"] for m in messages.values()}) == 3


def test_second_run_dispatches_nothing(db, tmp_path):
    sink = LocalSink(str(tmp_path / "outbox.jsonl"))
    first = run_dispatch(db, sink)
    second = run_dispatch(db, sink, mode=gate.Mode.RETRY)
    sink.close()
    assert first["dispatched"] == 3
    assert second["dispatched"] == 0
    assert second["by_reason"]["already_dispatched"] == 3
    ledger = query(db, "select status, count(*) from nba_predictions.prediction_requests group by 1 order by 1")
    assert ledger == [("pending", 3), ("published", 3)]  # recorded before, then after publishing
    assert {row[1] for row in query(db, LATEST_SQL)} == {"published"}


class BrokenSink:
    name = "broken"

    def __init__(self) -> None:
        self.calls = 0

    def publish(self, message) -> None:
        self.calls += 1
        raise ConnectionError("topic unreachable")

    def close(self) -> None:
        pass


def test_failed_publish_is_recorded_and_retried_next_run(db, tmp_path):
    sleeps: list[float] = []
    broken = BrokenSink()
    summary = run_dispatch(db, broken, sleep=sleeps.append)
    assert summary["dispatched"] == 0 and summary["publish_failed"] == 3
    assert broken.calls == 9
    assert sleeps == [1.0, 2.0] * 3
    rows = query(db, LATEST_SQL)
    assert [r[:3] for r in rows] == [
        ("a_gold", "failed", 3),
        ("b_vegas_only", "failed", 3),
        ("i_not_ready", "failed", 3),
    ]
    assert all("topic unreachable" in r[3] for r in rows)
    # a failed request does not count as dispatched: the next run sends it
    sink = LocalSink(str(tmp_path / "outbox.jsonl"))
    again = run_dispatch(db, sink, sleep=sleeps.append)
    sink.close()
    assert again["dispatched"] == 3


def test_cli_exit_status(db, tmp_path):
    args = ["dispatch", "--date", "2026-01-15", "--db", db, "--outbox", str(tmp_path / "o.jsonl")]
    assert cli.main(args) == 0
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 3
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = f"http://127.0.0.1:{probe.getsockname()[1]}/predict"
    # an unreachable worker is found before the first request: exit 2
    unreachable = ["dispatch", "--date", "2026-01-16", "--db", db, "--sink", "http",
                   "--worker-url", closed_port]
    assert cli.main(unreachable) == 2
    # 2026-01-16 has one candidate; a worker answering 503 -> exit 1
    # (the real 1 s / 2 s backoff runs once here).
    server = ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        failing = ["dispatch", "--date", "2026-01-16", "--db", db, "--sink", "http",
                   "--worker-url", f"http://127.0.0.1:{server.server_port}/predict"]
        assert cli.main(failing) == 1
    finally:
        server.shutdown()
        server.server_close()
    missing = ["dispatch", "--date", "2026-01-15", "--db", str(tmp_path / "none.duckdb")]
    assert cli.main(missing) == 2


class Unavailable(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server API
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def worker_url(db):
    worker = Worker(lambda: warehouse.DuckDBWarehouse(db, read_only=False))
    server = make_server(worker, "127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/predict"
    server.shutdown()
    server.server_close()


def test_end_to_end_http_sink_to_worker(db, worker_url):
    sink = HttpSink(worker_url)
    first = run_dispatch(db, sink)
    assert first["dispatched"] == 3 and first["publish_failed"] == 0
    predictions_sql = (
        "select player_lookup, count(*), bool_and(is_actionable), any_value(filter_reason),"
        " count(distinct correlation_id)"
        " from nba_predictions.player_prop_predictions"
        " where prediction_id <> 'existing' group by 1 order by 1"
    )
    expected = [
        ("a_gold", 5, True, None, 1),  # five lines
        ("b_vegas_only", 1, True, None, 1),  # one record, NULL line
        ("i_not_ready", 5, False, "not_quality_ready", 1),  # filtered, still recorded
    ]
    assert query(db, predictions_sql) == expected
    second = run_dispatch(db, sink, mode=gate.Mode.RETRY)
    sink.close()
    assert second["dispatched"] == 0
    assert second["skipped_existing"] == 4
    assert query(db, predictions_sql) == expected
    # a request delivered twice (at-least-once delivery) writes nothing new
    request = json.loads(
        query(db, "select request_json from nba_predictions.prediction_requests limit 1")[0][0]
    )
    redelivery = HttpSink(worker_url)
    redelivery.publish(request)
    redelivery.close()
    assert query(db, predictions_sql) == expected


class FakeBigQueryClient:
    """Captures what the BigQuery backend sends (no network)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def query(self, sql, job_config=None):
        self.calls.append((sql, job_config))

        class Job:
            def result(self_inner):
                return []

        return Job()

    def create_dataset(self, dataset_id, exists_ok=False):
        self.calls.append((f"create dataset {dataset_id}", exists_ok))


def test_bigquery_backend_uses_query_parameters(monkeypatch):
    monkeypatch.setenv("NBA_SCHEMA_PREDICTIONS", "preds_ci")
    client = FakeBigQueryClient()
    wh = warehouse.BigQueryWarehouse(project="nba-prod", client=client)
    assert warehouse.feature_rows_for_date(wh, DAY) == []
    sql, config = client.calls[0]
    assert "`nba-prod.preds_ci.ml_feature_store_v2`" in sql
    assert "@game_date" in sql and "2026" not in sql  # the value is a parameter
    (param,) = config.query_parameters
    assert (param.name, param.type_, param.value) == ("game_date", "DATE", DAY)
    with pytest.raises(ValueError):
        wh.table("predictions", "x; drop table y")
    warehouse.ensure_table(wh, "predictions", warehouse.LEDGER_TABLE, warehouse.LEDGER_DDL)
    assert client.calls[1] == ("create dataset nba-prod.preds_ci", True)
    ddl = client.calls[2][0]
    assert "`nba-prod.preds_ci.prediction_requests`" in ddl
    assert "request_json STRING" in ddl and "attempts INT64" in ddl and "varchar" not in ddl


def test_summary_tolerates_a_partial_warehouse(db, capsys):
    assert cli.main(["summary", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "ml_feature_store_v2" in out and "player_prop_predictions" in out
    assert "feature store: 10 rows" in out
    assert cli.main(["summary", "--db", db + ".missing"]) == 2  # one line, exit 2, as every command


# ---------------------------------------------------------------------------
# End to end on a real build (the `small` preset through dbt, conftest.py).
# ---------------------------------------------------------------------------

ORACLE_SQL = """
with candidates as (
    select *
    from nba_predictions.ml_feature_store_v2
    where game_date = $day
      and coalesce(injury_status, '') not in ('out', 'doubtful')
      and (feature_25_value is not null or minutes_avg_last_7_days >= $min_minutes)
),
judged as (
    select
        *,
        coalesce(quality_alert_level, '') <> 'red'
        and matchup_quality_pct >= $matchup_floor
        and coalesce(required_default_count, default_feature_count) = 0
        and feature_quality_score >= $min_score as passes
    from candidates
)
select
    count(*) as total,
    count(*) filter (where passes) as dispatched,
    count(*) filter (where passes and is_quality_ready) as actionable_players,
    count(*) filter (where passes and not is_quality_ready) as filtered_players,
    coalesce(sum(case when passes then
        case when feature_25_value is null then 1 else 5 end end), 0) as records
from judged
"""


@pytest.mark.dbt
def test_real_build_dispatch_to_worker(small_warehouse):
    from python_hooks import contract

    db = str(small_warehouse.db)
    day = query(
        db,
        "select game_date from nba_predictions.ml_feature_store_v2"
        " group by 1 order by count(*) desc, 1 limit 1",
    )[0][0]
    con = duckdb.connect(db, read_only=True)
    oracle = con.execute(
        ORACLE_SQL,
        {
            "day": day,
            "min_minutes": contract.threshold("candidate_min_minutes_last_7_days"),
            "matchup_floor": contract.threshold("ready_min_matchup_pct"),
            "min_score": contract.threshold("gate_min_score_first"),
        },
    ).fetchone()
    con.close()
    total, expected_dispatched, actionable_players, filtered_players, records = oracle
    assert expected_dispatched > 20  # the sample really exercises the path

    worker = Worker(lambda: warehouse.DuckDBWarehouse(db, read_only=False))
    server = make_server(worker, "127.0.0.1", 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sink = HttpSink(f"http://127.0.0.1:{server.server_port}/predict")
    try:
        first = dispatch.dispatch(game_date=day, mode=gate.Mode.FIRST, sink=sink, db=db)
        second = dispatch.dispatch(game_date=day, mode=gate.Mode.FIRST, sink=sink, db=db)
    finally:
        sink.close()
        server.shutdown()
        server.server_close()
    assert (first["total"], first["dispatched"], first["publish_failed"]) == (total, expected_dispatched, 0)
    assert first["expected_count"] == expected_dispatched
    assert second["dispatched"] == 0 and second["skipped_existing"] == expected_dispatched
    got = query(
        db,
        "select count(*), count(distinct player_lookup) filter (where is_actionable),"
        " count(distinct player_lookup) filter (where not is_actionable)"
        " from nba_predictions.player_prop_predictions",
    )[0]
    assert got == (records, actionable_players, filtered_players)


def test_worker_url_gets_the_predict_path():
    from python_hooks.sinks import worker_endpoint

    assert worker_endpoint("http://127.0.0.1:8080") == "http://127.0.0.1:8080/predict"
    assert worker_endpoint("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/predict"
    assert worker_endpoint("https://w.example/v1/predict") == "https://w.example/v1/predict"


def test_unwritable_ledger_keeps_rows_beside_the_db(db, tmp_path):
    con = duckdb.connect(db)
    # a view where the ledger table should be: inserts fail (not a lock)
    con.execute(
        "create view nba_predictions.prediction_requests as"
        " select 'x' as player_lookup, date '2000-01-01' as game_date, 'published' as status"
    )
    con.close()
    sink = LocalSink(str(tmp_path / "outbox.jsonl"))
    summary = run_dispatch(db, sink)
    sink.close()
    fallback = tmp_path / "dispatch_ledger_fallback.jsonl"
    assert summary["ledger_error"] and str(fallback) in summary["ledger_error"]
    rows = dispatch.latest_status([json.loads(line) for line in fallback.read_text().splitlines()])
    assert sorted(r["player_lookup"] for r in rows.values()) == ["a_gold", "b_vegas_only", "i_not_ready"]
    assert {r["status"] for r in rows.values()} == {"published"}
    # readable by its owner only: a ledger row carries the whole request
    assert stat.S_IMODE(os.stat(fallback).st_mode) == 0o600
    # the next run reads the fallback back and sends nothing again
    # (before: it re-sent all three)
    sink = LocalSink(str(tmp_path / "outbox.jsonl"))
    again = run_dispatch(db, sink, mode=gate.Mode.RETRY)
    sink.close()
    assert again["dispatched"] == 0 and again["by_reason"]["already_dispatched"] == 3
    assert len((tmp_path / "outbox.jsonl").read_text().splitlines()) == 3
    assert fallback.exists()  # still not importable (the view): kept


def test_fallback_rows_move_into_the_ledger_once_it_is_writable(db, tmp_path):
    con = duckdb.connect(db)
    con.execute(
        "create view nba_predictions.prediction_requests as"
        " select 'x' as player_lookup, date '2000-01-01' as game_date, 'published' as status"
    )
    con.close()
    sink = LocalSink(str(tmp_path / "outbox.jsonl"))
    run_dispatch(db, sink)
    con = duckdb.connect(db)
    con.execute("drop view nba_predictions.prediction_requests")
    con.close()
    again = run_dispatch(db, sink, mode=gate.Mode.RETRY)
    sink.close()
    fallback = tmp_path / "dispatch_ledger_fallback.jsonl"
    assert again["dispatched"] == 0 and again["ledger_error"] is None
    assert not fallback.exists()
    assert [r[:2] for r in query(db, LATEST_SQL)] == [
        ("a_gold", "published"), ("b_vegas_only", "published"), ("i_not_ready", "published")]
