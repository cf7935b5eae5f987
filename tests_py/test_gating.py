"""Gating tests (docs/monitoring.md) on a real build.

Data is broken on purpose on one date of a clean window and the matching
gate must warn or fail per its thresholds (vars), judged from dbt's
run_results.json; the same gates pass on the clean window, and a date
outside the window being judged never fails it. The thresholds are applied
by daily_quality_counts (its gate level columns), so each check rebuilds the
window's rows with its vars before the tests read the levels, and a
threshold given to `dbt test` alone changes nothing. Expected outcomes are
computed independently from ml_feature_store_v2 (not from the monitoring
models the gates read).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from python_hooks import contract
from python_hooks.warehouse import schema_name

pytestmark = pytest.mark.dbt

WINDOW_DAYS = 5
SEARCH_FROM = dt.date(2021, 12, 1)  # well after the season's warm-up

FEATURES = f"{schema_name('predictions')}.ml_feature_store_v2"
TEAM_DEFENSE = f"{schema_name('precompute')}.team_defense_zone_analysis"
RAW = schema_name("raw")

GATES = ("gate_vegas_coverage", "gate_pct_ready", "gate_canary_players_with_row")
# Loose thresholds the clean window passes (the small sample prices ~25% of
# rows and, with one season, has few ready rows): the gates' logic, not
# the sample's realism, is under test here.
RELAXED = {
    "gate_vegas_coverage_warn_below": 10,
    "gate_vegas_coverage_error_below": 5,
    "gate_pct_ready_warn_below": 2,
    "gate_pct_ready_error_below": 1,
}


def window_vars(start: dt.date, end: dt.date, **extra: Any) -> str:
    return json.dumps({"start_date": start.isoformat(), "end_date": end.isoformat(), **extra})


def run_gates(warehouse: Any, start: dt.date, end: dt.date, **thresholds: Any
              ) -> dict[str, tuple[str, int]]:
    """Rebuild the window's daily_quality_counts with the thresholds (its
    gate level columns apply them), then run the gate tests for the window;
    {test name: (status, failures)}."""
    warehouse.dbt("run", "--select", "daily_quality_counts",
                  "--vars", window_vars(start, end, **thresholds))
    warehouse.dbt("test", "--select", *GATES, "--vars", window_vars(start, end, **thresholds),
                  check=False)
    results = json.loads((Path(warehouse.work) / "target" / "run_results.json").read_text())
    return {
        result["unique_id"].split(".")[2]: (result["status"], result["failures"])
        for result in results["results"]
    }


def daily_oracle(db: Path, start: dt.date, end: dt.date) -> dict[dt.date, tuple[int, float, float]]:
    """Per date straight from the feature store: rows, vegas coverage %, pct ready."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            f"select game_date, count(*),"
            f" 100.0 * count(*) filter (where has_vegas_line) / count(*),"
            f" 100.0 * count(*) filter (where is_quality_ready) / count(*)"
            f" from {FEATURES} where game_date between ? and ? group by game_date",
            [start, end],
        ).fetchall()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def odds_defect_dates(db: Path) -> set[dt.date]:
    """Dates the generator injected an odds outage or a missed game on."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            f"select distinct game_date from {RAW}.generation_manifest"
            " where kind in ('odds_api_outage_date', 'odds_api_missed_game')"
        ).fetchall()
    return {row[0] for row in rows}


def clean_window(db: Path) -> tuple[dt.date, dt.date]:
    """WINDOW_DAYS consecutive game dates from SEARCH_FROM without odds defects."""
    defects = odds_defect_dates(db)
    start = SEARCH_FROM
    while True:
        end = start + dt.timedelta(days=WINDOW_DAYS - 1)
        days = daily_oracle(db, start, end)
        if len(days) == WINDOW_DAYS and not defects & set(days):
            return start, end
        start += dt.timedelta(days=1)
        assert start < dt.date(2022, 1, 10), "no clean window in the sample"


def execute(db: Path, *statements: tuple[str, list[Any]]) -> None:
    with duckdb.connect(str(db)) as con:
        for sql, params in statements:
            con.execute(sql, params)


def test_thresholds_are_the_project_vars() -> None:
    """The tests below rely on the section 3 defaults being the vars."""
    assert contract.threshold("gate_vegas_coverage_warn_below") == 35
    assert contract.threshold("gate_vegas_coverage_error_below") == 20
    assert contract.threshold("gate_pct_ready_error_below") == 60
    assert contract.threshold("gate_min_players_per_date") == 100


def test_gates_pass_clean_and_catch_a_broken_date(small_warehouse) -> None:
    db = small_warehouse.db
    window = clean_window(db)
    broken_date = window[0] + dt.timedelta(days=2)
    oracle = daily_oracle(db, *window)
    assert all(rows >= 100 and vegas >= 10 and ready >= 2 for rows, vegas, ready in oracle.values())

    # Clean window, relaxed thresholds: every gate passes.
    clean = run_gates(small_warehouse, *window, **RELAXED)
    assert {name: status for name, (status, _) in clean.items()} == dict.fromkeys(GATES, "pass")

    # Default thresholds: coverage between 20 and 35 warns (never fails).
    defaults = run_gates(small_warehouse, *window)
    below_warn = sum(1 for _, vegas, _ in oracle.values() if vegas < 35)
    assert not any(vegas < 20 for _, vegas, _ in oracle.values())
    assert defaults["gate_vegas_coverage"] == ("warn" if below_warn else "pass", below_warn)

    # Break one date: drop the lines of all players but one from both
    # sources (raw), and the opponent defense table, so features 13-14
    # default for every row. (One priced player is kept: a date-window
    # rebuild replaces only dates its new rows have.)
    keep = "(select min(player_name) from {table} where game_date = ?)"
    execute(
        db,
        (f"delete from {RAW}.odds_api_player_points_props where game_date = ?"
         f" and player_name != {keep.format(table=RAW + '.odds_api_player_points_props')}",
         [broken_date, broken_date]),
        (f"delete from {RAW}.bettingpros_player_points_props where game_date = ?"
         f" and player_name != {keep.format(table=RAW + '.bettingpros_player_points_props')}",
         [broken_date, broken_date]),
        (f"delete from {TEAM_DEFENSE} where analysis_date = ?", [broken_date]),
    )
    # The raw props reach player_prop_lines through base staging tables: a
    # build re-stages the date whose raw row count no longer matches (the
    # deletion), then the date's lines and everything after are rebuilt.
    small_warehouse.dbt("run", "--select",
                        "base_nba_raw__odds_api_player_points_props",
                        "base_nba_raw__bettingpros_player_points_props")
    small_warehouse.dbt("run", "--select", "player_prop_lines+", "--vars",
                        window_vars(broken_date, broken_date))
    broken = daily_oracle(db, broken_date, broken_date)[broken_date]
    assert 0 < broken[1] < 5 and broken[2] == 0.0

    failed = run_gates(small_warehouse, *window, **RELAXED)
    assert failed["gate_vegas_coverage"] == ("fail", 1)
    assert failed["gate_pct_ready"] == ("fail", 1)
    assert failed["gate_canary_players_with_row"] == ("pass", 0)

    # Same data, an error threshold below the value: only a warning.
    warned = run_gates(small_warehouse, *window, **{
        **RELAXED, "gate_vegas_coverage_error_below": -1, "gate_pct_ready_error_below": -1})
    assert warned["gate_vegas_coverage"] == ("warn", 1)
    assert warned["gate_pct_ready"] == ("warn", 1)

    # A window without the broken date is not judged on it.
    before = run_gates(small_warehouse, window[0], broken_date - dt.timedelta(days=1), **RELAXED)
    assert before["gate_vegas_coverage"] == ("pass", 0)


def test_odds_outage_date_fails_its_window(small_warehouse) -> None:
    """An injected outage date (the odds API and BettingPros scraped nothing)."""
    with duckdb.connect(str(small_warehouse.db), read_only=True) as con:
        outage_date = con.execute(
            f"select min(game_date) from {RAW}.generation_manifest"
            " where kind = 'odds_api_outage_date'"
        ).fetchone()[0]
    assert outage_date is not None
    assert daily_oracle(small_warehouse.db, outage_date, outage_date)[outage_date][1] < 20
    outage = run_gates(small_warehouse, outage_date, outage_date)
    assert outage["gate_vegas_coverage"] == ("fail", 1)
    # gate_severity: warn reports the same date without failing the build.
    relaxed = run_gates(small_warehouse, outage_date, outage_date, gate_severity="warn")
    assert relaxed["gate_vegas_coverage"] == ("warn", 1)


def test_canary_fails_a_date_without_rows(small_warehouse) -> None:
    db = small_warehouse.db
    window = clean_window(db)
    broken_date = window[0] + dt.timedelta(days=2)
    execute(db, (f"delete from {FEATURES} where game_date = ?", [broken_date]))
    small_warehouse.dbt("run", "--select", "daily_quality_counts", "--vars",
                        window_vars(broken_date, broken_date))
    results = run_gates(small_warehouse, *window, **RELAXED)
    assert results["gate_canary_players_with_row"] == ("fail", 1)


def test_thresholds_apply_when_the_date_is_built(small_warehouse) -> None:
    """The levels are computed once, at build: a threshold passed to `dbt
    test` alone does not re-judge, the next build of the date does."""
    window = clean_window(small_warehouse.db)
    built = run_gates(small_warehouse, *window, **RELAXED)
    assert built["gate_pct_ready"] == ("pass", 0)
    strict = window_vars(*window, gate_pct_ready_warn_below=101, gate_pct_ready_error_below=101)
    small_warehouse.dbt("test", "--select", "gate_pct_ready", "--vars", strict, check=False)
    results = json.loads((Path(small_warehouse.work) / "target" / "run_results.json").read_text())
    assert [(r["status"], r["failures"]) for r in results["results"]] == [("pass", 0)]
    rebuilt = run_gates(small_warehouse, *window, gate_pct_ready_warn_below=101,
                        gate_pct_ready_error_below=101)
    assert rebuilt["gate_pct_ready"] == ("fail", WINDOW_DAYS)
