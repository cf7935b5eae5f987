"""The `small` sample built on the BigQuery emulator, once per test session.

Used by test_bigquery_parity.py and test_partition_filters.py. The build
generates the `small` preset (the same raw rows as conftest's
`small_warehouse_template`, which the parity test compares with), starts
bqemulator (from `.venv-bq`, `make setup-bq`) on 127.0.0.1, loads the raw
tables into dataset nba_raw, runs `dbt build` (seeds, models, data tests,
unit tests) with target bqemu, then runs the date window WINDOW twice as an
incremental run (`dbt run`, then `dbt build` without unit tests), compiles
the analyses, runs `nba-fs backfill` over two dates, fetches the rows the
tests compare, runs the Python layer's reads, `nba-fs dispatch` (twice) and
`nba-fs drift` (record, check) against it, keeps the dbt artifacts of every step and stops the emulator.

The build takes minutes, almost all of it in the emulator process (one
core), so conftest starts it in a background thread as soon as collection
finds a test that needs it (`start_background_build`); the rest of the
suite runs meanwhile, and `emulator_build_result` waits for it.

Under pytest-xdist (`make test`) the controller process runs the build
(conftest's xdist hooks: a worker that collected emulator tests asks for it
through the dir named by NBA_BQEMU_SHARED) and leaves its result there,
pickled; the workers that run the emulator tests wait for that file. So the
build runs once, whichever workers get the tests.

Runs only when NBA_BQEMU_TESTS=1 (`make test` and `make test-bigquery` set
it): the build needs the emulator's own environment.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import ROOT, run_dbt, run_nba_fs
import bq_emulator
from python_hooks import alerts, backfill, dispatch, gate, report, warehouse

SAMPLE_VARS = {"gate_severity": "warn"}
WINDOW = {"start_date": "2021-12-01", "end_date": "2021-12-07", **SAMPLE_VARS}
# dates `nba-fs backfill` rebuilds on the emulator (one chunk)
BACKFILL_DATES = ("2021-12-01", "2021-12-02")
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
    # raw table -> (partition column, require_partition_filter, {column: (type,
    # mode)}) as the emulator reports the created table
    raw_tables: dict[str, tuple[str | None, bool, dict[str, tuple[str, str]]]] = field(
        default_factory=dict)
    # raw tables where the sample injects a NULL player name (its manifest)
    null_name_tables: set[str] = field(default_factory=set)
    # what the Python layer read from the emulator (python_layer_reads)
    python_layer: dict[str, Any] = field(default_factory=dict)

    def run_results(self, step: str) -> list[dict[str, Any]]:
        path = self.target_dirs[step] / "run_results.json"
        return json.loads(path.read_text())["results"]


# The session's one background build: its thread, result or error, and the
# running emulator (so an interrupted session can still stop it).
_BACKGROUND: dict[str, Any] = {}
BUILD_TIMEOUT_S = 40 * 60
# xdist: the dir where the controller's build leaves RESULT_FILE (and
# STARTED_FILE as soon as it starts), inherited by the workers
SHARED_ENV = "NBA_BQEMU_SHARED"
ASKED_FILE, STARTED_FILE, RESULT_FILE = "asked", "started", "result.pickle"


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
        base_env=_BACKGROUND["env"],
    )
    build.seconds[step] = time.perf_counter() - started
    build.target_dirs[step] = target


def _nba_fs(args: list[str], **kwargs: Any) -> Any:
    """run_nba_fs with the environment captured when the build started."""
    return run_nba_fs(args, base_env=_BACKGROUND["env"], **kwargs)


def fetch_rows(client: Any, project: str, schema: str, table: str) -> list[dict[str, Any]]:
    query = f"select * from `{project}.{schema}.{table}`"
    return [dict(row.items()) for row in client.query(query).result()]


def raw_table_metadata(client: Any, project: str, names: Any
                       ) -> dict[str, tuple[str | None, bool, dict[str, tuple[str, str]]]]:
    """How the emulator holds each loaded raw table: partition column,
    require_partition_filter (from INFORMATION_SCHEMA.TABLE_OPTIONS, as a
    BigQuery user would see it) and column types and modes."""
    required = {row["table_name"] for row in client.query(
        f"select table_name from `{project}.{bq_emulator.RAW_DATASET}.INFORMATION_SCHEMA.TABLE_OPTIONS`"
        " where option_name = 'require_partition_filter' and option_value = 'true'").result()}
    found = {}
    for name in names:
        table = client.get_table(f"{project}.{bq_emulator.RAW_DATASET}.{name}")
        partition = table.time_partitioning.field if table.time_partitioning else None
        found[name] = (partition, name in required,
                       {f.name: (f.field_type, f.mode) for f in table.schema})
    return found


def python_layer_reads(wh: Any) -> dict[str, Any]:
    """What the Python layer's commands read from a warehouse (the same
    functions `nba-fs dispatch / worker / alerts / report / backfill` call),
    in a form that compares across engines. Run on the emulator through
    BigQueryWarehouse and on DuckDB, by test_bigquery_parity.py."""
    start = dt.date.fromisoformat(WINDOW["start_date"])
    end = dt.date.fromisoformat(WINDOW["end_date"])
    now = dt.datetime.combine(end, dt.time(15), tzinfo=dt.timezone.utc)
    rows, active, dispatched = dispatch.read_state(wh, start, dispatch.SYSTEM_ID)
    plan = dispatch.plan_dispatch(rows, game_date=start, mode=gate.Mode.BACKFILL,
                                  active_players=active, dispatched_players=dispatched, now=now)
    dispatched_player = next(r.player_lookup for r in plan.outcomes if r.decision.dispatch)
    worker_row = warehouse.feature_row(wh, dispatched_player, start) or {}
    found, _ = alerts.evaluate(wh, start=start, end=end, now=now)
    data = report.load(wh, start, end, audit_file=None)
    dates = backfill.scheduled_game_dates(wh, start, end)
    return {
        "dispatch": sorted((o.player_lookup, o.decision.dispatch, o.decision.reason)
                           for o in plan.outcomes),
        "worker_row": {k: worker_row.get(k) for k in ("player_lookup", "game_date",
                                                       "is_quality_ready", "quality_tier")},
        "alerts": sorted((a.severity.value, a.alert_type, a.game_date or "", a.key) for a in found),
        "report_rows": {name: len(getattr(data, name)) for name in
                        ("daily", "coverage", "gaps", "stars", "defaults")},
        "backfill_dates": [d.isoformat() for d in dates],
        "backfill_coverage": [(r["game_date"].isoformat(), r["games_scheduled"],
                               r["games_with_players"]) for r in backfill.upstream_coverage(wh, dates)],
        "backfill_rows": backfill.rows_per_date(wh, dates),
        "backfill_ready": [(r["game_date"].isoformat(), float(r["pct_ready"]))
                           for r in backfill.readiness_per_date(wh, dates)],
    }


def build_on_emulator(work: Path) -> EmulatorBuild:
    """Generate the small sample and run the whole emulator build in `work`."""
    work.mkdir(parents=True, exist_ok=True)
    build = EmulatorBuild(work=work, project=bq_emulator.DEFAULT_PROJECT)
    started = time.perf_counter()
    raw = work / "raw.duckdb"
    _nba_fs(["generate", "--db", str(raw), "--preset", "small"], db=raw, work=work)
    emulator = bq_emulator.start_emulator(
        emulator_venv(), work / "emulator", build.project,
        on_start=lambda started: _BACKGROUND.update(emulator=started))
    try:
        build.seconds["generate_and_start"] = time.perf_counter() - started
        client = bq_emulator.client_for(emulator.endpoint, build.project)
        loaded = time.perf_counter()
        build.raw_counts = bq_emulator.load_raw_from_duckdb(client, raw)
        build.raw_tables = raw_table_metadata(client, build.project, build.raw_counts)
        with duckdb.connect(str(raw), read_only=True) as con:
            build.null_name_tables = {name for (name,) in con.execute(
                "select distinct table_name from nba_raw.generation_manifest"
                " where kind = 'null_player_name'").fetchall()}
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
        # `nba-fs backfill` on BigQuery (preflight, one dbt chunk, its reads);
        # the compared tables are fetched after it, so it must change nothing
        bigquery_env = {"NBA_WAREHOUSE": "bigquery", "NBA_BQ_PROJECT": build.project,
                        "NBA_BQ_API_ENDPOINT": emulator.endpoint, "NBA_DBT_TARGET": "bqemu",
                        "NBA_BQEMU_ENDPOINT": emulator.endpoint, "NBA_BQEMU_PROJECT": build.project}
        step_started = time.perf_counter()
        _nba_fs(["backfill", "--start-date", BACKFILL_DATES[0], "--end-date", BACKFILL_DATES[-1],
                    "--today", "2022-01-10", "--state-dir", str(work / "backfill_state")],
                   db=raw, work=work / "backfill", env=bigquery_env)
        state_file = next((work / "backfill_state").glob("backfill_*.json"))
        build.python_layer["backfill_state"] = json.loads(state_file.read_text())
        build.seconds["backfill"] = time.perf_counter() - step_started
        for table, schema in COMPARED.items():
            build.rows[table] = fetch_rows(client, build.project, schema, table)
        build.python_layer.update(python_layer_reads(
            warehouse.BigQueryWarehouse(project=build.project, api_endpoint=emulator.endpoint,
                                        env=_BACKGROUND["env"])))
        # the dispatch command end to end on BigQuery, twice: it writes its
        # ledger there, and the second run must find every player dispatched
        for attempt in ("dispatch_1", "dispatch_2"):
            result = _nba_fs(
                ["dispatch", "--date", WINDOW["start_date"], "--mode", "BACKFILL", "--sink", "local",
                 "--outbox", str(work / "outbox.jsonl"), "--json"],
                db=raw, work=work, env=bigquery_env)
            build.python_layer[attempt] = json.loads(result.stdout)
        # `nba-fs drift`: record the full build's models in nba_ops on
        # BigQuery, then check: nothing has changed since, so no drift
        drift = ["--target", "bqemu", "--project-dir", str(ROOT)]
        recorded = _nba_fs(["drift", "record", *drift, "--run-results",
                               str(build.target_dirs["build"] / "run_results.json")],
                              db=raw, work=work / "drift", env=bigquery_env)
        checked = _nba_fs(["drift", "check", *drift], db=raw, work=work / "drift",
                             env=bigquery_env, check=False)
        build.python_layer["drift"] = {"record": recorded.stdout, "check": checked.stdout,
                                       "check_exit": checked.returncode}
    finally:
        bq_emulator.stop_emulator(emulator)
    build.seconds["total"] = time.perf_counter() - started
    return build


def share_with_workers() -> None:
    """xdist controller, before the workers start: the dir its build will
    leave its result in, named in the environment the workers inherit."""
    if SHARED_ENV not in os.environ:
        os.environ[SHARED_ENV] = tempfile.mkdtemp(prefix="nba-bqemu-shared-")
        _BACKGROUND["shared"] = Path(os.environ[SHARED_ENV])


def ask_controller_to_build() -> None:
    """xdist worker that collected emulator tests: ask the controller."""
    if SHARED_ENV in os.environ:
        (Path(os.environ[SHARED_ENV]) / ASKED_FILE).touch()


def start_background_build_if_asked() -> None:
    """xdist controller: start the build if a worker asked for it."""
    shared = _BACKGROUND.get("shared")
    if shared is not None and (shared / ASKED_FILE).exists():
        start_background_build()


def _publish(outcome: tuple[str, Any]) -> None:
    """Leave the build's result (or error) for the workers, atomically."""
    shared = _BACKGROUND.get("shared")
    if shared is None:
        return
    try:
        data = pickle.dumps(outcome)
    except Exception as exc:  # an unpicklable error: its text is enough
        data = pickle.dumps(("error", RuntimeError(f"emulator build failed: {outcome[1]!r} ({exc})")))
    (shared / f"{RESULT_FILE}.tmp").write_bytes(data)
    (shared / f"{RESULT_FILE}.tmp").rename(shared / RESULT_FILE)


