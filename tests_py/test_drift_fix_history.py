"""`nba-fs drift --fix` rebuilds a changed incremental model over its history,
not only the daily window."""

from __future__ import annotations

import duckdb
import pytest

from conftest import BuiltWarehouse
from python_hooks import drift
from test_drift import copy_project


def bands(db) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute(
            "select coverage_band, count(*) from nba_monitoring.vegas_coverage_daily group by 1"
        ).fetchall())


@pytest.mark.dbt
def test_fix_rebuilds_a_changed_incremental_model_over_its_history(
        small_warehouse: BuiltWarehouse, small_warehouse_template):
    project = copy_project(small_warehouse.work / "project")
    run_results = small_warehouse_template.work / "target" / "run_results.json"
    common = ["--db", str(small_warehouse.db), "--project-dir", str(project)]
    small_warehouse.nba_fs("drift", "record", "--run-results", str(run_results), *common)
    before = bands(small_warehouse.db)
    assert before.get("healthy", 0) > 10, before

    model = project / "models" / "monitoring" / "vegas_coverage_daily.sql"
    model.write_text(model.read_text().replace("then 'healthy'", "then 'healthy_v2'"))
    stale = small_warehouse.nba_fs("drift", "--verbose", *common, check=False)
    assert stale.returncode == drift.EXIT_DRIFT and "stale: vegas_coverage_daily" in stale.stdout

    fixed = small_warehouse.nba_fs("drift", "--fix", *common)
    assert "rebuilt and recorded" in fixed.stdout
    after = bands(small_warehouse.db)
    assert "healthy" not in after, after  # every date rebuilt, not only the daily window
    assert after.get("healthy_v2") == before["healthy"]
    assert "OK: every model matches" in small_warehouse.nba_fs("drift", *common).stdout
