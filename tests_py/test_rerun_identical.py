"""Reruns are identical (docs/features.md, "Reruns are identical").

Building the same window twice, or the whole history twice, must give the
same rows in every date-keyed (incremental) model: every column equal, bit
for bit, except the run-bookkeeping columns listed in RUN_COLUMNS (and in the
docs). The window test runs on a private copy of the session's `small`
build; the full-history comparison of two builds is the command line of this
file (see `main`), which the benchmark notes use on the default sample:

    python tests_py/test_rerun_identical.py first.duckdb second.duckdb
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import BuiltWarehouse, preset_run_date

pytestmark = pytest.mark.dbt

# Every date-keyed model: (schema env layer default, name) -> row key.
DATE_KEYED_MODELS: dict[tuple[str, str], tuple[str, ...]] = {
    ("nba_precompute", "player_daily_cache"): ("cache_date", "player_lookup"),
    ("nba_precompute", "player_shot_zone_analysis"): ("analysis_date", "player_lookup"),
    ("nba_precompute", "team_defense_zone_analysis"): ("analysis_date", "team_abbr"),
    ("nba_precompute", "int_composite_factor_inputs"): ("game_date", "player_lookup"),
    ("nba_precompute", "player_composite_factors"): ("game_date", "player_lookup"),
    ("nba_precompute", "player_prop_lines"): ("game_date", "player_lookup"),
    ("nba_predictions", "int_player_feature_inputs"): ("game_date", "player_lookup"),
    ("nba_predictions", "int_player_features_computed"): ("game_date", "player_lookup"),
    ("nba_predictions", "ml_feature_store_v2"): ("game_date", "player_lookup"),
    ("nba_monitoring", "daily_quality_counts"): ("game_date",),
    ("nba_monitoring", "vegas_coverage_daily"): ("game_date",),
    ("nba_monitoring", "scraper_health_star_lines"): ("game_date", "player_lookup"),
    ("nba_monitoring", "feature_store_gaps"): ("game_date", "player_lookup"),
}

# Columns a rerun may change: when the run happened, and how many runs saw a
# gap. Keep in step with docs/features.md ("Reruns are identical").
RUN_COLUMNS: dict[str, frozenset[str]] = {
    "ml_feature_store_v2": frozenset({"created_at", "updated_at"}),
    "feature_store_gaps": frozenset(
        {"detected_at", "last_seen_at", "resolved_at", "attempt_count"}),
}

WINDOW = {"start_date": "2021-12-14", "end_date": "2021-12-16"}
DEFAULT_WINDOW = {"start_date": "2024-11-09", "end_date": "2024-11-11"}


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str,
             table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns"
        " where table_catalog = ? and table_schema = ? and table_name = ?"
        " order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()
    return [row[0] for row in rows]


def differing_cells(first: Path, second: Path, *, include_run_columns: bool = False,
                    where: str = "true") -> dict[str, dict[str, int]]:
    """Per model and column, how many keyed rows differ between two builds
    (`is distinct from`: exact, NULL-safe). '<rows>' counts keys present in
    one build only. Run columns are left out unless asked for."""
    found: dict[str, dict[str, int]] = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{first}' as a (read_only)")
        con.execute(f"attach '{second}' as b (read_only)")
        for (schema, table), key in DATE_KEYED_MODELS.items():
            columns = _columns(con, "a", schema, table)
            assert columns, f"{schema}.{table} missing in {first}"
            compared = [
                column for column in columns
                if column not in key
                and (include_run_columns or column not in RUN_COLUMNS.get(table, ()))
            ]
            join = " and ".join(f"a_.{k} is not distinct from b_.{k}" for k in key)
            counts = ", ".join(
                f"count(*) filter (where a_.{k0} is not null and b_.{k0} is not null"
                f" and a_.{c} is distinct from b_.{c})"
                for c in compared for k0 in key[:1]
            )
            only = (f"count(*) filter (where a_.{key[0]} is null"
                    f" or b_.{key[0]} is null)")
            date = key[0]
            sql = (
                f"select {only}, {counts} from"
                f" (select * from a.{schema}.{table} where {where.format(date=date)}) as a_"
                f" full outer join"
                f" (select * from b.{schema}.{table} where {where.format(date=date)}) as b_"
                f" on {join}"
            )
            values = con.execute(sql).fetchone()
            assert values is not None
            diff = {"<rows>": values[0]} if values[0] else {}
            diff.update({c: n for c, n in zip(compared, values[1:]) if n})
            if diff:
                found[table] = diff
    return found


def test_a_window_built_twice_is_identical(small_warehouse) -> None:
    """A window rebuilt twice in a row (same data, same run date) and the
    full build it started from: every column of every date-keyed model
    identical on the window's dates, run columns aside."""
    full = small_warehouse.work / "full.duckdb"
    first = small_warehouse.work / "first.duckdb"
    shutil.copyfile(small_warehouse.db, full)
    window = json.dumps(WINDOW)
    small_warehouse.dbt("run", "--vars", window)
    shutil.copyfile(small_warehouse.db, first)
    small_warehouse.dbt("run", "--vars", window)
    in_window = (f"{{date}} between date '{WINDOW['start_date']}'"
                 f" and date '{WINDOW['end_date']}'")
    changed = differing_cells(full, first, where=in_window)
    assert not changed, f"the window build differs from the full build: {changed}"
    changed = differing_cells(first, small_warehouse.db, where=in_window)
    assert not changed, f"a rerun changed: {changed}"
    # the comparison does see a run column move (proof it compares anything):
    # every rerun counts one more attempt of each gap
    moved = differing_cells(first, small_warehouse.db, include_run_columns=True,
                            where=in_window)
    assert "attempt_count" in moved.get("feature_store_gaps", {})


def test_a_window_of_the_default_sample_built_twice_is_identical(
        default_warehouse_path: Path, tmp_path: Path) -> None:
    """The same on a copy of the default sample (`make test` builds it),
    large enough for the engine to add in parallel: the small preset never
    showed the float drift. About a minute."""
    db = tmp_path / "nba.duckdb"
    shutil.copyfile(default_warehouse_path, db)
    # the run date `make ci-warehouse` builds the default sample with
    warehouse = BuiltWarehouse(db=db, work=tmp_path, run_date=preset_run_date("default"))
    full = tmp_path / "full.duckdb"
    shutil.copyfile(db, full)
    window = json.dumps(DEFAULT_WINDOW)
    in_window = (f"{{date}} between date '{DEFAULT_WINDOW['start_date']}'"
                 f" and date '{DEFAULT_WINDOW['end_date']}'")
    warehouse.dbt("run", "--vars", window)
    first = tmp_path / "first.duckdb"
    shutil.copyfile(db, first)
    warehouse.dbt("run", "--vars", window)
    assert not differing_cells(full, first, where=in_window), "full build vs window"
    assert not differing_cells(first, db, where=in_window), "window vs window"


def main(argv: list[str]) -> int:
    """Compare two builds of the same data: prints differing cells per model."""
    first, second = Path(argv[0]), Path(argv[1])
    changed = differing_cells(first, second)
    total = sum(sum(columns.values()) for columns in changed.values())
    for table, columns in changed.items():
        print(table, json.dumps(columns))
    print(f"differing cells (run columns excluded): {total}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
