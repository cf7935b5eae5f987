"""The daily run keeps dbt's partial parse from one day to the next, and
still computes the new day's window.

The run date (NBA_RUN_DATE) and a backfill's window (NBA_WINDOW_START /
NBA_WINDOW_END) are read by macros/date_window only when a node compiles:
dbt records the env vars a file reads while it parses and re-parses those
files when a value changes, so a read at parse time would cost a re-parse
on every new day.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

from conftest import BuiltWarehouse

# The default sample's as-of date (its CI warehouse was built with it).
D1, D2 = dt.date(2026, 11, 27), dt.date(2026, 11, 28)
MODEL = "upcoming_player_game_context"


def window(work: Path) -> tuple[dt.date, dt.date]:
    """The window of the SQL dbt last ran for MODEL."""
    sql = next((work / "target" / "run").rglob(f"{MODEL}.sql")).read_text()
    found = re.findall(r"date '(\d{4}-\d\d-\d\d)' as (first|last)_upcoming_date", sql)
    bounds = {which: dt.date.fromisoformat(day) for day, which in found}
    assert len(found) == 2, found
    return bounds["first"], bounds["last"]


def parse_lines(log: Path, since: int) -> list[str]:
    lines = log.read_text(errors="replace").splitlines()[since:]
    return [line for line in lines if "partial pars" in line.lower() or "full parse" in line.lower()]


def test_daily_run_on_a_new_date_keeps_the_partial_parse(default_warehouse_path, tmp_path):
    db = tmp_path / "nba.duckdb"
    shutil.copyfile(default_warehouse_path, db)
    wh = BuiltWarehouse(db=db, work=tmp_path)
    log = tmp_path / "logs" / "dbt.log"

    wh.dbt("run", "--select", MODEL, env={"NBA_RUN_DATE": D1.isoformat()})
    assert window(tmp_path) == (D1 - dt.timedelta(days=1), D1 + dt.timedelta(days=1))
    assert (tmp_path / "target" / "partial_parse.msgpack").exists()

    seen = len(log.read_text(errors="replace").splitlines())
    wh.dbt("run", "--select", MODEL, env={"NBA_RUN_DATE": D2.isoformat()})
    lines = parse_lines(log, seen)
    assert any("no changes found, skipping parsing" in line for line in lines), lines
    assert not any("Unable to do partial parsing" in line or "updated file" in line
                   for line in lines), lines
    assert window(tmp_path) == (D2 - dt.timedelta(days=1), D2 + dt.timedelta(days=1))

    # A backfill's window through the environment: no re-parse either.
    seen = len(log.read_text(errors="replace").splitlines())
    wh.dbt("run", "--select", MODEL, env={"NBA_RUN_DATE": D2.isoformat(),
                                          "NBA_WINDOW_START": "2026-11-10",
                                          "NBA_WINDOW_END": "2026-11-12"})
    lines = parse_lines(log, seen)
    assert any("no changes found, skipping parsing" in line for line in lines), lines
    assert window(tmp_path) == (dt.date(2026, 11, 10), dt.date(2026, 11, 12))

    # The vars still work, and win over the environment.
    wh.dbt("run", "--select", MODEL,
           "--vars", "{start_date: '2026-11-01', end_date: '2026-11-02'}",
           env={"NBA_RUN_DATE": D2.isoformat(), "NBA_WINDOW_START": "2026-11-10",
                "NBA_WINDOW_END": "2026-11-12"})
    assert window(tmp_path) == (dt.date(2026, 11, 1), dt.date(2026, 11, 2))
