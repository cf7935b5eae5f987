"""The published read-only copy (`nba-fs publish`) lets analysts read while
dbt writes: DuckDB allows one writer or many readers per file, so readers
open the copy, never the file the build is writing.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import BIN, ROOT, BuiltWarehouse, dbt_env
from python_hooks import publish

READER_SQL = (
    "select count(*) as n, count(distinct game_date) as dates"
    " from nba_predictions.ml_feature_store_v2"
)


def read_copy(path: Path) -> tuple[int, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        n, dates = con.execute(READER_SQL).fetchone()
        con.execute("select * from nba_monitoring.daily_quality_counts limit 5").fetchall()
        return int(n), int(dates)
    finally:
        con.close()


def holds_open(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open (Linux /proc; False elsewhere)."""
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd) == str(path.resolve()) for fd in fd_dir.iterdir())
    except OSError:
        return False


def test_publish_copies_atomically_and_read_only(small_warehouse: BuiltWarehouse) -> None:
    target = small_warehouse.work / "published" / "nba_readonly.duckdb"
    result = publish.publish(small_warehouse.db, target)
    assert target.exists() and not list(target.parent.glob(".*.tmp"))
    assert not target.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    meta = json.loads(target.with_name(target.name + ".json").read_text())
    assert meta["table_count"] == result.table_count > 10
    # Same data as the source, views included (they resolve inside the copy).
    with duckdb.connect(str(small_warehouse.db), read_only=True) as con:
        expected = con.execute(READER_SQL).fetchone()
        stg = con.execute("select count(*) from nba_staging.stg_nba_raw__schedule").fetchone()
    assert read_copy(target) == expected
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select count(*) from nba_staging.stg_nba_raw__schedule").fetchone() == stg


def test_publish_refuses_while_a_writer_holds_the_warehouse(small_warehouse: BuiltWarehouse) -> None:
    target = small_warehouse.work / "nba_readonly.duckdb"
    first = publish.publish(small_warehouse.db, target)
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys; con = duckdb.connect(sys.argv[1]);"
         " con.execute('create table main.in_progress as select 1 as x');"
         " print('ready', flush=True); sys.stdin.read()",
         str(small_warehouse.db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        with pytest.raises(publish.PublishError, match="being written"):
            publish.publish(small_warehouse.db, target)
        # The previous copy is untouched and still readable during the write.
        meta = json.loads(target.with_name(target.name + ".json").read_text())
        assert meta["published_at"] == first.published_at
        assert read_copy(target)[0] > 0
    finally:
        assert writer.stdin is not None
        writer.stdin.close()
        writer.wait(timeout=60)


def test_publish_refuses_a_failed_build(small_warehouse: BuiltWarehouse, tmp_path: Path) -> None:
    results = tmp_path / "run_results.json"
    results.write_text(json.dumps({"results": [
        {"unique_id": "model.nba_feature_store.ml_feature_store_v2.v2", "status": "error"},
        {"unique_id": "model.nba_feature_store.feature_contract", "status": "success"},
    ]}))
    target = tmp_path / "copy.duckdb"
    proc = subprocess.run(
        [str(BIN / "nba-fs"), "publish", "--db", str(small_warehouse.db), "--to", str(target),
         "--run-results", str(results)],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert proc.returncode == publish.EXIT_REFUSED, proc.stdout + proc.stderr
    assert "ml_feature_store_v2" in proc.stderr and not target.exists()


def test_reader_and_build_run_at_the_same_time(small_warehouse: BuiltWarehouse) -> None:
    """Readers query the copy in a loop while dbt rebuilds the warehouse."""
    target = small_warehouse.work / "nba_readonly.duckdb"
    publish.publish(small_warehouse.db, target)
    expected = read_copy(target)

    env = dbt_env(small_warehouse.db, small_warehouse.work)
    build = subprocess.Popen(
        [str(BIN / "dbt"), "run", "--full-refresh", "--select", "tag:phase5",
         "--project-dir", str(ROOT)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    reads_during_build = reads_while_writer_open = 0
    while build.poll() is None:
        writing = holds_open(build.pid, small_warehouse.db)
        assert read_copy(target) == expected  # raises on any lock or read error
        if build.poll() is None:
            reads_during_build += 1
            if writing and holds_open(build.pid, small_warehouse.db):
                reads_while_writer_open += 1
        time.sleep(0.1)  # leave the CPU to the build between two reads
    output = build.stdout.read() if build.stdout else ""
    assert build.returncode == 0, output[-4000:]
    assert reads_during_build > 0, "the build ended before any read overlapped it"
    if Path("/proc/self/fd").is_dir():
        # Some reads happened while dbt held the warehouse open (and locked).
        assert reads_while_writer_open > 0, reads_during_build
    print(f"reads of the copy during the build: {reads_during_build},"
          f" {reads_while_writer_open} while dbt held the warehouse open")

    # Publish the new build while an analyst still has the old copy open.
    held = duckdb.connect(str(target), read_only=True)
    second = publish.publish(small_warehouse.db, target)
    assert held.execute(READER_SQL).fetchone() == expected  # old handle, old snapshot
    held.close()
    assert read_copy(target)[0] > 0
    meta = json.loads(target.with_name(target.name + ".json").read_text())
    assert meta["published_at"] == second.published_at
    assert os.path.getsize(target) == second.size_bytes
