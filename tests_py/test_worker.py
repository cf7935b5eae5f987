"""Worker: defense in depth, idempotent writes, the baseline, the HTTP endpoint."""

from __future__ import annotations

import datetime as dt
import threading

import duckdb
import pytest
import requests

from python_hooks import warehouse
from python_hooks.predictor import SYSTEM_ID, predict_points
from python_hooks.worker import Worker, filter_reason, handle_request, make_server
from pylayer_fixtures import feature_row, write_feature_store

DAY = dt.date(2026, 1, 15)


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "nba.duckdb")
    write_feature_store(
        path,
        [
            feature_row("ready", DAY),
            feature_row("defaults", DAY, required_default_count=1, default_feature_count=1, is_quality_ready=False),
            feature_row("legacy", DAY, required_default_count=None, default_feature_count=2),
            feature_row("red", DAY, quality_alert_level="red", matchup_quality_pct=40.0, is_quality_ready=False),
            feature_row("unready", DAY, is_quality_ready=False),
            feature_row("vegas_only", DAY, line=None),
        ],
    )
    return path


def request(player: str, lines=(21.5, 22.5)) -> dict:
    return {
        "player_lookup": player,
        "game_date": DAY.isoformat(),
        "game_id": "20260115_BOS_NYK",
        "line_values": list(lines),
        "correlation_id": f"corr-{player}",
        "batch_id": "batch_2026-01-15_1",
        "prediction_attempt": "FIRST",
    }


def predictions(path: str) -> list[tuple]:
    con = duckdb.connect(path, read_only=True)
    try:
        return con.execute(
            "select player_lookup, line, is_actionable, filter_reason, predicted_points,"
            " correlation_id from nba_predictions.player_prop_predictions order by 1, 2"
        ).fetchall()
    finally:
        con.close()


def test_baseline_predictor_is_the_documented_formula():
    features = [24.0, 22.0, 20.0] + [0.0] * 36
    recent = 0.5 * 24 + 0.3 * 22 + 0.2 * 20  # 22.6
    assert predict_points(features, None) == round(recent, 1)
    assert predict_points(features, 25.0) == round(0.7 * recent + 0.3 * 25.0, 1)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (None, "no_features_available"),
        (feature_row("p", DAY), None),
        (feature_row("p", DAY, line=None), None),  # vegas-only defaults are fine
        (feature_row("p", DAY, required_default_count=3), "has_default_features"),
        (feature_row("p", DAY, required_default_count=None, default_feature_count=1), "has_default_features"),
        (feature_row("p", DAY, quality_alert_level="red", is_quality_ready=False), "red_alert"),
        (feature_row("p", DAY, is_quality_ready=False), "not_quality_ready"),
    ],
)
def test_filter_reason(row, reason):
    assert filter_reason(row) == reason


def test_handle_request_writes_once_per_key(db):
    wh = warehouse.DuckDBWarehouse(db, read_only=False)
    try:
        first = handle_request(request("ready"), wh)
        again = handle_request(request("ready"), wh)
        wider = handle_request(request("ready", lines=(21.5, 22.5, 23.5)), wh)
    finally:
        wh.close()
    assert (first["status"], first["written"]) == ("created", 2)
    assert (again["status"], again["written"]) == ("duplicate", 0)
    assert wider["written"] == 1  # only the new line 23.5
    rows = predictions(db)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("ready", 21.5, True),
        ("ready", 22.5, True),
        ("ready", 23.5, True),
    ]
    expected = predict_points([24.0, 22.0, 20.0], 21.5)
    assert rows[0][4] == expected


def test_handle_request_records_filtered_players(db):
    wh = warehouse.DuckDBWarehouse(db, read_only=False)
    try:
        for player in ("defaults", "legacy", "red", "unready", "nobody"):
            handle_request(request(player, lines=(20.5,)), wh)
        handle_request(request("vegas_only", lines=()), wh)
    finally:
        wh.close()
    rows = {r[0]: r for r in predictions(db)}
    assert rows["defaults"][2:4] == (False, "has_default_features")
    assert rows["legacy"][2:4] == (False, "has_default_features")
    assert rows["red"][2:4] == (False, "red_alert")
    assert rows["unready"][2:4] == (False, "not_quality_ready")
    assert rows["nobody"][2:5] == (False, "no_features_available", None)
    assert rows["vegas_only"][1:4] == (None, True, None)
    assert rows["vegas_only"][5] == "corr-vegas_only"


def test_http_endpoint(db):
    worker = Worker(lambda: warehouse.DuckDBWarehouse(db, read_only=False))
    server = make_server(worker, "127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        health = requests.get(f"{base}/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["system_id"] == SYSTEM_ID
        # concurrent deliveries of the same request: still one record per line
        results: list[int] = []

        def post() -> None:
            results.append(requests.post(f"{base}/predict", json=request("ready"), timeout=10).status_code)

        threads = [threading.Thread(target=post) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 4
        bad = requests.post(f"{base}/predict", json={"game_date": "2026-01-15"}, timeout=5)
        assert bad.status_code == 400
        assert requests.post(f"{base}/nowhere", json={}, timeout=5).status_code == 404
    finally:
        server.shutdown()
        server.server_close()
    assert [(r[0], r[1]) for r in predictions(db)] == [("ready", 21.5), ("ready", 22.5)]


def test_read_only_open_joins_a_writer_of_the_same_process(db):
    writer = warehouse.DuckDBWarehouse(db, read_only=False)
    reader = warehouse.DuckDBWarehouse(db, read_only=True)
    try:
        assert writer.table_exists("predictions", "ml_feature_store_v2")
        assert len(warehouse.feature_rows_for_date(reader, DAY)) == 6
    finally:
        reader.close()
        writer.close()


def test_retry_on_lock_waits_only_for_lock_conflicts():
    calls: list[int] = []
    sleeps: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OSError('IO Error: Could not set lock on file "nba.duckdb": Conflicting lock')
        return "ok"

    assert warehouse.retry_on_lock(flaky, sleep=sleeps.append) == "ok"
    assert sleeps == [0.5, 0.5]

    def broken() -> None:
        raise ValueError("Binder Error: no such column")

    with pytest.raises(ValueError):
        warehouse.retry_on_lock(broken, sleep=sleeps.append)
    assert sleeps == [0.5, 0.5]
