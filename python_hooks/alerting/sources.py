"""What the alert rules read: the monitoring models, dbt's run results and
dbt's source freshness result. Every reader turns a bad input into an alert of
its own (``ALERT_INPUT_INVALID``) instead of raising, so the rest is still
evaluated and delivered.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
from pathlib import Path
from typing import Any, Mapping

from python_hooks import warehouse
from python_hooks.alerting.rules import (
    Alert,
    Severity,
    dbt_result_alerts,
    freshness_alerts,
    gap_alerts,
    input_alert,
    quality_count_alerts,
    raw_volume_alerts,
    star_line_alerts,
)
from python_hooks.redact import redact

log = logging.getLogger("nba_fs.alerts")


def _read_json(path: Path, what: str, game_date: Any,
               severity: Severity = Severity.CRITICAL) -> tuple[Any, list[Alert]]:
    try:
        text = path.read_bytes().decode("utf-8")
        return json.loads(text), []
    except FileNotFoundError:
        return None, [input_alert(severity, what, f"{path} does not exist", game_date)]
    except OSError as exc:
        return None, [input_alert(severity, what, f"cannot read {path} ({exc.strerror})",
                                  game_date)]
    except UnicodeDecodeError:
        return None, [input_alert(severity, what, f"{path} is not UTF-8 text", game_date)]
    except json.JSONDecodeError as exc:
        return None, [input_alert(severity, what, f"{path} is not JSON ({exc.msg}, line"
                                  f" {exc.lineno})", game_date)]


def read_run_results(path: Path, game_date: Any) -> tuple[dict[str, Any] | None, list[Alert]]:
    """A dbt run_results.json, or None and a CRITICAL alert: a build whose
    results cannot be read may have failed unseen."""
    what = "dbt run results"
    document, problems = _read_json(path, what, game_date)
    if problems:
        return None, problems
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list):
        return None, [input_alert(Severity.CRITICAL, what,
                                  f"{path} is not a dbt run_results.json (no list of results)",
                                  game_date)]
    bad = sum(1 for r in results if not isinstance(r, dict) or "unique_id" not in r)
    alerts = []
    if bad:
        alerts.append(input_alert(Severity.WARNING, what,
                                  f"{bad} of {len(results)} entries of {path} are not node results",
                                  game_date))
    return document, alerts


def read_freshness(path: Path, game_date: Any) -> tuple[list[dict[str, Any]], list[Alert]]:
    """The per-source results of dbt's sources.json (``dbt source freshness``)."""
    what = "dbt source freshness"
    document, problems = _read_json(path, what, game_date, Severity.WARNING)
    if problems:
        return [], problems
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list):
        return [], [input_alert(Severity.WARNING, what, f"{path} is not a dbt sources.json",
                                game_date)]
    return [r for r in results if isinstance(r, dict)], []


def run_source_freshness(*, db: str | None, target: str | None,
                         overrides: Mapping[str, Any] | None, game_date: Any
                         ) -> tuple[list[dict[str, Any]], list[Alert]]:
    """Run ``dbt source freshness`` on the warehouse and read its result."""
    from python_hooks import dbt_invoke

    with tempfile.TemporaryDirectory(prefix="nba_freshness_") as tmp:
        output = Path(tmp) / "sources.json"
        try:
            result = dbt_invoke.invoke(
                ["source", "freshness", "--output", str(output), "--target-path", tmp],
                db=db, target=target, overrides=overrides, silent=True)
        except Exception as exc:  # noqa: BLE001 - dbt failing is an alert, not a crash
            result, error = None, exc
        else:
            error = result.exception
        if output.exists():
            return read_freshness(output, game_date)
        message = redact(str(error).strip().splitlines()[0] if error else "no sources.json written")
        return [], [input_alert(Severity.WARNING, "dbt source freshness",
                                f"could not run: {message}", game_date)]


def _rows_between(wh: Any, table: str, start: dt.date, end: dt.date, notes: list[str]) -> list[dict] | None:
    if not wh.table_exists("monitoring", table):
        notes.append(
            f"skipped {wh.table('monitoring', table)}: table does not exist"
            " (build the monitoring models: dbt build --select tag:phase5)"
        )
        return None
    sql = f"select * from {wh.table('monitoring', table)} where game_date between @start and @end"
    return wh.query(sql, {"start": start, "end": end})


def evaluate(
    wh: Any,
    *,
    start: dt.date,
    end: dt.date,
    now: dt.datetime | None = None,
    run_results: Mapping[str, Any] | None = None,
    freshness: list[dict[str, Any]] | None = None,
    check_freshness: bool = False,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[list[Alert], list[str]]:
    """All alerts of the monitoring models for the date range, plus notes
    about skipped sources. ``freshness`` is dbt's per-source result (see
    :func:`read_freshness`). A source that fails to read becomes an alert;
    a lost warehouse (:class:`warehouse.WarehouseUnavailable`) propagates."""
    del now, check_freshness  # kept for callers of the earlier signature
    notes: list[str] = []
    alerts: list[Alert] = []
    dates = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]

    def guarded(name: str, read: Any) -> Any:
        try:
            return read()
        except warehouse.WarehouseUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - one broken source never hides the others
            log.debug("reading %s failed", name, exc_info=True)
            alerts.append(input_alert(Severity.CRITICAL, f"monitoring source {name}",
                                      redact(str(exc).strip().splitlines()[0] if str(exc).strip()
                                             else type(exc).__name__), end))
            return None

    stars = guarded("scraper_health_star_lines",
                    lambda: _rows_between(wh, "scraper_health_star_lines", start, end, notes))
    counts = guarded("daily_quality_counts",
                     lambda: _rows_between(wh, "daily_quality_counts", start, end, notes))
    for day in dates:
        # The gate levels of the date (daily_quality_counts); the star rows
        # only detail the star gate's level.
        row = next((r for r in counts or [] if r.get("game_date") == day), None)
        if stars is not None:
            alerts += guarded("scraper_health_star_lines", lambda: star_line_alerts(
                [r for r in stars if r.get("game_date") == day], day,
                (row or {}).get("stars_missing_lines_level"))) or []
        if counts is not None:
            alerts += guarded("daily_quality_counts",
                              lambda: quality_count_alerts(row, day, overrides)) or []

    volume = guarded("raw_source_volume_daily",
                     lambda: _rows_between(wh, "raw_source_volume_daily", start, end, notes))
    for day in dates if volume is not None else ():
        alerts += guarded("raw_source_volume_daily", lambda: raw_volume_alerts(
            [r for r in volume if r.get("game_date") == day], day)) or []

    gaps = guarded("feature_store_gaps", lambda: _rows_between(wh, "feature_store_gaps", start, end, notes))
    if gaps is not None:
        alerts += guarded("feature_store_gaps", lambda: gap_alerts(gaps, end)) or []

    if freshness is not None:
        alerts += freshness_alerts(freshness, end)
    if run_results is not None:
        alerts += dbt_result_alerts(run_results, end)
    return alerts, notes
