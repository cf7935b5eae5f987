"""Shared fixtures: real dbt runs on generated DuckDB warehouses in tmp dirs.

Building a warehouse is the slow part of the suite, so the `small` preset is
generated and built once per session (`small_warehouse_template`) and every
test that changes data works on its own copy (`small_warehouse`). dbt runs
in a subprocess with its own target/log dirs, so tests never touch the
repository's `target/` and never share a DuckDB file with another writer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


@pytest.fixture(scope="session")
def small_warehouse_template(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The `small` preset generated and built once per session. Do not modify."""
    base = tmp_path_factory.mktemp("small_template")
    return build_warehouse(base / "nba.duckdb", base, "small")


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests of the emulator build run last: they wait for it."""
    items.sort(key=needs_emulator)  # stable: keeps the order otherwise


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the BigQuery emulator build in the background as soon as a
    collected test needs it (see bigquery_fixtures): it takes minutes, mostly
    in the emulator process, and the rest of the suite runs meanwhile."""
    if os.environ.get("NBA_BQEMU_TESTS") != "1":
        return
    if session.config.option.collectonly:
        return
    if any(needs_emulator(item) for item in session.items):
        import bigquery_fixtures

        bigquery_fixtures.start_background_build()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if "bigquery_fixtures" in sys.modules:
        sys.modules["bigquery_fixtures"].stop_background_build()
