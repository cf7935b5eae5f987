"""The `small` sample built on the BigQuery emulator, once per test session.

Used by test_bigquery_parity.py and test_partition_filters.py. The build
starts bqemulator (from `.venv-bq`, `make setup-bq`) on 127.0.0.1, loads the
raw tables of the session's DuckDB sample (conftest's
`small_warehouse_template`) into dataset nba_raw, runs `dbt build` (seeds,
models, data tests, unit tests) with target bqemu, then runs the date window
WINDOW twice as an incremental run, keeps the dbt artifacts of every step and
stops the emulator. Rows the tests compare are fetched before it stops.

Runs only when NBA_BQEMU_TESTS=1 (`make test-bigquery` sets it): the build
takes minutes and needs the emulator's own environment.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, BuiltWarehouse, run_dbt
from python_hooks import bq_emulator

SAMPLE_VARS = {"gate_severity": "warn"}
WINDOW = {"start_date": "2021-12-01", "end_date": "2021-12-07", **SAMPLE_VARS}
# Tables the parity test compares, by schema (dataset) and name.
COMPARED = {
    "ml_feature_store_v2": "nba_predictions",
    "daily_quality_counts": "nba_monitoring",
}


@dataclass
class EmulatorBuild:
    """What the emulator build left behind for the tests."""

    work: Path
    project: str
    # step name -> dbt target dir of that step (compiled/, run/, manifest)
    target_dirs: dict[str, Path] = field(default_factory=dict)
    # table name -> rows fetched from the emulator after the window reruns
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def run_results(self, step: str) -> list[dict[str, Any]]:
        path = self.target_dirs[step] / "run_results.json"
        return json.loads(path.read_text())["results"]


_BUILDS: dict[str, EmulatorBuild] = {}


def emulator_venv() -> Path:
    return Path(os.environ.get("NBA_BQEMU_VENV", str(ROOT / ".venv-bq")))


def require_emulator() -> None:
    if os.environ.get("NBA_BQEMU_TESTS") != "1":
        pytest.skip("BigQuery emulator build: run through `make test-bigquery`")
    if not (emulator_venv() / "bin" / "bqemulator").exists():
        pytest.fail(f"no bqemulator in {emulator_venv()}: run `make setup-bq`")


def _dbt_step(build: EmulatorBuild, step: str, endpoint: str, args: list[str]) -> None:
    target = build.work / step / "target"
    started = time.perf_counter()
    run_dbt(
        [*args, "--target", "bqemu"],
        db=build.work / "unused.duckdb", work=build.work / step,
        env={"NBA_BQEMU_ENDPOINT": endpoint, "NBA_BQEMU_PROJECT": build.project},
    )
    build.seconds[step] = time.perf_counter() - started
    build.target_dirs[step] = target


def fetch_rows(client: Any, project: str, schema: str, table: str) -> list[dict[str, Any]]:
    query = f"select * from `{project}.{schema}.{table}`"
    return [dict(row.items()) for row in client.query(query).result()]


def build_on_emulator(duckdb_sample: BuiltWarehouse, work: Path) -> EmulatorBuild:
    """Run the whole emulator build once; later calls get the same result."""
    key = str(duckdb_sample.db)
    if key in _BUILDS:
        return _BUILDS[key]
    build = EmulatorBuild(work=work, project=bq_emulator.DEFAULT_PROJECT)
    started = time.perf_counter()
    emulator = bq_emulator.start_emulator(emulator_venv(), work / "emulator", build.project)
    try:
        build.seconds["start"] = time.perf_counter() - started
        client = bq_emulator.client_for(emulator.endpoint, build.project)
        loaded = time.perf_counter()
        bq_emulator.load_raw_from_duckdb(client, duckdb_sample.db)
        build.seconds["load_raw"] = time.perf_counter() - loaded
        # The sample injects odds outages on purpose, so the gates only warn
        # (as in `make demo`); parity of the counts they read is tested.
        _dbt_step(build, "build", emulator.endpoint,
                  ["build", "--full-refresh", "--vars", json.dumps(SAMPLE_VARS)])
        window = ["run", "--select", "config.materialized:incremental",
                  "--vars", json.dumps(WINDOW)]
        _dbt_step(build, "window_1", emulator.endpoint, window)
        _dbt_step(build, "window_2", emulator.endpoint, window)
        for table, schema in COMPARED.items():
            build.rows[table] = fetch_rows(client, build.project, schema, table)
    finally:
        bq_emulator.stop_emulator(emulator)
    build.seconds["total"] = time.perf_counter() - started
    print(f"emulator build seconds: {json.dumps(build.seconds)}")
    _BUILDS[key] = build
    return build
