"""Every command a broken --db can reach: one line on stderr and exit status 2,
never a traceback (alerts: a CRITICAL alert and exit status 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "summary": [],
    "report": ["--end-date", "2021-12-01"],
    "publish": [],
    "backfill": ["--start-date", "2021-11-02", "--end-date", "2021-11-03", "--today", "2022-01-01"],
    "drift": [],
    "alerts": ["--date", "2021-12-01", "--skip-freshness"],
}


def nba_fs(tmp: Path, command: str, db: str | None, env: dict | None = None
           ) -> subprocess.CompletedProcess:
    extra = COMMANDS[command] + (["--db", db] if db else [])
    if command == "report":
        extra += ["--out", str(tmp / "r.html")]
    if command == "publish":
        extra += ["--to", str(tmp / "copy.duckdb")]
    if command == "backfill":
        extra += ["--state-dir", str(tmp / "state")]
    if command == "alerts":
        extra += ["--audit-file", str(tmp / "alerts.jsonl")]
    full_env = {**os.environ, "DBT_TARGET_PATH": str(tmp / "target"),
                "DBT_LOG_PATH": str(tmp / "logs"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "python_hooks.cli", command, *extra], cwd=tmp,
                          env=full_env, capture_output=True, text=True, timeout=300)


def assert_one_line_rc2(result: subprocess.CompletedProcess, command: str) -> None:
    assert result.returncode == 2, (command, result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    if command == "alerts":
        assert "[CRITICAL] WAREHOUSE_UNAVAILABLE" in result.stdout
    else:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("broken")
    (tmp / "not_duckdb.duckdb").write_text("this is not a DuckDB file\n" * 100)
    (tmp / "a_directory.duckdb").mkdir()
    return {"missing": str(tmp / "absent.duckdb"), "not DuckDB": str(tmp / "not_duckdb.duckdb"),
            "a directory": str(tmp / "a_directory.duckdb")}


@pytest.mark.parametrize("case", ["missing", "not DuckDB", "a directory"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_broken_db_is_one_line_and_rc_2(tmp_path, broken, command, case):
    assert_one_line_rc2(nba_fs(tmp_path, command, broken[case]), command)


def test_locked_db_is_one_line_and_rc_2(tmp_path):
    db = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys; con = duckdb.connect(sys.argv[1]);"
         " con.execute('create table t as select 1 as x'); print('ready', flush=True);"
         " sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        for command in COMMANDS:
            result = nba_fs(tmp_path, command, str(db))
            assert_one_line_rc2(result, command)
            if command != "alerts":
                assert "lock" in result.stderr.lower(), result.stderr
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)


@pytest.mark.parametrize("command", ["summary", "report", "backfill", "drift", "alerts"])
def test_bigquery_without_project_says_so(tmp_path, command):
    env = {"NBA_WAREHOUSE": "bigquery", "NBA_BQ_PROJECT": ""}
    result = nba_fs(tmp_path, command, None, env=env)
    if command == "summary":  # summary inspects a DuckDB file only
        assert result.returncode == 2 and "Traceback" not in result.stderr
        return
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "NBA_BQ_PROJECT" in result.stdout + result.stderr
