"""The same sample built on DuckDB and on the BigQuery emulator agrees.

`small_warehouse_template` (conftest) is the DuckDB build; bigquery_fixtures
builds the same raw tables on bqemulator with dbt-bigquery (full build, then
the window 2021-12-01..07 twice as incremental runs). The feature store must
have the same keys, feature values equal within 1e-9 and the same sources
and flags; daily quality counts must be equal. Timestamps of the build
(created_at / updated_at) are the only columns left out.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from bigquery_fixtures import (BACKFILL_DATES, COMPARED, WINDOW, EmulatorBuild, emulator_build_result,
                               python_layer_reads)
from conftest import BuiltWarehouse
from python_hooks import raw_contract, warehouse

TOLERANCE = 1e-9
# Legacy type names the BigQuery API may answer with, as standard SQL names.
BIGQUERY_TYPE_ALIASES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOL": "BOOLEAN"}
BUILD_TIME_COLUMNS = {"created_at", "updated_at"}
KEYS = {
    "ml_feature_store_v2": ("player_lookup", "game_date"),
    "daily_quality_counts": ("game_date",),
}


@pytest.fixture(scope="module")
def emulator_build() -> EmulatorBuild:
    return emulator_build_result()


def duckdb_rows(db: Path, schema: str, table: str) -> list[dict[str, Any]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute(f'select * from "{schema}"."{table}"')
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()


def normalise(value: Any) -> Any:
    """One representation per value across both engines: the emulator returns
    COUNTIF/SUM of integers as NUMERIC (Decimal) and arrays as lists."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def values_equal(left: Any, right: Any, tolerance: float = TOLERANCE) -> bool:
    left, right = normalise(left), normalise(right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            values_equal(a, b, tolerance) for a, b in zip(left, right))
    if isinstance(left, bool) or isinstance(right, bool):
        return left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return abs(left - right) <= tolerance * max(1.0, abs(left), abs(right))
    return left == right


def is_rounding_tie(left: Any, right: Any) -> bool:
    """Two one-decimal values one rounding step apart (35.0 vs 35.1).

    The emulator evaluates some arithmetic in NUMERIC (it returns COUNTIF and
    integer SUMs as NUMERIC), so an exact x.x5 rounds up there while DuckDB's
    double (and BigQuery's FLOAT64) holds x.x4999... and rounds down.
    """
    left, right = normalise(left), normalise(right)
    if isinstance(left, list) and isinstance(right, list):
        # the feature vector carries the same rounded values
        pairs = list(zip(left, right))
        return (len(left) == len(right) and any(is_rounding_tie(a, b) for a, b in pairs)
                and all(values_equal(a, b) or is_rounding_tie(a, b) for a, b in pairs))
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
        return False
    one_decimal = all(abs(v * 10 - round(v * 10)) < 1e-6 for v in (left, right))
    return one_decimal and abs(abs(left - right) - 0.1) < 1e-6


def differences(table: str, ours: list[dict[str, Any]], theirs: list[dict[str, Any]],
                limit: int = 20, ties: list[str] | None = None) -> list[str]:
    """Human-readable differences between two row sets keyed by KEYS[table].

    Rounding ties (is_rounding_tie) go to `ties` instead, when given."""
    keys = KEYS[table]
    left = {tuple(row[k] for k in keys): row for row in ours}
    right = {tuple(row[k] for k in keys): row for row in theirs}
    found: list[str] = []
    only_left, only_right = left.keys() - right.keys(), right.keys() - left.keys()
    if only_left or only_right:
        found.append(f"{table}: {len(only_left)} keys only on DuckDB (e.g. {sorted(only_left)[:3]}), "
                     f"{len(only_right)} only on the emulator (e.g. {sorted(only_right)[:3]})")
    columns_left = set(ours[0]) if ours else set()
    columns_right = set(theirs[0]) if theirs else set()
    if columns_left != columns_right:
        found.append(f"{table}: columns differ: {sorted(columns_left ^ columns_right)}")
    compared = sorted((columns_left & columns_right) - BUILD_TIME_COLUMNS)
    for key in sorted(left.keys() & right.keys()):
        for column in compared:
            if not values_equal(left[key][column], right[key][column]):
                if ties is not None and is_rounding_tie(left[key][column], right[key][column]):
                    ties.append(f"{key} {column}")
                    continue
                found.append(f"{table} {key} {column}: DuckDB {left[key][column]!r} "
                             f"!= emulator {right[key][column]!r}")
                if len(found) >= limit:
                    return found
    return found


