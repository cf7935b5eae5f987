"""`nba-fs alerts`: evaluate the monitoring models and send alerts.

Sources (python_hooks/alerting/sources.py; each tolerated when missing, with
a note on the console; each that cannot be read is an alert of its own):

* ``<monitoring>.daily_quality_counts``, its gate level columns (a gate at
  warn is a WARNING, at error a CRITICAL) -> FEATURE_ROWS_LOW,
  LOW_QUALITY_READY, RED_ALERTS_HIGH, MATCHUP_QUALITY_LOW, DEFAULTS_HIGH,
  VEGAS_COVERAGE_LOW, NO_QUALITY_COUNTS; with the star rows of
  ``<monitoring>.scraper_health_star_lines`` -> STAR_PLAYERS_MISSING_LINES
* ``<monitoring>.feature_store_gaps`` (open faults) -> GAPS_UNRESOLVED (a
  backfill closes them), GAPS_UPSTREAM_MISSING (it cannot)
* ``<monitoring>.raw_source_volume_daily`` (a raw source empty or far below
  its usual volume on a date with games) -> RAW_SOURCE_VOLUME_LOW
* dbt's own source freshness result (``dbt source freshness``, run on the
  warehouse, or its ``sources.json`` with ``--sources-json``) -> SOURCE_STALE
* dbt ``run_results.json`` -> DBT_TEST_FAILED, DBT_TEST_WARNED, DBT_NODE_ERROR
* the warehouse itself -> WAREHOUSE_UNAVAILABLE (CRITICAL); any unreadable
  input (run results, freshness result, audit lines, a monitoring table) ->
  ALERT_INPUT_INVALID

The gating thresholds are dbt_project.yml vars applied once, in SQL (macro
daily_gate_levels, when a date is built): the alerts read the levels, and
``--vars`` overrides only change the limits their summaries quote and the
``dbt source freshness`` run. Channels, suppression and the audit file:
python_hooks/alerting/delivery.py. Exit status: 2 if any CRITICAL alert was
raised (sent or suppressed) or the dates are unusable, 1 if any WARNING or a
delivery failed, else 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path

from python_hooks import clock, options, warehouse
from python_hooks.alerting.delivery import (  # noqa: F401 - the module's public names
    DEFAULT_DELAYS,
    Delivery,
    SlackWebhook,
    deliver,
    is_suppressed,
    read_audit,
    webhook_url,
    write_audit,
)
from python_hooks.alerting.rules import (  # noqa: F401
    MAX_DETAILS,
    Alert,
    Severity,
    backfill_command,
    date_ranges,
    dbt_result_alerts,
    exit_status,
    format_alert,
    freshness_alerts,
    gap_alerts,
    gap_class,
    input_alert,
    make_alert,
    quality_count_alerts,
    star_line_alerts,
)
from python_hooks.alerting.sources import (  # noqa: F401
    evaluate,
    read_freshness,
    read_run_results,
    run_source_freshness,
)
from python_hooks.redact import redact

log = logging.getLogger("nba_fs.alerts")

DEFAULT_AUDIT_FILE = "warehouse/alerts.jsonl"
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_date_option(parser, "--date", help="one game date (default: today)")
    options.add_date_option(parser, "--start-date", help="first game date of a range")
    options.add_date_option(parser, "--end-date", help="last game date of a range")
    options.add_db_option(parser)
    options.add_vars_option(parser)
    parser.add_argument("--run-results", help="dbt run_results.json to check (e.g. target/run_results.json)")
    parser.add_argument(
        "--audit-file", default=DEFAULT_AUDIT_FILE, help="JSON-lines audit and suppression state (0600)"
    )
    parser.add_argument("--suppress-minutes", type=float, default=360.0, help="suppression window")
    parser.add_argument("--skip-freshness", action="store_true", help="do not check raw-table freshness")
    parser.add_argument(
        "--sources-json",
        help="read dbt's freshness result (sources.json of `dbt source freshness`) instead of"
             " running `dbt source freshness` on the warehouse",
    )
    parser.add_argument("--target", default=None,
                        help="dbt target for `dbt source freshness` (default: the profile's)")


def resolve_range(args: argparse.Namespace, now: dt.datetime | None) -> tuple[dt.date, dt.date]:
    """--start-date/--end-date (either alone is a one-date range), else --date,
    else the run date. ValueError when the end is before the start."""
    if args.start_date or args.end_date:
        start = args.start_date or args.end_date
        end = args.end_date or args.start_date
    else:
        start = end = args.date or clock.run_date(now=now)
    if end < start:
        raise ValueError(f"end date {end} is before start date {start}")
    return start, end


def run(args: argparse.Namespace, now: dt.datetime | None = None) -> int:
    now = now or clock.utc_now()
    try:
        start, end = resolve_range(args, now)
    except ValueError as exc:
        print(f"nba-fs alerts: {exc}", file=sys.stderr)
        return EXIT_USAGE
    overrides = getattr(args, "vars", None) or {}
    alerts: list[Alert] = []
    notes: list[str] = []

    run_results = None
    if args.run_results:
        run_results, problems = read_run_results(Path(args.run_results), end)
        alerts += problems

    try:
        wh = warehouse.open_warehouse(args.db, read_only=True)
        try:
            found, notes = evaluate(wh, start=start, end=end, run_results=run_results,
                                    overrides=overrides)
            alerts += found
        finally:
            wh.close()
        reachable = True
    except warehouse.WarehouseUnavailable as exc:
        reachable = False
        alerts.append(make_alert(
            Severity.CRITICAL, "WAREHOUSE_UNAVAILABLE", end, redact(str(exc)),
            ["no monitoring model could be checked"],
            key=warehouse.duckdb_path(args.db),
            fix_command="check --db / NBA_DUCKDB_PATH (or NBA_WAREHOUSE / NBA_BQ_PROJECT), then rerun",
        ))
        if run_results is not None:
            alerts += dbt_result_alerts(run_results, end)

    if not args.skip_freshness and reachable:
        if args.sources_json:
            freshness, problems = read_freshness(Path(args.sources_json), end)
        else:
            freshness, problems = run_source_freshness(
                db=args.db, target=args.target, overrides=overrides, game_date=end)
        alerts += problems + freshness_alerts(freshness, end)

    print(f"alerts for {start}" + (f" .. {end}" if end != start else "") + f": {len(alerts)} raised")
    for note in notes:
        print(f"note: {note}")
    deliveries = deliver(
        alerts,
        audit_file=Path(args.audit_file),
        now=now,
        window=dt.timedelta(minutes=args.suppress_minutes),
    )
    status = exit_status([d.alert for d in deliveries])
    if any(d.failed for d in deliveries):
        status = max(status, 1)
    return status