def start_background_build() -> None:
    """Start the session's emulator build in a thread (once)."""
    if "thread" in _BACKGROUND:
        return
    work = Path(tempfile.mkdtemp(prefix="nba-bqemu-"))
    # tests running meanwhile may change os.environ (schema names, ...): the
    # build uses the environment as it is now, for every step
    _BACKGROUND["env"] = dict(os.environ)
    if "shared" in _BACKGROUND:
        (_BACKGROUND["shared"] / STARTED_FILE).touch()

    def run() -> None:
        try:
            _BACKGROUND["build"] = build_on_emulator(work)
            _publish(("build", _BACKGROUND["build"]))
        except BaseException as exc:  # re-raised in the tests that need it
            _BACKGROUND["error"] = exc
            _publish(("error", exc))

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
    if "shared" in _BACKGROUND:
        shutil.rmtree(_BACKGROUND["shared"], ignore_errors=True)


def _controller_result() -> EmulatorBuild:
    """xdist worker: the build the controller ran (waits for its file)."""
    shared = Path(os.environ[SHARED_ENV])
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while not (shared / RESULT_FILE).exists():
        if time.monotonic() > deadline:
            pytest.fail(f"emulator build still running after {BUILD_TIMEOUT_S} s")
        time.sleep(1)
    kind, value = pickle.loads((shared / RESULT_FILE).read_bytes())
    if kind == "error":
        raise value
    return value


def emulator_build_result() -> EmulatorBuild:
    """The session's emulator build: waits for the background build (the
    xdist controller's, or this process's, started here if conftest did
    not), then returns it or raises its error."""
    require_emulator()
    shared = os.environ.get(SHARED_ENV)
    if shared and os.environ.get("PYTEST_XDIST_WORKER") and (Path(shared) / STARTED_FILE).exists():
        build = _controller_result()
        print(f"emulator build seconds: {json.dumps(build.seconds)}")
        return build
    start_background_build()
    thread: threading.Thread = _BACKGROUND["thread"]
    thread.join(BUILD_TIMEOUT_S)
    if thread.is_alive():
        pytest.fail(f"emulator build still running after {BUILD_TIMEOUT_S} s")
    if "error" in _BACKGROUND:
        raise _BACKGROUND["error"]
    build = _BACKGROUND["build"]
    print(f"emulator build seconds: {json.dumps(build.seconds)}")
    return build