def test_values_equal_tolerates_only_tiny_float_noise() -> None:
    assert values_equal(0.1 + 0.2, 0.3)
    assert values_equal([1.0, Decimal("2")], [1.0, 2.0])
    assert not values_equal(1.0, 1.0 + 1e-6)
    assert not values_equal("phase4", "default")
    assert not values_equal(True, False)
    assert not values_equal([1.0, 2.0], [1.0])


def test_differences_reports_missing_keys_and_changed_values() -> None:
    base = {"game_date": dt.date(2021, 12, 1), "records": 3, "created_at": 1}
    assert differences("daily_quality_counts", [base], [dict(base, created_at=2)]) == []
    changed = differences("daily_quality_counts", [base], [dict(base, records=4)])
    assert len(changed) == 1 and "records" in changed[0]
    missing = differences("daily_quality_counts", [base], [])
    assert "1 keys only on DuckDB" in missing[0]


def test_emulator_build_passed_every_node(emulator_build: EmulatorBuild) -> None:
    """dbt build on the emulator: every model, seed, test and unit test ran."""
    results = [r for r in emulator_build.run_results("build")
               if r["unique_id"].split(".")[0] in ("model", "seed", "test", "unit_test")]
    bad = [(r["unique_id"], r["status"]) for r in results if r["status"] not in ("success", "pass", "warn")]
    assert results and not bad
    kinds = {r["unique_id"].split(".")[0] for r in results}
    assert {"model", "seed", "test", "unit_test"} <= kinds


def test_window_reruns_are_incremental(emulator_build: EmulatorBuild) -> None:
    """Both window runs built the incremental models as incremental merges;
    the second (a build) also ran their data tests."""
    for step in ("window_1", "window_2"):
        results = emulator_build.run_results(step)
        models = [r for r in results if r["unique_id"].startswith("model.")]
        assert models and all(r["status"] == "success" for r in models)
        assert all(r["status"] in ("pass", "warn") for r in results if r not in models)
        run_sql = emulator_build.target_dirs[step] / "run"
        feature_store = next(run_sql.rglob("ml_feature_store_v2.sql")).read_text().lower()
        assert "merge into" in feature_store
        assert f"date '{WINDOW['start_date']}'" in feature_store
    tests = [r for r in emulator_build.run_results("window_2") if r["unique_id"].startswith("test.")]
    assert len(tests) >= 100


def test_emulator_loaded_the_same_raw_rows(emulator_build: EmulatorBuild,
                                           small_warehouse_template: BuiltWarehouse) -> None:
    """Both builds start from the same generated raw tables (the emulator
    build generates the `small` preset itself, to start early)."""
    con = duckdb.connect(str(small_warehouse_template.db), read_only=True)
    try:
        ours = {name: con.execute(f'select count(*) from nba_raw."{name}"').fetchone()[0]
                for name in emulator_build.raw_counts}
    finally:
        con.close()
    assert set(ours) == set(raw_contract.tables()) | {"generation_manifest"}
    assert ours == emulator_build.raw_counts


def test_emulator_raw_tables_are_typed_and_partitioned_as_production(
        emulator_build: EmulatorBuild) -> None:
    """Every table of the raw interface is created from the raw contract
    (models/staging/_sources.yml): its columns, types and NOT NULL columns,
    partitioned by day on its partition column, and require_partition_filter
    where production requires a filter. The emulator keeps the option but
    does not enforce it (test_partition_filters.py checks the SQL instead)."""
    contract = raw_contract.tables()
    assert len(contract) == 8
    relaxed = set()
    for name, columns in contract.items():
        partition, required, schema = emulator_build.raw_tables[name]
        assert (partition, required) == raw_contract.partition(name), name
        expected = {c.name: (c.bq_type, "REQUIRED" if c.not_null else "NULLABLE")
                    for c in columns}
        created = {column: (BIGQUERY_TYPE_ALIASES.get(kind, kind), mode)
                   for column, (kind, mode) in schema.items()}
        relaxed |= {(name, column) for column in expected
                    if expected[column][1] == "REQUIRED" and created[column][1] == "NULLABLE"}
        assert {column: kind for column, (kind, _) in created.items()} == {
            column: kind for column, (kind, _) in expected.items()}, name
        assert all(created[column] == expected[column] for column in expected
                   if (name, column) not in relaxed), name
    assert sum(required for _, required, _ in emulator_build.raw_tables.values()) >= 5
    # A NOT NULL column left NULLABLE holds a NULL the sample injects on
    # purpose (its manifest says so); any other would be a sample bug.
    assert relaxed <= {(table, "player_name") for table in emulator_build.null_name_tables}


