"""Running dbt from a command, one way for all of them.

Through dbt's programmatic runner, with the project and profiles of this
checkout, the warehouse the command was given (``--db`` reaches dbt as
``NBA_DUCKDB_PATH``, which profiles.yml reads) and the same ``--vars``
overrides the Python side applies (python_hooks.contract).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from python_hooks import contract

log = logging.getLogger("nba_fs.dbt")


@contextlib.contextmanager
def duckdb_env(db: str | None) -> Iterator[None]:
    """``NBA_DUCKDB_PATH=db`` for the duration (dbt reads it via profiles.yml)."""
    if not db or os.environ.get("NBA_WAREHOUSE", "duckdb").lower() == "bigquery":
        yield
        return
    before = os.environ.get("NBA_DUCKDB_PATH")
    os.environ["NBA_DUCKDB_PATH"] = str(Path(db).resolve())
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("NBA_DUCKDB_PATH", None)
        else:
            os.environ["NBA_DUCKDB_PATH"] = before


def common_args(target: str | None = None, project_dir: Path | str | None = None,
                quiet: bool = True, silent: bool = False) -> list[str]:
    """``quiet``: dbt prints errors only; ``silent``: nothing (the command
    reads dbt's result files instead)."""
    args = [
        "--project-dir", str(project_dir or contract.PROJECT_ROOT),
        "--profiles-dir", os.environ.get("DBT_PROFILES_DIR", str(contract.PROJECT_ROOT)),
    ]
    if silent:
        args += ["--log-level", "none"]
    elif quiet:
        args.append("--quiet")
    return args + (["--target", target] if target else [])


def vars_args(overrides: Mapping[str, Any] | None, extra: Mapping[str, Any] | None = None) -> list[str]:
    """``--vars`` with the user's overrides and the command's own vars (which win)."""
    merged = {**dict(overrides or {}), **dict(extra or {})}
    return ["--vars", json.dumps(merged, default=str)] if merged else []


def invoke(command: Sequence[str], *, db: str | None = None, target: str | None = None,
           project_dir: Path | str | None = None, overrides: Mapping[str, Any] | None = None,
           extra_vars: Mapping[str, Any] | None = None,
           callbacks: Sequence[Callable[[Any], None]] = (), silent: bool = False) -> Any:
    """Invoke ``dbt <command...>``; returns dbt's result object."""
    from dbt.cli.main import dbtRunner

    args = [*command, *vars_args(overrides, extra_vars),
            *common_args(target, project_dir, silent=silent)]
    log.debug("dbt %s", " ".join(args))
    with duckdb_env(db):
        return dbtRunner(callbacks=list(callbacks)).invoke(args)


@contextlib.contextmanager
def environ(values: Mapping[str, str | None]) -> Iterator[None]:
    """``os.environ`` updated with ``values`` (None unsets) for the duration."""
    before = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after
    an in-process run, so other processes (and DuckDB connections of this
    one) can open the file (DuckDB: one writer process at a time)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter: nothing held here
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


class DbtParseError(RuntimeError):
    """``dbt parse`` failed: nothing can run."""


class ParsedProject:
    """dbt in-process with the project parsed once: every ``invoke`` reuses
    that manifest (no parse, not even a partial one), so a command that runs
    dbt many times (one run per backfill chunk, per replayed day) pays the
    parse once. What changes between invocations reaches the models through
    environment variables the macros read when a node compiles, never when
    the project is parsed: NBA_RUN_DATE (the run date) and NBA_WINDOW_START /
    NBA_WINDOW_END (a window), see macros/date_window. Vars are parsed into
    the manifest, so ``common`` (with any ``--vars``) is fixed for the
    project's life. After each invocation the DuckDB file is released.
    """

    def __init__(self, common: Sequence[str], *, db: str | None = None,
                 env: Mapping[str, str | None] | None = None) -> None:
        from dbt.cli.main import dbtRunner

        self.common = list(common)
        self.db = db
        with duckdb_env(db), environ(env or {}):
            parsed = dbtRunner().invoke(["parse", *self.common])
        if not parsed.success:
            raise DbtParseError(f"dbt parse failed: {parsed.exception}")
        # dbtRunnerResult.result is typed as the union over every command's
        # result; a successful `parse` returns the Manifest.
        self._runner = dbtRunner(manifest=parsed.result)  # type: ignore[arg-type]

    def invoke(self, command: Sequence[str], env: Mapping[str, str | None] | None = None) -> Any:
        """``dbt <command...> <common...>`` with ``env`` set for the duration."""
        args = [*command, *self.common]
        log.debug("dbt %s (parsed once) env %s", " ".join(args), dict(env or {}))
        try:
            with duckdb_env(self.db), environ(env or {}):
                return self._runner.invoke(args)
        finally:
            release_duckdb()
