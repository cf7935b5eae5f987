"""One clock: nothing but python_hooks/clock.py and the dbt macros run_date
and utc_now reads the current date, time or time zone.

Durations (time.monotonic, time.perf_counter) are not readings of the date
and stay allowed; bench/ and the tests measure and fix times of their own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PYTHON_READERS = re.compile(
    r"date\.today\(|datetime\.now\(|\.utcnow\(|time\.time\(|time\.localtime\(|"
    r"ZoneInfo\(|\.today\(\)")
SQL_READERS = re.compile(
    r"current_date|current_timestamp|\bnow\(\)|datetime\.now|date\.today|getdate\(",
    re.IGNORECASE)
# The one definition of each side.
ALLOWED = {
    "python_hooks/clock.py",
    "macros/date_window/date_window.sql",  # macro run_date
    "macros/monitoring/monitoring.sql",  # macro utc_now
    "macros/date_window/current_timestamp.sql",  # dbt's now is utc_now
}


def readers(pattern: re.Pattern[str], paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        relative = path.relative_to(ROOT).as_posix()
        if relative in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_python_reads_the_clock_only_in_clock_module() -> None:
    paths = sorted((ROOT / "python_hooks").rglob("*.py"))
    assert readers(PYTHON_READERS, paths) == []


def test_sql_reads_the_clock_only_in_run_date_and_utc_now() -> None:
    paths = sorted(p for folder in ("models", "macros", "tests", "analyses")
                   for p in (ROOT / folder).rglob("*.sql"))
    paths += sorted((ROOT / "models").rglob("*.yml"))
    assert readers(SQL_READERS, paths) == []


@pytest.mark.dbt
def test_source_freshness_is_judged_at_the_run_moment(small_warehouse) -> None:
    """dbt source freshness compares load times with the one clock's now:
    fresh on the sample's own run date, stale a week later, whatever the
    machine's date (years after the sample)."""
    def states(run_date: str) -> set[str]:
        small_warehouse.dbt("source", "freshness", check=False, env={"NBA_RUN_DATE": run_date})
        sources = json.loads((small_warehouse.work / "target" / "sources.json").read_text())
        return {result["status"] for result in sources["results"]
                if result["unique_id"].endswith((".nbac_schedule", ".odds_api_player_points_props"))}

    assert states(small_warehouse.run_date) == {"pass"}
    assert states("2022-01-22") == {"error"}
