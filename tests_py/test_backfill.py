"""Backfill: chunking, clamping, preflight, and a real kill-and-resume."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import time
from pathlib import Path

import duckdb

from conftest import BIN, ROOT, BuiltWarehouse, dbt_env
from python_hooks import backfill

D = dt.date


def test_chunks_respect_size_and_gaps():
    dates = [D(2021, 11, 2), D(2021, 11, 3), D(2021, 11, 4), D(2021, 11, 20), D(2021, 11, 21)]
    assert backfill.chunk_dates(dates, chunk_days=2) == [
        [D(2021, 11, 2), D(2021, 11, 3)],
        [D(2021, 11, 4)],
        [D(2021, 11, 20), D(2021, 11, 21)],
    ]
    # A gap longer than a week starts a new chunk even when the chunk has room.
    assert len(backfill.chunk_dates(dates, chunk_days=31)) == 2


def test_future_end_date_is_clamped_to_yesterday_with_a_warning():
    end, warning = backfill.clamp_end_date(D(2030, 1, 1), today=D(2026, 11, 27))
    assert end == D(2026, 11, 26)
    assert "clamped" in warning
    assert backfill.clamp_end_date(D(2026, 11, 1), today=D(2026, 11, 27)) == (D(2026, 11, 1), None)


def test_progress_line_reports_dates_rows_and_time_left():
    line = backfill.progress_line(done=10, total=40, rows=2500, elapsed=20.0)
    assert "10/40 dates" in line and "2,500 rows" in line and "~01:00 left" in line


FEATURE_COLUMNS_TO_COMPARE = "* exclude (created_at, updated_at)"


def window_rows(db: Path, start: str, end: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"select {FEATURE_COLUMNS_TO_COMPARE} from nba_predictions.ml_feature_store_v2"
            " where game_date between ? and ? order by player_lookup, game_date",
            [start, end],
        ).fetchall()


def test_kill_then_resume_equals_a_clean_single_run(small_warehouse: BuiltWarehouse):
    start, end = "2021-11-02", "2021-12-31"
    expected = window_rows(small_warehouse.db, start, end)
    assert len(expected) > 5000
    with duckdb.connect(str(small_warehouse.db)) as con:
        con.execute(
            "delete from nba_predictions.ml_feature_store_v2 where game_date between ? and ?",
            [start, end],
        )
    state_dir = small_warehouse.work / "state"
    command = [
        str(BIN / "nba-fs"), "backfill", "--start-date", start, "--end-date", end,
        "--db", str(small_warehouse.db), "--state-dir", str(state_dir), "--chunk-days", "15",
        "--skip-preflight", "--today", "2022-02-01",
    ]
    env = dbt_env(small_warehouse.db, small_warehouse.work)
    process = subprocess.Popen(command, cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # Kill it with a real signal once at least one chunk is recorded as done.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        states = list(state_dir.glob("backfill_*.json"))
        if states and json.loads(states[0].read_text())["done"]:
            break
        time.sleep(0.2)
    assert process.poll() is None, "backfill finished before it could be interrupted"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    state = json.loads(next(state_dir.glob("backfill_*.json")).read_text())
    assert 0 < len(state["done"]) < len(state["dates"])

    resumed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resuming" in resumed.stderr
    assert window_rows(small_warehouse.db, start, end) == expected

    # Re-running the finished range changes nothing.
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "already done" in again.stdout
    assert window_rows(small_warehouse.db, start, end) == expected


def test_future_end_date_runs_up_to_yesterday(small_warehouse: BuiltWarehouse):
    result = small_warehouse.nba_fs(
        "backfill", "--start-date", "2022-01-08", "--end-date", "2030-01-01",
        "--today", "2022-01-11", "--db", str(small_warehouse.db),
        "--state-dir", str(small_warehouse.work / "state"),
    )
    assert "clamped to yesterday (2022-01-10)" in result.stderr
    assert "dates processed: 3/3" in result.stdout
    assert "2022-01-10" in result.stdout and "2022-01-11" not in result.stdout.split("pct ready")[1]


def test_preflight_stops_on_missing_upstream_games(small_warehouse: BuiltWarehouse):
    with duckdb.connect(str(small_warehouse.db)) as con:
        con.execute("delete from nba_analytics.team_offense_game_summary where game_date = '2021-12-01'")
    result = small_warehouse.nba_fs(
        "backfill", "--start-date", "2021-11-30", "--end-date", "2021-12-02",
        "--db", str(small_warehouse.db), "--state-dir", str(small_warehouse.work / "state"),
        check=False,
    )
    assert result.returncode == backfill.EXIT_PREFLIGHT
    assert "2021-12-01" in result.stderr and "2021-11-30" not in result.stderr


def test_dry_run_shows_plan_and_coverage_without_running(small_warehouse: BuiltWarehouse):
    result = small_warehouse.nba_fs(
        "backfill", "--start-date", "2021-11-02", "--end-date", "2021-12-31", "--dry-run",
        "--db", str(small_warehouse.db), "--state-dir", str(small_warehouse.work / "state"),
    )
    assert "would rebuild" in result.stdout and "coverage" in result.stdout
    assert not (small_warehouse.work / "state").exists()
