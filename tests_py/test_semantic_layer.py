"""The semantic layer (models/semantic): MetricFlow metric queries return the
numbers of the models they summarise.

`mf` reads the semantic manifest at <project dir>/target/semantic_manifest.json.
So that a test never writes the repository's target/, it runs `mf` against a
scratch project dir whose files are links to the repository's and whose
target/ is the test's own dbt target dir."""

from __future__ import annotations

import csv
import math
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import BIN, ROOT, BuiltWarehouse, dbt_env

pytest.importorskip("dbt_metricflow", reason="dbt-metricflow is a dev extra (pip install -e '.[dev]')")

PROJECT_FILES = ("dbt_project.yml", "selectors.yml", "models", "macros", "seeds", "tests",
                 "analyses", "docs")

pytestmark = pytest.mark.dbt


@pytest.fixture
def metricflow(small_warehouse: BuiltWarehouse, tmp_path: Path):
    """A function running `mf query` on the small warehouse, returning the
    result rows (CSV) as dicts."""
    small_warehouse.dbt("parse")
    project = tmp_path / "mf_project"
    project.mkdir()
    for name in PROJECT_FILES:
        (project / name).symlink_to(ROOT / name)
    (project / "target").symlink_to(small_warehouse.work / "target")
    env = dbt_env(small_warehouse.db, small_warehouse.work,
                  {"DBT_PROJECT_DIR": str(project), "NBA_RUN_DATE": small_warehouse.run_date or ""})

    def query(metrics: list[str], group_by: list[str]) -> list[dict[str, str]]:
        out = tmp_path / f"mf_{len(list(tmp_path.glob('mf_*.csv')))}.csv"
        result = subprocess.run(
            [str(BIN / "mf"), "query", "--metrics", ",".join(metrics),
             "--group-by", ",".join(group_by), "--csv", str(out)],
            cwd=project, env=env, capture_output=True, text=True, timeout=240,
        )
        assert result.returncode == 0 and out.exists(), result.stdout[-3000:] + result.stderr[-3000:]
        with out.open(newline="") as handle:
            return list(csv.DictReader(handle))

    return query


def _number(text: str) -> float | None:
    return None if text in ("", "None") else float(text)


def _by_period(rows: list[dict[str, str]], period: str) -> dict[str, dict[str, str]]:
    return {row[period][:10]: row for row in rows}


def _close(got: float | None, want: float | None, tolerance: float = 1e-6) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return math.isclose(got, want, abs_tol=tolerance)


def _fetch(db: Path, sql: str) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {str(row[0]): row[1:] for row in con.execute(sql).fetchall()}


def test_weekly_metrics_match_the_models(small_warehouse: BuiltWarehouse, metricflow) -> None:
    metrics = ["pct_ready", "vegas_coverage_pct", "mean_quality_score", "open_gaps",
               "stars_without_lines", "feature_rows"]
    got = _by_period(metricflow(metrics, ["metric_time__week"]), "metric_time__week")
    week = "cast(date_trunc('week', game_date) as date)"
    quality = _fetch(small_warehouse.db, f"""
        select {week}, 100.0 * sum(quality_ready) / nullif(sum(total_records), 0),
               sum(total_records)
        from nba_monitoring.daily_quality_counts group by 1""")
    vegas = _fetch(small_warehouse.db, f"""
        select {week}, 100.0 * sum(players_with_line) / nullif(sum(total_players), 0)
        from nba_monitoring.vegas_coverage_daily group by 1""")
    score = _fetch(small_warehouse.db, f"""
        select {week}, avg(feature_quality_score)
        from nba_predictions.ml_feature_store_v2 group by 1""")
    gaps = _fetch(small_warehouse.db, f"""
        select {week}, count(*) from nba_monitoring.feature_store_gaps
        where resolved_at is null group by 1""")
    stars = _fetch(small_warehouse.db, f"""
        select {week}, count(*) from nba_monitoring.scraper_health_star_lines group by 1""")
    assert quality and set(quality) <= set(got)
    for day, (pct_ready, rows) in quality.items():
        assert _close(_number(got[day]["pct_ready"]), pct_ready), day
        assert _number(got[day]["feature_rows"]) == rows, day
    for day, (pct,) in vegas.items():
        assert _close(_number(got[day]["vegas_coverage_pct"]), pct), day
    for day, (mean,) in score.items():
        assert _close(_number(got[day]["mean_quality_score"]), mean), day
    assert gaps and all(_number(got[day]["open_gaps"]) == n for day, (n,) in gaps.items())
    assert all(_number(got[day]["stars_without_lines"]) == n for day, (n,) in stars.items())


def test_daily_metrics_match_the_daily_tables(small_warehouse: BuiltWarehouse, metricflow) -> None:
    """At day grain the metrics are the monitoring tables' own columns (which
    round to 1 dp), including the two computed from the feature rows."""
    got = _by_period(metricflow(["pct_ready", "pct_ready_if_vegas_required",
                                 "vegas_line_pct_of_rows", "pct_ready_by_row"],
                                ["metric_time__day"]), "metric_time__day")
    daily = _fetch(small_warehouse.db, """
        select game_date, pct_ready, pct_ready_if_vegas_required, vegas_coverage_pct
        from nba_monitoring.daily_quality_counts where total_records > 0""")
    assert daily
    for day, (pct_ready, if_vegas, vegas) in daily.items():
        row = got[day]
        assert _close(_number(row["pct_ready"]), pct_ready, 0.05 + 1e-9), day
        assert _close(_number(row["pct_ready_by_row"]), pct_ready, 0.05 + 1e-9), day
        assert _close(_number(row["pct_ready_if_vegas_required"]), if_vegas, 0.05 + 1e-9), day
        assert _close(_number(row["vegas_line_pct_of_rows"]), vegas, 0.05 + 1e-9), day


def test_metrics_group_by_a_dimension(small_warehouse: BuiltWarehouse, metricflow) -> None:
    rows = metricflow(["open_gaps"], ["gap__reason"])
    got = {row["gap__reason"]: _number(row["open_gaps"]) for row in rows}
    want = _fetch(small_warehouse.db, """
        select reason, count(*) from nba_monitoring.feature_store_gaps
        where resolved_at is null group by 1""")
    assert {reason: n for reason, (n,) in want.items()} == {r: n for r, n in got.items() if n}
