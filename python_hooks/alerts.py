"""`nba-fs alerts`: evaluate the monitoring models and send alerts.

Sources (each tolerated when missing, with a note on the console):

* ``<monitoring>.scraper_health_star_lines`` -> STAR_PLAYERS_MISSING_LINES
* ``<monitoring>.daily_quality_counts`` (and ``vegas_coverage_daily``) ->
  FEATURE_ROWS_LOW, LOW_QUALITY_READY, RED_ALERTS_HIGH, MATCHUP_QUALITY_LOW,
  DEFAULTS_HIGH, VEGAS_COVERAGE_LOW, NO_QUALITY_COUNTS
* ``<monitoring>.feature_store_gaps`` (open, fixable) -> GAPS_UNRESOLVED
* ``max(loaded_at)`` of each raw source table -> SOURCE_STALE
* dbt ``run_results.json`` -> DBT_TEST_FAILED, DBT_TEST_WARNED, DBT_NODE_ERROR

Every threshold comes from dbt_project.yml vars (python_hooks.contract); the
freshness limits come from the ``freshness`` block of
``models/staging/_sources.yml`` (what ``dbt source freshness`` uses).

Channels: console (always), Slack incoming webhook (``NBA_SLACK_WEBHOOK_URL``,
overridden per severity by ``NBA_SLACK_WEBHOOK_URL_<SEVERITY>``; body
``{"text": ...}``; 3 attempts, waits 1 s then 2 s), and a JSON-lines audit file.
An alert whose (type, game date, key) was delivered within the suppression
window at the same or a higher severity is not sent again (state: the audit
file). Exit status: 2 if any CRITICAL alert was raised (sent or suppressed),
1 if any WARNING, else 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import hashlib
import json
import os
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import yaml

from python_hooks import contract, warehouse
from python_hooks.sinks import DEFAULT_DELAYS, publish_with_retry

MAX_DETAILS = 20
SOURCES_FILE = contract.PROJECT_ROOT / "models" / "staging" / "_sources.yml"
DEFAULT_AUDIT_FILE = "warehouse/alerts.jsonl"
FIXABLE_GAP_REASONS = frozenset({"missing_row", "missing_phase4", "missing_phase3", "no_game_summary"})


class Severity(enum.IntEnum):
    INFO = 0
    WARNING = 1
    CRITICAL = 2


@dataclass(frozen=True)
class Alert:
    severity: Severity
    alert_type: str
    game_date: str | None
    key: str
    summary: str
    details: tuple[str, ...] = ()
    fix_command: str | None = None

    def identity(self) -> tuple[str, str | None, str]:
        return (self.alert_type, self.game_date, self.key)


def make_alert(
    severity: Severity,
    alert_type: str,
    game_date: dt.date | str | None,
    summary: str,
    details: Iterable[str] = (),
    *,
    key: str = "",
    fix_command: str | None = None,
) -> Alert:
    lines = list(details)
    if len(lines) > MAX_DETAILS:
        lines = lines[: MAX_DETAILS - 1] + [f"... and {len(lines) - MAX_DETAILS + 1} more"]
    date_text = game_date.isoformat() if isinstance(game_date, dt.date) else game_date
    return Alert(severity, alert_type, date_text, key, summary, tuple(lines), fix_command)


def format_alert(alert: Alert) -> str:
    """The text of console and Slack messages."""
    head = f"[{alert.severity.name}] {alert.alert_type}"
    if alert.game_date:
        head += f" {alert.game_date}"
    lines = [f"{head}: {alert.summary}"]
    lines += [f"  - {line}" for line in alert.details]
    if alert.fix_command:
        lines.append(f"  fix: {alert.fix_command}")
    return "\n".join(lines)


def backfill_command(dates: Iterable[str | dt.date]) -> str:
    text = ",".join(sorted({d.isoformat() if isinstance(d, dt.date) else str(d) for d in dates}))
    return f"nba-fs backfill --dates {text}"


# ---------------------------------------------------------------------------
# Pure evaluators: rows in, alerts out.
# ---------------------------------------------------------------------------


def _band(value: float, warn: float, error: float, *, below: bool) -> Severity | None:
    """CRITICAL past the error limit, WARNING past the warn limit, else None."""
    if below:
        if value < error:
            return Severity.CRITICAL
        if value < warn:
            return Severity.WARNING
    else:
        if value > error:
            return Severity.CRITICAL
        if value > warn:
            return Severity.WARNING
    return None


def star_line_alerts(
    rows: Sequence[Mapping[str, Any]], game_date: dt.date, overrides: Mapping[str, Any] | None = None
) -> list[Alert]:
    """Stars without a line point to a scraper fault: CRITICAL above the limit."""
    limit = float(contract.threshold("gate_stars_missing_lines_warn_above", overrides))
    if len(rows) <= limit:
        return []
    outages = sorted({r.get("game_id") for r in rows if r.get("is_game_level_outage")})
    details = []
    for row in sorted(rows, key=lambda r: (str(r.get("tipoff_at")), r["player_lookup"])):
        sources = [
            name
            for name, column in (("odds_api", "missing_odds_api"), ("bettingpros", "missing_bettingpros"))
            if row.get(column)
        ]
        outage = " [game-level outage]" if row.get("is_game_level_outage") else ""
        details.append(
            f"{row['player_lookup']} ({row.get('team_abbr')}) game {row.get('game_id')}"
            f" tipoff {row.get('tipoff_at')} tier {row.get('star_tier')}"
            f" missing: {', '.join(sources) or '?'}{outage}"
        )
    summary = f"{len(rows)} star player(s) have no pre-tipoff line"
    if outages:
        summary += f"; {len(outages)} game(s) have no lines at all"
    return [
        make_alert(
            Severity.CRITICAL,
            "STAR_PLAYERS_MISSING_LINES",
            game_date,
            summary,
            details,
            fix_command=f"check the odds scrapers for {game_date}, then {backfill_command([game_date])}",
        )
    ]


def _num(row: Mapping[str, Any], column: str) -> float | None:
    value = row.get(column)
    return None if value is None else float(value)


def quality_count_alerts(
    row: Mapping[str, Any] | None,
    game_date: dt.date,
    coverage_band: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> list[Alert]:
    """Daily quality counts against the gating thresholds (section 3)."""
    t = lambda name: float(contract.threshold(name, overrides))  # noqa: E731
    if row is None:
        return [
            make_alert(
                Severity.INFO,
                "NO_QUALITY_COUNTS",
                game_date,
                "no daily_quality_counts row for this date (no counted games, or not built yet)",
            )
        ]
    total = int(row.get("total_records") or 0)
    pct_ready = _num(row, "pct_ready")
    context = [
        f"rows {total}, ready {row.get('quality_ready')} ({pct_ready}%),"
        f" ready if vegas were required {row.get('pct_ready_if_vegas_required')}%",
        f"alert levels green {row.get('green_count')} / yellow {row.get('yellow_count')}"
        f" / red {row.get('red_count')}; mean score {row.get('mean_quality_score')}",
        f"mean defaults {row.get('mean_default_feature_count')}, mean matchup"
        f" {row.get('mean_matchup_quality_pct')}%, vegas coverage {row.get('vegas_coverage_pct')}%",
    ]
    rebuild = backfill_command([game_date])
    alerts: list[Alert] = []

    shortfall = row.get("canary_shortfall")
    min_rows = t("gate_min_players_per_date")
    if (shortfall is not None and shortfall > 0) or (shortfall is None and total < min_rows):
        alerts.append(
            make_alert(
                Severity.CRITICAL,
                "FEATURE_ROWS_LOW",
                game_date,
                f"only {total} feature rows (canary floor {min_rows:g})",
                context,
                fix_command=rebuild,
            )
        )
    if total == 0:
        return alerts

    warmup = bool(row.get("is_season_warmup"))
    checks = [
        ("LOW_QUALITY_READY", pct_ready, "gate_pct_ready_warn_below", "gate_pct_ready_error_below", True,
         "pct ready {v}%"),
        ("RED_ALERTS_HIGH", _red_share(row, total), "gate_red_share_warn_above", "gate_red_share_error_above",
         False, "red alert share {v}%"),
        ("MATCHUP_QUALITY_LOW", _num(row, "mean_matchup_quality_pct"), "gate_matchup_pct_warn_below",
         "gate_matchup_pct_error_below", True, "mean matchup quality {v}%"),
        ("DEFAULTS_HIGH", _num(row, "mean_default_feature_count"), "gate_mean_defaults_warn_above",
         "gate_mean_defaults_error_above", False, "mean default feature count {v}"),
    ]
    for alert_type, value, warn, error, below, text in checks:
        if value is None:
            continue
        severity = _band(value, t(warn), t(error), below=below)
        if severity is None:
            continue
        if warmup:
            severity = Severity.INFO  # too early in the season for the gates
        limit = t(error) if severity is Severity.CRITICAL else t(warn)
        relation = "below" if below else "above"
        summary = text.format(v=round(value, 2)) + f" is {relation} {limit:g}"
        if warmup:
            summary += " (season warm-up: informational)"
        alerts.append(make_alert(severity, alert_type, game_date, summary, context, fix_command=rebuild))

    coverage = _num(row, "vegas_coverage_pct")
    severity = None
    if coverage_band is not None:
        severity = {"warning": Severity.WARNING, "critical": Severity.CRITICAL}.get(coverage_band)
    elif coverage is not None:
        severity = _band(
            coverage, t("vegas_coverage_healthy_min"), t("vegas_coverage_warning_min"), below=True
        )
    if severity is not None:
        alerts.append(
            make_alert(
                severity,
                "VEGAS_COVERAGE_LOW",
                game_date,
                f"vegas line coverage {coverage}% ({coverage_band or severity.name.lower()};"
                f" healthy >= {t('vegas_coverage_healthy_min'):g}%)",
                context,
                fix_command=f"check the odds scrapers for {game_date}, then {rebuild}",
            )
        )
    return alerts


def _red_share(row: Mapping[str, Any], total: int) -> float | None:
    if row.get("red_alert_pct") is not None:
        return float(row["red_alert_pct"])
    if row.get("red_count") is None or not total:
        return None
    return round(100.0 * float(row["red_count"]) / total, 1)


def gap_alerts(rows: Sequence[Mapping[str, Any]], end_date: dt.date) -> list[Alert]:
    """Open gaps with a fixable reason -> one GAPS_UNRESOLVED with the backfill command."""
    open_rows = [
        r
        for r in rows
        if r.get("resolved_at") is None
        and (r.get("is_fault") if r.get("is_fault") is not None else r.get("reason") in FIXABLE_GAP_REASONS)
    ]
    if not open_rows:
        return []
    by_date: dict[str, Counter[str]] = defaultdict(Counter)
    for row in open_rows:
        by_date[_date_text(row["game_date"])][row.get("reason") or "?"] += 1
    dates = sorted(by_date)
    details = [
        f"{d}: " + ", ".join(f"{reason} {n}" for reason, n in by_date[d].most_common()) for d in dates
    ]
    details += [
        _gap_line(r)
        for r in sorted(open_rows, key=lambda r: (_date_text(r["game_date"]), r["player_lookup"]))
    ]
    return [
        make_alert(
            Severity.WARNING,
            "GAPS_UNRESOLVED",
            end_date,
            f"{len(open_rows)} open fixable gap(s) on {len(dates)} date(s)",
            details,
            key=",".join(dates),
            fix_command=backfill_command(dates),
        )
    ]


def _gap_line(row: Mapping[str, Any]) -> str:
    line = f"{row['player_lookup']} {_date_text(row['game_date'])} {row.get('reason')}"
    return f"{line}: {row['reason_detail']}" if row.get("reason_detail") else line


def _date_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


@dataclass(frozen=True)
class Freshness:
    warn_after: dt.timedelta
    error_after: dt.timedelta


def source_freshness_limits(path: Path = SOURCES_FILE) -> tuple[Freshness, list[str]]:
    """Freshness limits and table names of the raw source (one definition)."""
    document = yaml.safe_load(path.read_text())
    source = document["sources"][0]
    config = source.get("config", {}).get("freshness") or source.get("freshness") or {}

    def delta(spec: Mapping[str, Any]) -> dt.timedelta:
        return dt.timedelta(**{f"{spec['period']}s": int(spec["count"])})

    limits = Freshness(delta(config["warn_after"]), delta(config["error_after"]))
    return limits, [table["name"] for table in source.get("tables", [])]


def freshness_alerts(
    loaded: Mapping[str, dt.datetime | None], now: dt.datetime, limits: Freshness, game_date: dt.date
) -> list[Alert]:
    """One SOURCE_STALE alert over all raw tables older than the limits."""
    now_naive = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    stale: list[tuple[Severity, str]] = []
    for table, latest in sorted(loaded.items()):
        if latest is None:
            stale.append((Severity.CRITICAL, f"{table}: no rows"))
            continue
        latest_naive = latest.astimezone(dt.timezone.utc).replace(tzinfo=None) if latest.tzinfo else latest
        age = now_naive - latest_naive
        severity = Severity.CRITICAL if age > limits.error_after else (
            Severity.WARNING if age > limits.warn_after else None
        )
        if severity is not None:
            hours = age.total_seconds() / 3600
            stale.append(
                (severity, f"{table}: last loaded {latest_naive:%Y-%m-%d %H:%M} UTC ({hours:.0f} h ago)")
            )
    if not stale:
        return []
    worst = max(severity for severity, _ in stale)
    return [
        make_alert(
            worst,
            "SOURCE_STALE",
            game_date,
            f"{len(stale)} raw table(s) not loaded within {_hours(limits.warn_after)}"
            f" (error after {_hours(limits.error_after)})",
            [text for _, text in stale],
            key=",".join(sorted(text.split(":")[0] for _, text in stale)),
            fix_command="re-run the scrapers, then dbt source freshness",
        )
    ]


def _hours(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 3600:g} h"


def dbt_result_alerts(run_results: Mapping[str, Any], game_date: dt.date) -> list[Alert]:
    """Failing / warning tests and errored nodes of a dbt run_results.json."""
    failed, warned, errored = [], [], []
    for result in run_results.get("results", []):
        unique_id = result.get("unique_id", "")
        status = str(result.get("status", "")).lower()
        is_test = unique_id.startswith(("test.", "unit_test."))
        parts = unique_id.split(".")
        # test.<package>.<name>.<hash>; unit_test.<package>.<model>.<name>
        name = parts[-2] if unique_id.startswith("test.") and len(parts) >= 4 else parts[-1]
        line = f"{name}: {status}"
        if result.get("failures"):
            line += f" ({result['failures']} failing rows)"
        message = (result.get("message") or "").strip().splitlines()
        if message:
            line += f" - {message[0][:160]}"
        if is_test and status in ("fail", "error"):
            failed.append((name, line))
        elif is_test and status == "warn":
            warned.append((name, line))
        elif status == "error":
            errored.append((name, line))
    alerts = []
    for alert_type, severity, items, verb in (
        ("DBT_TEST_FAILED", Severity.CRITICAL, failed, "failing"),
        ("DBT_TEST_WARNED", Severity.WARNING, warned, "warning"),
        ("DBT_NODE_ERROR", Severity.CRITICAL, errored, "errored"),
    ):
        if not items:
            continue
        names = sorted(name for name, _ in items)
        alerts.append(
            make_alert(
                severity,
                alert_type,
                game_date,
                f"{len(items)} {verb} dbt node(s) in run_results.json",
                [line for _, line in sorted(items)],
                key=hashlib.sha1(",".join(names).encode()).hexdigest()[:12],
                fix_command="dbt build --select " + " ".join(names[:10]),
            )
        )
    return alerts


# ---------------------------------------------------------------------------
# Suppression and delivery.
# ---------------------------------------------------------------------------


def read_audit(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a torn line never blocks alerting
    return records


def is_suppressed(
    alert: Alert, audit: Sequence[Mapping[str, Any]], now: dt.datetime, window: dt.timedelta
) -> bool:
    """Delivered within the window at the same or a higher severity."""
    for record in audit:
        if not record.get("delivered"):
            continue
        if (record.get("alert_type"), record.get("game_date"), record.get("key")) != alert.identity():
            continue
        if Severity[record.get("severity", "INFO")] < alert.severity:
            continue  # an escalation is always sent
        try:
            sent_at = dt.datetime.fromisoformat(record["recorded_at"])
        except (KeyError, ValueError):
            continue
        if now - sent_at <= window:
            return True
    return False


@dataclass
class SlackWebhook:
    """One POST of ``{"text": ...}``; raises on a non-2xx answer."""

    url: str
    timeout: float = 10.0
    name: str = "slack"

    def publish(self, message: Mapping[str, Any]) -> None:
        import requests

        response = requests.post(self.url, json=dict(message), timeout=self.timeout)
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")

    def close(self) -> None:
        pass


def webhook_url(severity: Severity, env: Mapping[str, str] | None = None) -> str | None:
    environ = os.environ if env is None else env
    specific = environ.get(f"NBA_SLACK_WEBHOOK_URL_{severity.name}")
    return specific or environ.get("NBA_SLACK_WEBHOOK_URL") or None


@dataclass
class Delivery:
    alert: Alert
    suppressed: bool
    slack: dict[str, Any] = field(default_factory=dict)

    @property
    def delivered(self) -> bool:
        return not self.suppressed and self.slack.get("ok", True)


def deliver(
    alerts: Sequence[Alert],
    *,
    audit_file: Path,
    now: dt.datetime,
    window: dt.timedelta,
    env: Mapping[str, str] | None = None,
    delays: Sequence[float] = DEFAULT_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
    out: Any = None,
) -> list[Delivery]:
    """Console always; Slack unless suppressed; one audit line per alert."""
    out = out or sys.stdout
    audit = read_audit(audit_file)
    deliveries = []
    for alert in alerts:
        suppressed = is_suppressed(alert, audit, now, window)
        text = format_alert(alert)
        print(text + ("\n  (suppressed: already sent within the window)" if suppressed else ""), file=out)
        slack: dict[str, Any] = {"configured": False}
        url = webhook_url(alert.severity, env)
        if url and not suppressed:
            result = publish_with_retry(SlackWebhook(url), {"text": text}, delays=delays, sleep=sleep)
            slack = {"configured": True, "ok": result.ok, "attempts": result.attempts, "error": result.error}
            if not result.ok:
                print(f"  slack webhook failed after {result.attempts} attempts: {result.error}", file=out)
        deliveries.append(Delivery(alert, suppressed, slack))
    write_audit(audit_file, deliveries, now)
    return deliveries


def write_audit(path: Path, deliveries: Sequence[Delivery], now: dt.datetime) -> None:
    if not deliveries:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for delivery in deliveries:
            record = asdict(delivery.alert)
            record["severity"] = delivery.alert.severity.name
            record.update(
                recorded_at=now.isoformat(),
                status="suppressed" if delivery.suppressed else "sent",
                delivered=delivery.delivered,
                slack=delivery.slack,
            )
            handle.write(json.dumps(record, sort_keys=True, default=str) + "\n")


def exit_status(alerts: Sequence[Alert]) -> int:
    """2 if any CRITICAL, 1 if any WARNING, else 0."""
    worst = max((alert.severity for alert in alerts), default=Severity.INFO)
    return {Severity.CRITICAL: 2, Severity.WARNING: 1}.get(worst, 0)


# ---------------------------------------------------------------------------
# Reading the warehouse.
# ---------------------------------------------------------------------------


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
    now: dt.datetime,
    run_results: Mapping[str, Any] | None = None,
    check_freshness: bool = True,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[list[Alert], list[str]]:
    """All alerts for the date range, plus notes about skipped sources."""
    notes: list[str] = []
    alerts: list[Alert] = []
    dates = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]

    stars = _rows_between(wh, "scraper_health_star_lines", start, end, notes)
    counts = _rows_between(wh, "daily_quality_counts", start, end, notes)
    coverage = (
        _rows_between(wh, "vegas_coverage_daily", start, end, [])
        if wh.table_exists("monitoring", "vegas_coverage_daily")
        else None
    )
    for day in dates:
        if stars is not None:
            alerts += star_line_alerts([r for r in stars if r["game_date"] == day], day, overrides)
        if counts is not None:
            row = next((r for r in counts if r["game_date"] == day), None)
            band = next((r.get("coverage_band") for r in coverage or [] if r["game_date"] == day), None)
            alerts += quality_count_alerts(row, day, band, overrides)

    gaps = _rows_between(wh, "feature_store_gaps", start, end, notes)
    if gaps is not None:
        alerts += gap_alerts(gaps, end)

    if check_freshness:
        limits, tables = source_freshness_limits()
        loaded: dict[str, dt.datetime | None] = {}
        for table in tables:
            if wh.table_exists("raw", table):
                loaded[table] = wh.query(f"select max(loaded_at) as m from {wh.table('raw', table)}")[0]["m"]
            else:
                notes.append(f"skipped freshness of {wh.table('raw', table)}: table does not exist")
        alerts += freshness_alerts(loaded, now, limits, end)

    if run_results is not None:
        alerts += dbt_result_alerts(run_results, end)
    return alerts, notes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--date", help="one game date: today, yesterday or YYYY-MM-DD (default today, US Eastern)"
    )
    parser.add_argument("--start-date", help="first game date of a range")
    parser.add_argument("--end-date", help="last game date of a range")
    parser.add_argument("--db", help="DuckDB file (default NBA_DUCKDB_PATH or warehouse/nba.duckdb)")
    parser.add_argument("--run-results", help="dbt run_results.json to check (e.g. target/run_results.json)")
    parser.add_argument(
        "--audit-file", default=DEFAULT_AUDIT_FILE, help="JSON-lines audit and suppression state"
    )
    parser.add_argument("--suppress-minutes", type=float, default=360.0, help="suppression window")
    parser.add_argument("--skip-freshness", action="store_true", help="do not check raw-table freshness")


def _parse_day(value: str, now: dt.datetime) -> dt.date:
    from python_hooks.dispatch import resolve_date

    if value == "yesterday":
        return resolve_date("today", now) - dt.timedelta(days=1)
    return resolve_date(value, now)


def run(args: argparse.Namespace, now: dt.datetime | None = None) -> int:
    now = now or dt.datetime.now(dt.timezone.utc)
    try:
        if args.start_date or args.end_date:
            start = _parse_day(args.start_date or args.end_date, now)
            end = _parse_day(args.end_date or args.start_date, now)
        else:
            start = end = _parse_day(args.date or "today", now)
    except ValueError as exc:
        print(f"alerts: {exc}", file=sys.stderr)
        return 2
    run_results = None
    notes: list[str] = []
    if args.run_results:
        try:
            run_results = json.loads(Path(args.run_results).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            notes.append(f"skipped dbt results: cannot read {args.run_results} ({exc})")
    try:
        wh = warehouse.open_warehouse(args.db, read_only=True)
        try:
            alerts, more_notes = evaluate(
                wh, start=start, end=end, now=now, run_results=run_results,
                check_freshness=not args.skip_freshness,
            )
        finally:
            wh.close()
    except FileNotFoundError as exc:
        alerts = dbt_result_alerts(run_results, end) if run_results else []
        more_notes = [f"no warehouse: {exc}"]
    notes += more_notes
    print(f"alerts for {start}" + (f" .. {end}" if end != start else "") + f": {len(alerts)} raised")
    for note in notes:
        print(f"note: {note}")
    deliver(
        alerts,
        audit_file=Path(args.audit_file),
        now=now,
        window=dt.timedelta(minutes=args.suppress_minutes),
    )
    return exit_status(alerts)
