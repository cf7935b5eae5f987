"""Checks of the benchmark's measuring helpers (run: pytest bench/test_bench.py)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # noqa: E402

CHILD = (
    "import subprocess, sys, time;"
    "code = 'b = bytearray(80 * 2**20); import time; time.sleep(3)';"
    "p = subprocess.Popen([sys.executable, '-c', code]); p.wait()"
)


def test_measure_counts_the_memory_of_grandchildren(tmp_path: Path) -> None:
    # The 80 MB live in a grandchild: a max over the direct child would miss them.
    m = bench.measure([sys.executable, "-c", CHILD], dict(os.environ), tmp_path / "log")
    assert m.returncode == 0
    assert m.peak_rss_mb >= 80
    assert m.seconds >= 3


def test_measure_reports_a_failing_command(tmp_path: Path) -> None:
    m = bench.measure([sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ), tmp_path / "log")
    assert m.returncode == 3


def test_backfill_range_takes_the_first_game_dates_from_november(tmp_path: Path) -> None:
    db = tmp_path / "raw.duckdb"
    dates = [dt.date(2025, 10, 25) + dt.timedelta(days=2 * i) for i in range(10)]
    with duckdb.connect(str(db)) as con:
        con.execute("create schema nba_raw")
        con.execute(
            "create table nba_raw.nbac_schedule (game_date date, season_year bigint,"
            " is_regular_season boolean, is_playoffs boolean, game_status bigint,"
            " home_team_score bigint)"
        )
        for day in dates:
            con.execute("insert into nba_raw.nbac_schedule values (?, 2025, true, false, 3, 101)",
                        [day])
        # a postponed playoff game (status 3 without scores) is not final
        con.execute("insert into nba_raw.nbac_schedule values"
                    " ('2026-05-03', 2025, false, true, 3, null)")
        con.execute("insert into nba_raw.nbac_schedule values"
                    " ('2026-05-01', 2025, false, true, 3, 99)")
    start, end, n = bench.backfill_range(db, 3)
    assert (start, end, n) == (dt.date(2025, 11, 2), dt.date(2025, 11, 6), 3)
    assert bench.latest_final_date(db) == dt.date(2026, 5, 1)
