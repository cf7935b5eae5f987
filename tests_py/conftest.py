"""Shared fixtures: real dbt runs on generated DuckDB warehouses in tmp dirs.

Building a warehouse is the slow part of the suite, so the `small` preset is
generated and built once per session (`small_warehouse_template`) and every
test that changes data works on its own copy (`small_warehouse`). dbt runs
in a subprocess with its own target/log dirs, so tests never touch the
repository's `target/` and never share a DuckDB file with another writer.

`make test` runs the suite on both cores (pytest-xdist, `-n auto --dist
loadfile`): each module is one unit of work (its module fixtures build
once), the emulator build runs once, in the controller (see
bigquery_fixtures), and read-only built warehouses are built once for all
workers (`shared_build`). Every test that
runs dbt is marked `dbt` here (`pytest_collection_modifyitems`), so
`-m "not dbt"` (`make test-fast`) runs the rest.
"""

from __future__ import annotations

import fcntl
import inspect
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class BuiltWarehouse:
    """A DuckDB file plus the dirs its dbt runs write to. ``run_date`` is the
    one clock's run date its runs use (NBA_RUN_DATE): the sample's as-of
    date, so a build sees the sample as production did on that day."""

    db: Path
    work: Path
    run_date: str | None = None

    def _env(self, env: dict[str, str] | None) -> dict[str, str]:
        return ({"NBA_RUN_DATE": self.run_date} if self.run_date else {}) | (env or {})

    def dbt(self, *args: str, check: bool = True, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        return run_dbt(list(args), db=self.db, work=self.work, check=check, env=self._env(env))

    def nba_fs(self, *args: str, check: bool = True, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess[str]:
        return run_nba_fs(list(args), db=self.db, work=self.work, check=check,
                          env=self._env(env))


def preset_run_date(preset: str) -> str:
    """The run date of a generated preset: its as-of date."""
    from python_hooks.sample_data.generator import PRESETS

    return PRESETS[preset]["as_of"].isoformat()


def dbt_env(db: Path, work: Path, extra: dict[str, str] | None = None,
            base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a dbt / nba-fs subprocess: `base` (default: this
    process's environment, as it is now) with the run's own paths."""
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "DBT_PROFILES_DIR": str(ROOT),
            "NBA_DUCKDB_PATH": str(db),
            "NBA_DBT_TARGET": "ci",
            "DBT_TARGET_PATH": str(work / "target"),
            "DBT_LOG_PATH": str(work / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            # Tests build the small preset unless they say otherwise: run
            # it as of its own date, never the machine's.
            "NBA_RUN_DATE": preset_run_date("small"),
        }
    )
    env.update(extra or {})
    return env


def run_dbt(args: list[str], *, db: Path, work: Path, check: bool = True,
            env: dict[str, str] | None = None, base_env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(BIN / "dbt"), *args, "--project-dir", str(ROOT)],
        cwd=ROOT, env=dbt_env(db, work, env, base_env), capture_output=True, text=True,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-6000:]}"
            f"\n{result.stderr[-3000:]}"
        )
    return result


def run_nba_fs(args: list[str], *, db: Path, work: Path, check: bool = True,
               env: dict[str, str] | None = None, base_env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(BIN / "nba-fs"), *args], cwd=ROOT, env=dbt_env(db, work, env, base_env),
        capture_output=True, text=True,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"nba-fs {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-6000:]}"
            f"\n{result.stderr[-3000:]}"
        )
    return result


def build_warehouse(db: Path, work: Path, preset: str) -> BuiltWarehouse:
    """Generate a preset and build every model (no tests: those are judged elsewhere)."""
    work.mkdir(parents=True, exist_ok=True)
    run_nba_fs(["generate", "--db", str(db), "--preset", preset], db=db, work=work)
    warehouse = BuiltWarehouse(db=db, work=work, run_date=preset_run_date(preset))
    warehouse.dbt("seed")
    warehouse.dbt("run", "--full-refresh")
    return warehouse


def xdist_worker() -> str | None:
    """This process's pytest-xdist worker id (gw0, gw1, ...), None when the
    session runs in one process."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def shared_build(tmp_path_factory: pytest.TempPathFactory, name: str,
                 build: Callable[[Path], BuiltWarehouse]) -> BuiltWarehouse:
    """`build(dir)` once per session, for every xdist worker: the first
    worker to get here builds under a lock in the run's shared base temp dir,
    the others wait and reuse it. Only for warehouses that tests read."""
    if not xdist_worker():
        return build(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent  # pytest-N/, above popen-gwN/
    base, done = shared / name, shared / f"{name}.json"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if done.exists():
            return BuiltWarehouse(**{k: (Path(v) if k in ("db", "work") else v)
                                     for k, v in json.loads(done.read_text()).items()})
        shutil.rmtree(base, ignore_errors=True)  # a build that failed in another worker
        base.mkdir()
        built = build(base)
        done.write_text(json.dumps({"db": str(built.db), "work": str(built.work),
                                    "run_date": built.run_date}))
        return built


@pytest.fixture(scope="session")
def small_warehouse_template(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The `small` preset generated and built once per session (once for all
    xdist workers). Do not modify."""
    return shared_build(tmp_path_factory, "small_template",
                        lambda base: build_warehouse(base / "nba.duckdb", base, "small"))


@pytest.fixture
def small_warehouse(small_warehouse_template: BuiltWarehouse, tmp_path: Path) -> BuiltWarehouse:
    """A private copy of the built small warehouse that a test may change."""
    db = tmp_path / "nba.duckdb"
    shutil.copyfile(small_warehouse_template.db, db)
    return BuiltWarehouse(db=db, work=tmp_path, run_date=small_warehouse_template.run_date)


@pytest.fixture(scope="session")
def default_warehouse_path() -> Path:
    """The default-preset warehouse `make test` builds before pytest (read only)."""
    path = os.environ.get("NBA_CI_WAREHOUSE")
    if not path or not Path(path).exists():
        pytest.skip("NBA_CI_WAREHOUSE not set: run through `make test`")
    return Path(path)


def needs_emulator(item: pytest.Item) -> bool:
    return "emulator_build" in getattr(item, "fixturenames", ())


# Fixtures that build or hand out a dbt-built warehouse: a test using one
# (directly or through its own fixtures) runs dbt.
DBT_FIXTURES = frozenset({"small_warehouse", "small_warehouse_template",
                          "default_warehouse_path", "emulator_build"})
# What a test or one of its fixtures calls (or asks getfixturevalue for)
# when it runs dbt another way: conftest's runners, a BuiltWarehouse's
# `.dbt(...)`, the fixture project of feature_store_fixtures.
DBT_CALLS = ("run_dbt(", "build_warehouse(", ".dbt(", "FixtureProject(",
             *(f'"{name}"' for name in DBT_FIXTURES))
# Modules that take minutes: scheduled first so they overlap the rest.
LONG_MODULES = frozenset({"test_replay.py", "test_report_browser.py"})
# Per-test timeouts (pytest-timeout; the rest: `timeout` in pyproject.toml).
# They catch hangs, not slowness: on a 2-core machine under load 8 the replay
# module took over 12 minutes and the emulator build (which its tests wait
# for, itself bounded by bigquery_fixtures.BUILD_TIMEOUT_S) over 20.
LONG_TIMEOUT_S = 1800
EMULATOR_TIMEOUT_S = 45 * 60
# A test that runs dbt builds: one gating test took 300 s beside the replay
# and the emulator build at load 4-6 (2026-12-02); twice that still ends a hang.
DBT_TIMEOUT_S = 600


def _source(func: object) -> str:
    try:
        return inspect.getsource(func)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return ""


def runs_dbt(item: pytest.Item) -> bool:
    """Whether a test runs dbt: marked so, uses a dbt-built warehouse
    fixture, or it or one of its fixtures calls dbt (DBT_CALLS)."""
    if item.get_closest_marker("dbt"):
        return True
    names = set(getattr(item, "fixturenames", ()))
    if names & DBT_FIXTURES:
        return True
    info = getattr(item, "_fixtureinfo", None)
    defs = getattr(info, "name2fixturedefs", {})
    funcs = [getattr(item, "function", None)]
    # the project's own fixtures (a plugin's have no baseid)
    funcs += [d.func for name in names for d in defs.get(name, ()) if d.baseid]
    return any(call in _source(f) for f in funcs if f is not None for call in DBT_CALLS)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that runs dbt `dbt`; give the long ones a longer
    timeout; order the run by module (xdist's --dist loadfile hands out a
    module at a time, in this order, with --no-loadscope-reorder): long
    modules first, then modules with dbt tests, then the rest, and the
    modules with emulator tests last, those tests at their end (they wait
    for the emulator build)."""
    ranks: dict[Path, set[int]] = {}
    for item in items:
        dbt = runs_dbt(item)
        if dbt and not item.get_closest_marker("dbt"):
            item.add_marker(pytest.mark.dbt)
        ranks.setdefault(item.path, set()).add(
            3 if needs_emulator(item) else 0 if item.path.name in LONG_MODULES else 1 if dbt else 2)
        if not item.get_closest_marker("timeout"):
            if needs_emulator(item):
                item.add_marker(pytest.mark.timeout(EMULATOR_TIMEOUT_S))
            elif item.path.name in LONG_MODULES:
                item.add_marker(pytest.mark.timeout(LONG_TIMEOUT_S))
            elif dbt:
                item.add_marker(pytest.mark.timeout(DBT_TIMEOUT_S))
    module_rank = {path: 3 if 3 in rank else min(rank) for path, rank in ranks.items()}
    # stable: keeps the collection order within a module and a rank
    items.sort(key=lambda item: (module_rank[item.path],
                                 str(item.path) if module_rank[item.path] == 3 else "",
                                 needs_emulator(item)))


@pytest.hookimpl(tryfirst=True)  # an xdist worker: before it reports its collection
def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the BigQuery emulator build in the background as soon as a
    collected test needs it (see bigquery_fixtures): it takes minutes, mostly
    in the emulator process, and the rest of the suite runs meanwhile. Under
    xdist the workers only ask for it, the controller runs it
    (pytest_xdist_node_collection_finished)."""
    if os.environ.get("NBA_BQEMU_TESTS") != "1" or session.config.option.collectonly:
        return
    if any(needs_emulator(item) for item in session.items):
        import bigquery_fixtures

        if xdist_worker():
            bigquery_fixtures.ask_controller_to_build()
        else:
            bigquery_fixtures.start_background_build()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config: pytest.Config, specs: list) -> None:
    """xdist controller, before it starts the workers: when emulator tests
    may run, give the workers (through the environment they inherit) the
    dir where the controller's emulator build will leave its result."""
    if os.environ.get("NBA_BQEMU_TESTS") == "1":
        import bigquery_fixtures

        bigquery_fixtures.share_with_workers()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
    """xdist controller: a worker has collected its tests. Start the emulator
    build here, once, if the worker asked for it (it collected emulator
    tests), before any test runs."""
    if "bigquery_fixtures" in sys.modules:
        sys.modules["bigquery_fixtures"].start_background_build_if_asked()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if "bigquery_fixtures" in sys.modules:
        sys.modules["bigquery_fixtures"].stop_background_build()