def test_python_layer_reads_the_same_on_both_engines(emulator_build: EmulatorBuild,
                                                     small_warehouse_template: BuiltWarehouse) -> None:
    """dispatch, worker, alerts, report and backfill read the same rows through
    BigQueryWarehouse on the emulator as through DuckDBWarehouse."""
    with warehouse.DuckDBWarehouse(str(small_warehouse_template.db), read_only=True) as wh:
        ours = python_layer_reads(wh)
    assert sum(dispatched for _, dispatched, _ in ours["dispatch"]) > 0
    assert ours["alerts"] and ours["backfill_dates"]
    theirs = {key: emulator_build.python_layer[key] for key in ours}
    assert theirs == ours


def test_backfill_command_on_bigquery(emulator_build: EmulatorBuild,
                                     small_warehouse_template: BuiltWarehouse) -> None:
    """`nba-fs backfill` with NBA_WAREHOUSE=bigquery and target bqemu rebuilt
    its dates and counted the rows the DuckDB build has for them (the
    compared tables, fetched after it, are checked by the parity tests)."""
    state = emulator_build.python_layer["backfill_state"]
    assert state["status"] == "done" and state["done"] == list(BACKFILL_DATES)
    con = duckdb.connect(str(small_warehouse_template.db), read_only=True)
    try:
        ours = {day: con.execute("select count(*) from nba_predictions.ml_feature_store_v2"
                                 " where game_date = ?", [day]).fetchone()[0]
                for day in BACKFILL_DATES}
    finally:
        con.close()
    assert state["rows_by_date"] == ours and min(ours.values()) > 0


def test_dispatch_command_on_bigquery(emulator_build: EmulatorBuild) -> None:
    """`nba-fs dispatch` with NBA_WAREHOUSE=bigquery: the first run dispatches
    every player the gate passes and records them in its ledger table; the
    second run finds them all already dispatched."""
    first = emulator_build.python_layer["dispatch_1"]
    second = emulator_build.python_layer["dispatch_2"]
    expected = sum(dispatched for _, dispatched, _ in emulator_build.python_layer["dispatch"])
    assert first["dispatched"] == expected > 0 and first["ledger_error"] is None
    assert second["dispatched"] == 0 and second["skipped_existing"] == expected


def test_drift_command_on_bigquery(emulator_build: EmulatorBuild) -> None:
    """`nba-fs drift record` stores the built models in nba_ops on BigQuery;
    `nba-fs drift check` then reads them back and finds no drift."""
    drift = emulator_build.python_layer["drift"]
    recorded = re.search(r"recorded (\d+) deployed model", drift["record"])
    assert recorded and int(recorded.group(1)) >= 30, drift["record"]
    assert drift["check_exit"] == 0, drift["check"]


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_duckdb_and_emulator_builds_agree(table: str, emulator_build: EmulatorBuild,
                                          small_warehouse_template: BuiltWarehouse) -> None:
    ours = duckdb_rows(small_warehouse_template.db, COMPARED[table], table)
    theirs = emulator_build.rows[table]
    assert ours, f"{table} is empty on DuckDB"
    ties: list[str] = []
    assert differences(table, ours, theirs, ties=ties) == []
    # rounding ties are an emulator artefact, and rare: at most 1 in 200
    # rows (and at least one allowed on a small table)
    assert len(ties) <= max(1, len(ours) // 200), ties[:20]


def test_rounding_ties_are_one_step_of_one_decimal() -> None:
    assert is_rounding_tie(35.0, 35.1) and is_rounding_tie(Decimal("99.1"), 99.0)
    assert not is_rounding_tie(35.0, 35.2)
    assert not is_rounding_tie(35.01, 35.11)
    assert not is_rounding_tie(True, 1.1)
    assert is_rounding_tie([1.5, 35.0], [1.5, 35.1])
    assert not is_rounding_tie([1.25, 35.0], [1.26, 35.1])
    assert not is_rounding_tie([1.5, 35.0], [1.5, 35.0])
    ties: list[str] = []
    base = {"game_date": dt.date(2021, 12, 1), "pct": 35.0}
    assert differences("daily_quality_counts", [base], [dict(base, pct=35.1)], ties=ties) == []
    assert len(ties) == 1
