"""Production days replayed on the season's edges (`nba-fs replay`).

The replay stages the default sample's raw data as it stood at each day's
daily run, runs the daily dbt build with that run date, alerts and dispatch
through the day's modes to a real worker, and checks the invariants. The
days are found in the data: the 2025-26 season's opening night, an odds
outage, the day after a late box-score load, a trade day, Christmas (after
the Christmas Eve gap), the last day of the All-Star break (no games:
tomorrow's rows) and the return, a postponed game's make-up, the last regular-season day and
the first playoff day.

The days are replayed as two consecutive parts side by side (`--jobs 2`),
the way `make bench-replay` replays the season, and the report is checked
to be the parts' added up.

Opening night and the All-Star return had no feature rows before the run
date set the horizon of scheduled games (it was the latest final game).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import ROOT, run_dbt, run_nba_fs

SEASON = 2025


def edge_days(db: Path) -> dict[str, dt.date]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        def one(sql: str) -> dt.date:
            value = con.execute(sql, [SEASON]).fetchone()[0]
            assert value is not None, sql
            return value

        # The schedule as staging reads it (per (game_id, game_date) the
        # highest status, then the newest load), counted games only: regular
        # season and playoffs (play-in included), not postponed (status 3
        # without scores).
        latest = """
            (select * from nba_raw.nbac_schedule
             qualify row_number() over (partition by game_id, game_date
                                        order by game_status desc, processed_at desc) = 1)"""
        counted = (f"from {latest} where season_year = ? and (is_regular_season or is_playoffs)"
                   " and not (game_status = 3 and home_team_score is null)")
        # The All-Star break is the longest gap between regular-season game
        # days (the schedule holds no All-Star game).
        all_star_return = one(
            f"select game_date from (select game_date, game_date - lag(game_date) over"
            f" (order by game_date) as gap from (select distinct game_date {counted}"
            " and is_regular_season)) order by gap desc nulls last, game_date limit 1")
        manifest = ("from nba_raw.generation_manifest where game_date between"
                    " make_date(?, 10, 1) and make_date(? + 1, 7, 1)")

        def from_manifest(kind: str) -> dt.date:
            value = con.execute(f"select min(game_date) {manifest} and kind = ?",
                                [SEASON, SEASON, kind]).fetchone()[0]
            assert value is not None, kind
            return value

        christmas = dt.date(SEASON, 12, 25)
        # A postponed game keeps its NBA.com id on its make-up date.
        makeup = one("select max(game_date) from nba_raw.nbac_schedule where season_year = ?"
                     " group by game_id having count(distinct game_date) > 1")
        return {
            "opening night": one(f"select min(game_date) {counted} and is_regular_season"),
            "odds outage": from_manifest("odds_api_outage_date"),
            "after a late box score": from_manifest("late_box_score") + dt.timedelta(days=1),
            "trade day": from_manifest("trade"),
            "Christmas": christmas,
            "last day of the All-Star break": all_star_return - dt.timedelta(days=1),
            "All-Star return": all_star_return,
            "postponed game's make-up": makeup,
            "last regular-season day": one(f"select max(game_date) {counted}"
                                           " and is_regular_season"),
            "first playoff day": one(f"select min(game_date) {counted} and is_playoffs"),
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def replay_work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("replay")


@pytest.fixture(scope="module")
def replayed(default_warehouse_path: Path, replay_work: Path
             ) -> tuple[dict[str, dt.date], dict[str, Any], Any]:
    days = edge_days(default_warehouse_path)
    work = replay_work
    result = run_nba_fs(
        ["replay", "--source", str(default_warehouse_path), "--target", "ci",
         "--days", ",".join(sorted({d.isoformat() for d in days.values()})), "--jobs", "2",
         "--work-dir", str(work / "replay")],
        db=work / "unused.duckdb", work=work, check=False,
        env={"PYTHONPATH": str(ROOT)} | ({"NBA_RUN_DATE": os.environ["NBA_RUN_DATE"]}
                                         if "NBA_RUN_DATE" in os.environ else {}))
    report_path = work / "replay" / "replay.json"
    assert report_path.exists(), f"replay wrote no report:\n{result.stdout}\n{result.stderr}"
    report = json.loads(report_path.read_text())
    return days, report, result


# The replay of the ten days takes 5-10 minutes (more on a loaded machine).
pytestmark = [pytest.mark.dbt, pytest.mark.timeout(2400)]


def test_replay_invariants_hold(replayed) -> None:
    _, report, result = replayed
    summary = report["summary"]
    print(result.stdout)
    assert summary["game_days_without_rows"] == 0, summary["game_days_without_rows_dates"]
    assert summary["days_without_rows_for_tomorrow"] == 0, \
        summary["days_without_rows_for_tomorrow_dates"]
    assert summary["daily_vs_rebuild"]["unexpected_differences"] == {}, \
        summary["daily_vs_rebuild"]["unexpected_examples"]
    assert summary["daily_vs_rebuild"]["rows_compared"] > 1000
    assert summary["double_dispatches"] == 0
    assert summary["requests_dispatched"] > 0
    assert summary["requests_failed"] == 0
    assert result.returncode == 0, result.stderr


def test_every_edge_day_has_rows_for_its_games(replayed) -> None:
    days, report, _ = replayed
    by_date = {r["game_date"]: r for r in report["days"]}
    for label, day in days.items():
        record = by_date[day.isoformat()]
        if record["games"]:
            assert record["feature_rows"] >= 0.5 * record["rostered_players"] > 0, (label, record)
        if record["tomorrow_games"]:
            assert record["tomorrow_rows"] > 0, (label, record)
    opening, back = days["opening night"], days["All-Star return"]
    assert by_date[opening.isoformat()]["feature_rows"] > 100
    assert by_date[back.isoformat()]["feature_rows"] > 100


def test_odds_outage_alerts_and_healthy_days(replayed) -> None:
    days, report, _ = replayed
    summary = report["summary"]
    assert summary["odds_outage_days"] >= 1
    assert summary["odds_outage_days_alerted"] == summary["odds_outage_days"]
    outage = {r["game_date"]: r for r in report["days"]}[days["odds outage"].isoformat()]
    assert outage["alerts"].get("VEGAS_COVERAGE_LOW", 0) >= 1, outage["alerts"]
    assert not outage["build_ok"], "the outage day's vegas-coverage gate did not fail the build"
    assert summary["healthy_game_days_alerted"] == 0


def test_dispatch_sends_each_ready_player_once_through_the_modes(replayed) -> None:
    _, report, _ = replayed
    ready_days = [r for r in report["days"] if r["pct_ready"] and r["games"]]
    assert ready_days, "no replayed day had ready players"
    for record in ready_days:
        assert record["dispatched"] > 0, record
        assert record["dispatch_failed"] == 0, record
        assert all(rc == 0 for rc in record["dispatch_rc"]), record


def test_staging_restaged_by_date_equals_a_full_restage(replayed, replay_work: Path) -> None:
    """After the replayed days, each base staging table (re-staged day by
    day for the dates with new raw rows) holds exactly the rows a full
    re-stage of the same raw data gives, reject reasons and raw records
    included."""
    days, report, _ = replayed
    restaged = replay_work / "restaged.duckdb"
    # the last day is the second part's
    replayed_db = replay_work / "replay" / "part-2" / "replay.duckdb"
    shutil.copy(replayed_db, restaged)
    last_day = max(days.values()).isoformat()
    run_dbt(["run", "--target", "ci", "--full-refresh", "--select", "path:models/staging/base"],
            db=restaged, work=replay_work, env={"NBA_RUN_DATE": last_day})
    con = duckdb.connect(str(restaged))
    try:
        con.execute(f"attach '{replayed_db}' as replayed (read_only)")
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_catalog = 'restaged' and table_name like 'base_nba_raw__%'").fetchall()
        assert len(tables) == 8, tables
        differing = {}
        for schema, table in tables:
            columns = ", ".join(f'cast("{name}" as varchar)' for (name,) in con.execute(
                "select column_name from information_schema.columns where table_catalog ="
                " 'restaged' and table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table]).fetchall())
            full, daily = f'restaged."{schema}"."{table}"', f'replayed."{schema}"."{table}"'
            only = [con.execute(f"select count(*) from (select {columns} from {a}"
                                f" except all select {columns} from {b})").fetchone()[0]
                    for a, b in ((full, daily), (daily, full))]
            if any(only):
                differing[table] = only
        assert differing == {}, f"rows only in the full re-stage / only in the daily tables: {differing}"
    finally:
        con.close()


@pytest.mark.parametrize(("stop", "jobs"), [("SIGTERM", 1), ("SIGKILL", 1), ("SIGTERM", 2)])
def test_a_stopped_replay_leaves_no_worker(default_warehouse_path: Path, tmp_path: Path,
                                           stop: str, jobs: int) -> None:
    """A replay stopped by its scheduler (or killed) leaves no worker behind;
    SIGTERM also ends it at once, even inside the day's dbt build, and a
    replay in parts stops every part."""
    import signal
    import subprocess
    import sys
    import time

    work = tmp_path / "stopped"
    proc = subprocess.Popen(
        [sys.executable, "-m", "python_hooks.cli", "replay", "--source",
         str(default_warehouse_path), "--target", "ci",
         "--days", ",".join(["2025-11-03", "2025-11-04"][:jobs]), "--jobs", str(jobs),
         "--work-dir", str(work)],
        cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT), "DBT_TARGET_PATH": str(work / "t"),
                                    "DBT_LOG_PATH": str(work / "l")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def worker_pids() -> list[str]:
        # one worker per part: work/replay.duckdb, or work/part-K/replay.duckdb
        found = subprocess.run(["pgrep", "-f", f"worker --db {work}/(part-[0-9]+/)?replay.duckdb"],
                               capture_output=True, text=True).stdout.split()
        return found

    try:
        deadline = time.monotonic() + 240
        while len(worker_pids()) < jobs and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(worker_pids()) == jobs, "the replay's workers never started"
        # The day's build starts right after the worker: let it run, so the
        # signal lands inside dbt, which catches every exception itself.
        time.sleep(5)
        signum = getattr(signal, stop)
        proc.send_signal(signum)
        assert proc.wait(60) in (128 + signum, -signum)
        time.sleep(2)
        assert worker_pids() == []
        assert not (work / "replay.json").exists(), "the replay went on after SIGTERM"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in worker_pids():
            os.kill(int(pid), signal.SIGKILL)



def test_the_parts_of_the_replay_add_up(replayed, replay_work: Path) -> None:
    """`--jobs 2` replayed the days as two consecutive parts side by side,
    each an ordinary replay in its own directory; the report is theirs
    added up."""
    days, report, result = replayed
    summary = report["summary"]
    parts = [json.loads((replay_work / "replay" / f"part-{k}" / "replay.json").read_text())
             for k in (1, 2)]
    dates = sorted(d.isoformat() for d in set(days.values()))
    assert [d["game_date"] for d in report["days"]] == dates
    assert [d["game_date"] for p in parts for d in p["days"]] == dates
    assert [(p["first_day"], p["last_day"]) for p in summary["parts"]] == [
        (p["days"][0]["game_date"], p["days"][-1]["game_date"]) for p in parts]
    for key in ("requests_dispatched", "double_dispatches", "game_days", "odds_outage_days"):
        assert summary[key] == sum(p["summary"][key] for p in parts), key
    assert summary["daily_vs_rebuild"]["rows_compared"] == sum(
        p["summary"]["daily_vs_rebuild"]["rows_compared"] for p in parts)
    assert summary["gaps_open_at_end"] == parts[1]["summary"]["gaps_open_at_end"]
    assert "in 2 parts side by side" in result.stdout
    assert all(day in result.stdout for day in dates), "the merged day lines are printed"
