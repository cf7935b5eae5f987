"""One clock: nothing but python_hooks/clock.py and the dbt macros run_date
and utc_now reads the current date, time or time zone.

Durations (time.monotonic, time.perf_counter) are not readings of the date
and stay allowed; bench/ and the tests measure and fix times of their own.
"""

from __future__ import annotations

import re
from pathlib import Path

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
