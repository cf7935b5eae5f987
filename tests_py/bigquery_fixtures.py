"""The `small` sample built on the BigQuery emulator, once per test session.

Used by test_bigquery_parity.py and test_partition_filters.py. The build
generates the `small` preset (the same raw rows as conftest's
`small_warehouse_template`, which the parity test compares with), starts
bqemulator (from `.venv-bq`, `make setup-bq`) on 127.0.0.1, loads the raw
tables into dataset nba_raw, runs `dbt build` (seeds, models, data tests,
unit tests) with target bqemu, then runs the date window WINDOW twice as an
incremental run (`dbt run`, then `dbt build` without unit tests), compiles
the analyses, keeps the dbt artifacts of every step and stops the emulator.
Rows the tests compare are fetched before it stops.

The build takes minutes, almost all of it in the emulator process (one
core), so conftest starts it in a background thread as soon as collection
finds a test that needs it (`start_background_build`); the rest of the
suite runs meanwhile, and `emulator_build_result` waits for it.

Runs only when NBA_BQEMU_TESTS=1 (`make test` and `make test-bigquery` set
it): the build needs the emulator's own environment.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, run_dbt, run_nba_fs
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
    # raw table -> rows loaded into the emulator
    raw_counts: dict[str, int] = field(default_factory=dict)

    def run_results(self, step: str) -> list[dict[str, Any]]:
        path = self.target_dirs[step] / "run_results.json"
        return json.loads(path.read_text())["results"]


# The session's one background build: its thread, result or error, and the
# running emulator (so an interrupted session can still stop it).
_BACKGROUND: dict[str, Any] = {}
BUILD_TIMEOUT_S = 40 * 60


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


def build_on_emulator(work: Path) -> EmulatorBuild:
    """Generate the small sample and run the whole emulator build in `work`."""
    work.mkdir(parents=True, exist_ok=True)
    build = EmulatorBuild(work=work, project=bq_emulator.DEFAULT_PROJECT)
    started = time.perf_counter()
    raw = work / "raw.duckdb"
    run_nba_fs(["generate", "--db", str(raw), "--preset", "small"], db=raw, work=work)
    emulator = bq_emulator.start_emulator(emulator_venv(), work / "emulator", build.project)
    _BACKGROUND["emulator"] = emulator
    try:
        build.seconds["generate_and_start"] = time.perf_counter() - started
        client = bq_emulator.client_for(emulator.endpoint, build.project)
        loaded = time.perf_counter()
        build.raw_counts = bq_emulator.load_raw_from_duckdb(client, raw)
        build.seconds["load_raw"] = time.perf_counter() - loaded
        # The sample injects odds outages on purpose, so the gates only warn
        # (as in `make demo`); parity of the counts they read is tested.
        _dbt_step(build, "build", emulator.endpoint,
                  ["build", "--full-refresh", "--vars", json.dumps(SAMPLE_VARS)])
        # the window twice: models only, then models with their data tests
        # (which read only the window's partitions on an incremental build)
        window = ["--select", "config.materialized:incremental", "--vars", json.dumps(WINDOW)]
        _dbt_step(build, "window_1", emulator.endpoint, ["run", *window])
        _dbt_step(build, "window_2", emulator.endpoint,
                  ["build", *window, "--exclude-resource-type", "unit_test"])
        # analyses are compiled, not run, by dbt: their SQL is checked
        _dbt_step(build, "analyses", emulator.endpoint,
                  ["compile", "--select", "resource_type:analysis"])
        for table, schema in COMPARED.items():
            build.rows[table] = fetch_rows(client, build.project, schema, table)
    finally:
        bq_emulator.stop_emulator(emulator)
    build.seconds["total"] = time.perf_counter() - started
    return build


def start_background_build() -> None:
    """Start the session's emulator build in a thread (once)."""
    if "thread" in _BACKGROUND:
        return
    work = Path(tempfile.mkdtemp(prefix="nba-bqemu-"))

    def run() -> None:
        try:
            _BACKGROUND["build"] = build_on_emulator(work)
        except BaseException as exc:  # re-raised in the tests that need it
            _BACKGROUND["error"] = exc

    thread = threading.Thread(target=run, name="bqemu-build", daemon=True)
    _BACKGROUND["thread"] = thread
    thread.start()


def stop_background_build() -> None:
    """Stop the emulator if the session ends while the build still runs;
    remove the build's files if it succeeded (kept for a look otherwise)."""
    emulator = _BACKGROUND.get("emulator")
    if emulator is not None:
        bq_emulator.stop_emulator(emulator)
    build = _BACKGROUND.get("build")
    if build is not None:
        shutil.rmtree(build.work, ignore_errors=True)


def emulator_build_result() -> EmulatorBuild:
    """The session's emulator build: waits for the background build (started
    here if conftest did not), then returns it or raises its error."""
    require_emulator()
    start_background_build()
    thread: threading.Thread = _BACKGROUND["thread"]
    thread.join(BUILD_TIMEOUT_S)
    if thread.is_alive():
        pytest.fail(f"emulator build still running after {BUILD_TIMEOUT_S} s")
    if "error" in _BACKGROUND:
        raise _BACKGROUND["error"]
    build: EmulatorBuild = _BACKGROUND["build"]
    print(f"emulator build seconds: {json.dumps(build.seconds)}")
    return build
