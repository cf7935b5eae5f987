"""Alert rules: pure functions, rows in, alerts out (no I/O, no clock).

The gating verdicts are the gate level columns of daily_quality_counts
(macro daily_gate_levels, from the dbt_project.yml vars, applied when a date
is built): the rules read them and never compare a figure with a gate
threshold. The vars (python_hooks.contract, with the ``--vars`` overrides)
only name the limits in the alert summaries.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from python_hooks import contract

MAX_DETAILS = 20
# Dates at most this far apart share one backfill range in a fix hint: a
# backfill rebuilds only the scheduled game dates inside a range, so spanning a
# few days without games costs nothing.
RANGE_GAP_DAYS = 7
# More ranges than this and the hint is one range over all of them.
MAX_RANGES_IN_HINT = 4

# Gap reasons (models/monitoring/feature_store_gaps.sql) by what closes them.
# A backfill rebuilds the precompute and feature-store models (phases 4-5)
# from the analytics rows that exist; it cannot create analytics or raw rows.
BACKFILL_CLOSES = frozenset({"missing_row", "missing_phase4"})
UPSTREAM_MISSING = frozenset({"missing_phase3", "no_game_summary"})
NOT_A_FAULT = frozenset({"insufficient_data"})
_REQUIRED_DEFAULTS = re.compile(r"required defaults:\s*([0-9][0-9,\s]*)")


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


def input_alert(severity: Severity, what: str, problem: str, game_date: dt.date | str | None,
                *, fix: str | None = None) -> Alert:
    """An input the alerts could not read is itself an alert (never a crash)."""
    return make_alert(severity, "ALERT_INPUT_INVALID", game_date, f"{what}: {problem}",
                      key=what, fix_command=fix)


def exit_status(alerts: Sequence[Alert]) -> int:
    """2 if any CRITICAL, 1 if any WARNING, else 0."""
    worst = max((alert.severity for alert in alerts), default=Severity.INFO)
    return {Severity.CRITICAL: 2, Severity.WARNING: 1}.get(worst, 0)


# ---------------------------------------------------------------------------
# Dates and fix hints.
# ---------------------------------------------------------------------------


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def date_ranges(dates: Iterable[Any], gap_days: int = RANGE_GAP_DAYS) -> list[tuple[dt.date, dt.date]]:
    """Sorted, merged (first, last) ranges; dates at most ``gap_days`` apart join."""
    ranges: list[list[dt.date]] = []
    for day in sorted({_as_date(d) for d in dates}):
        if ranges and (day - ranges[-1][1]).days <= gap_days:
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return [(first, last) for first, last in ranges]


def format_ranges(ranges: Sequence[tuple[dt.date, dt.date]]) -> str:
    return ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in ranges)


def backfill_command(dates: Iterable[str | dt.date]) -> str:
    """The backfill that rebuilds ``dates``: one date as ``--dates``, else date
    ranges (``--start-date``/``--end-date``), never a list of every date."""
    ranges = date_ranges(dates)
    if not ranges:
        return "nba-fs backfill"
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return f"nba-fs backfill --dates {ranges[0][0]}"
    if len(ranges) > MAX_RANGES_IN_HINT:
        ranges = [(ranges[0][0], ranges[-1][1])]
    return " && ".join(
        f"nba-fs backfill --start-date {first} --end-date {last}" for first, last in ranges
    )


# ---------------------------------------------------------------------------
# Evaluators.
# ---------------------------------------------------------------------------


# Gate levels of models/monitoring/daily_quality_counts.sql (macro
# daily_gate_levels compares the figures with the gate_* vars; the rules only
# read the decision): level -> alert severity. 'ok' and 'not_judged' (season
# warm-up, provisional date, lines not due, nothing to judge) raise nothing.
LEVEL_SEVERITY = {"warn": Severity.WARNING, "error": Severity.CRITICAL}
LEVEL_COLUMNS = (
    "canary_level",
    "pct_ready_level",
    "red_alert_level",
    "matchup_quality_level",
    "mean_defaults_level",
    "vegas_coverage_level",
    "stars_missing_lines_level",
)


def star_line_alerts(
    rows: Sequence[Mapping[str, Any]], game_date: dt.date, level: str | None
) -> list[Alert]:
    """Stars without a line point to a scraper fault: CRITICAL when the date's
    ``stars_missing_lines_level`` (daily_quality_counts) is warn or error;
    ``rows`` are the date's scraper_health_star_lines rows, for the details."""
    if level not in LEVEL_SEVERITY:
        return []
    outages = {r.get("game_id") for r in rows if r.get("is_game_level_outage")}
    details = []
    for row in sorted(rows, key=lambda r: (str(r.get("tipoff_at")), str(r.get("player_lookup")))):
        sources = [
            name
            for name, column in (("odds_api", "missing_odds_api"), ("bettingpros", "missing_bettingpros"))
            if row.get(column)
        ]
        outage = " [game-level outage]" if row.get("is_game_level_outage") else ""
        details.append(
            f"{row.get('player_lookup')} ({row.get('team_abbr')}) game {row.get('game_id')}"
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


# volume_status values of models/monitoring/raw_source_volume_daily.sql that
# are incidents (the model decides; the rule only reads the decision).
VOLUME_INCIDENTS = ("empty", "low")


def raw_volume_alerts(rows: Sequence[Mapping[str, Any]], game_date: dt.date) -> list[Alert]:
    """Raw sources that delivered nothing or far fewer rows than usual for a
    date with games (raw_source_volume_daily rows of that date): one
    WARNING naming each source. Not a bad row to quarantine but a scraper
    or load that did not run."""
    incidents = sorted(
        (r for r in rows if r.get("volume_status") in VOLUME_INCIDENTS),
        key=lambda r: str(r.get("source_table")),
    )
    if not incidents:
        return []
    details = []
    for row in incidents:
        usual = row.get("usual_rows")
        against = f" (usual {usual:g}, {row.get('pct_of_usual')}%)" if usual is not None else ""
        details.append(
            f"{row.get('source_table')}: {row.get('volume_status')}, {row.get('rows_delivered')} row(s)"
            f" for {row.get('games_counted')} game(s){against}"
        )
    names = [str(r.get("source_table")) for r in incidents]
    return [
        make_alert(
            Severity.WARNING,
            "RAW_SOURCE_VOLUME_LOW",
            game_date,
            f"{len(incidents)} raw source(s) delivered nothing or far fewer rows than usual: "
            + ", ".join(names),
            details,
            key=",".join(names),
            fix_command=f"re-run the scrapers of {', '.join(names)} for {game_date},"
                        f" then {backfill_command([game_date])}",
        )
    ]


def _num(row: Mapping[str, Any], column: str) -> float | None:
    value = row.get(column)
    return None if value is None else float(value)


# (alert type, level column, figure column, warn var, error var, relation, text)
# of the four readiness gates; the vars only name the limit in the summary.
READINESS_CHECKS = (
    ("LOW_QUALITY_READY", "pct_ready_level", "pct_ready", "gate_pct_ready_warn_below",
     "gate_pct_ready_error_below", "below", "pct ready {v}%"),
    ("RED_ALERTS_HIGH", "red_alert_level", "red_alert_pct", "gate_red_share_warn_above",
     "gate_red_share_error_above", "above", "red alert share {v}%"),
    ("MATCHUP_QUALITY_LOW", "matchup_quality_level", "mean_matchup_quality_pct",
     "gate_matchup_pct_warn_below", "gate_matchup_pct_error_below", "below",
     "mean matchup quality {v}%"),
    ("DEFAULTS_HIGH", "mean_defaults_level", "mean_default_feature_count",
     "gate_mean_defaults_warn_above", "gate_mean_defaults_error_above", "above",
     "mean default feature count {v}"),
)


def quality_count_alerts(
    row: Mapping[str, Any] | None,
    game_date: dt.date,
    overrides: Mapping[str, Any] | None = None,
) -> list[Alert]:
    """The gate levels of a daily_quality_counts row as alerts: a gate at warn
    is a WARNING, at error a CRITICAL; ok and not_judged raise nothing. The
    model decides the levels (macro daily_gate_levels); ``overrides`` only
    change the limits the summaries quote."""
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
    missing = [column for column in LEVEL_COLUMNS if column not in row]
    if missing:
        return [
            input_alert(
                Severity.CRITICAL, "monitoring source daily_quality_counts",
                f"no gate level column {', '.join(missing)} (built before the gate levels)",
                game_date, fix="dbt build --select daily_quality_counts --full-refresh",
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

    if row.get("canary_level") in LEVEL_SEVERITY:
        alerts.append(
            make_alert(
                LEVEL_SEVERITY[row["canary_level"]],
                "FEATURE_ROWS_LOW",
                game_date,
                f"only {total} feature rows (canary floor {t('gate_min_players_per_date'):g})",
                context,
                fix_command=rebuild,
            )
        )
    if total == 0:
        return alerts

    for alert_type, level_column, column, warn, error, relation, text in READINESS_CHECKS:
        level = row.get(level_column)
        if level not in LEVEL_SEVERITY:
            continue
        limit = t(error) if level == "error" else t(warn)
        value = _num(row, column)
        shown = "?" if value is None else round(value, 2)
        summary = text.format(v=shown) + f" is {relation} {limit:g}"
        alerts.append(make_alert(LEVEL_SEVERITY[level], alert_type, game_date, summary, context,
                                 fix_command=rebuild))

    level = row.get("vegas_coverage_level")
    if level in LEVEL_SEVERITY:
        band = "critical" if level == "error" else "warning"
        alerts.append(
            make_alert(
                LEVEL_SEVERITY[level],
                "VEGAS_COVERAGE_LOW",
                game_date,
                f"vegas line coverage {row.get('vegas_coverage_pct')}% ({band};"
                f" healthy >= {t('gate_vegas_coverage_warn_below'):g}%)",
                context,
                fix_command=f"check the odds scrapers for {game_date}, then {rebuild}",
            )
        )
    return alerts


def expected_fallback_indices() -> frozenset[int]:
    """Features whose default means "no such history yet", not a fault: the
    opponent-history features (feature 29, points vs this opponent: a player
    who has not met the opponent within the look-back has none)."""
    return frozenset(f.index for f in contract.features() if f.source_present == "opponent_history")


def required_default_indices(detail: Any) -> frozenset[int] | None:
    """The indices a gap's ``reason_detail`` lists as required defaults."""
    found = _REQUIRED_DEFAULTS.search(str(detail or ""))
    if not found:
        return None
    return frozenset(int(part) for part in found.group(1).replace(" ", "").split(",") if part)


def gap_class(row: Mapping[str, Any], expected: frozenset[int] | None = None) -> str:
    """What closes a gap: ``backfill``, ``upstream`` (analytics or raw rows
    are missing: a backfill alone cannot close it), ``expected`` (only an
    opponent-history fallback: nothing to fix) or ``none`` (not a fault)."""
    reason = row.get("reason")
    if reason in NOT_A_FAULT or row.get("is_fault") is False:
        return "none"
    if reason in BACKFILL_CLOSES:
        return "backfill"
    if reason == "missing_phase3":
        indices = required_default_indices(row.get("reason_detail"))
        fallbacks = expected_fallback_indices() if expected is None else expected
        if indices and indices <= fallbacks:
            return "expected"
        return "upstream"
    if reason in UPSTREAM_MISSING:
        return "upstream"
    return "backfill" if row.get("is_fault") else "none"


def gap_alerts(rows: Sequence[Mapping[str, Any]], end_date: dt.date) -> list[Alert]:
    """Open fault gaps: GAPS_UNRESOLVED (a backfill closes them, with the
    backfill of their date ranges) and GAPS_UPSTREAM_MISSING (their analytics
    or raw rows are missing: no backfill suggested). Gaps whose only required
    defaults are opponent-history fallbacks are expected and not alerted."""
    expected = expected_fallback_indices()
    classes: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        if row.get("resolved_at") is None:
            classes[gap_class(row, expected)].append(row)
    alerts = []
    if classes["backfill"]:
        open_rows = classes["backfill"]
        dates = sorted({_date_text(r["game_date"]) for r in open_rows})
        alerts.append(
            make_alert(
                Severity.WARNING,
                "GAPS_UNRESOLVED",
                end_date,
                f"{len(open_rows)} open fixable gap(s) on {len(dates)} date(s)",
                _gap_details(open_rows),
                key=_digest(dates),
                fix_command=backfill_command(dates),
            )
        )
    if classes["upstream"]:
        open_rows = classes["upstream"]
        dates = sorted({_date_text(r["game_date"]) for r in open_rows})
        ranges = format_ranges(date_ranges(dates))
        alerts.append(
            make_alert(
                Severity.WARNING,
                "GAPS_UPSTREAM_MISSING",
                end_date,
                f"{len(open_rows)} open gap(s) on {len(dates)} date(s) lack analytics or raw"
                " rows: a backfill alone cannot close them",
                _gap_details(open_rows),
                key=_digest(dates),
                fix_command=(
                    f"reload the raw data for {ranges}, rebuild the analytics models"
                    " (dbt build --select tag:phase2 tag:phase3), then "
                    + backfill_command(dates)
                ),
            )
        )
    return alerts


def _gap_details(open_rows: Sequence[Mapping[str, Any]]) -> list[str]:
    by_reason: dict[str, set[str]] = defaultdict(set)
    counts: Counter[str] = Counter()
    for row in open_rows:
        reason = str(row.get("reason") or "?")
        by_reason[reason].add(_date_text(row["game_date"]))
        counts[reason] += 1
    details = [
        f"{reason} {counts[reason]} on {len(days)} date(s): {format_ranges(date_ranges(days))}"
        for reason, days in sorted(by_reason.items())
    ]
    details += [
        _gap_line(r)
        for r in sorted(open_rows, key=lambda r: (_date_text(r["game_date"]), str(r.get("player_lookup"))))
    ]
    return details


def _digest(values: Sequence[str]) -> str:
    return hashlib.sha1(",".join(values).encode()).hexdigest()[:12]


def _gap_line(row: Mapping[str, Any]) -> str:
    line = f"{row.get('player_lookup')} {_date_text(row['game_date'])} {row.get('reason')}"
    return f"{line}: {row['reason_detail']}" if row.get("reason_detail") else line


def _date_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def freshness_alerts(results: Sequence[Mapping[str, Any]], game_date: dt.date) -> list[Alert]:
    """One SOURCE_STALE alert over the raw tables dbt reports stale.

    ``results`` are the entries of dbt's ``sources.json`` (``dbt source
    freshness``): dbt has applied the limits of models/staging/_sources.yml
    (and skipped tables whose freshness is null), so this counts what dbt
    counts."""
    stale: list[tuple[Severity, str, str]] = []
    for result in results:
        status = str(result.get("status", "")).lower()
        table = str(result.get("unique_id", "?")).split(".")[-1]
        if status == "pass":
            continue
        if status == "warn":
            severity = Severity.WARNING
        else:  # error, runtime error
            severity = Severity.CRITICAL
        age = result.get("max_loaded_at_time_ago_in_s")
        if status == "runtime error":
            text = f"{table}: dbt could not check it ({_first_line(result.get('error'))})"
        else:
            loaded = str(result.get("max_loaded_at") or "never")[:16].replace("T", " ")
            hours = f" ({float(age) / 3600:.0f} h ago)" if isinstance(age, (int, float)) else ""
            text = f"{table}: {status}, last loaded {loaded} UTC{hours}"
        stale.append((severity, table, text))
    if not stale:
        return []
    worst = max(severity for severity, _, _ in stale)
    criteria = next((r.get("criteria") for r in results if r.get("criteria")), None) or {}
    limits = ""
    if criteria.get("warn_after", {}).get("count") is not None:
        limits = (f" (warn after {_period(criteria.get('warn_after'))},"
                  f" error after {_period(criteria.get('error_after'))})")
    return [
        make_alert(
            worst,
            "SOURCE_STALE",
            game_date,
            f"{len(stale)} raw table(s) stale per dbt source freshness{limits}",
            [text for _, _, text in sorted(stale, key=lambda s: s[1])],
            key=",".join(sorted(table for _, table, _ in stale)),
            fix_command="re-run the scrapers, then dbt source freshness",
        )
    ]


def _period(spec: Any) -> str:
    if not isinstance(spec, Mapping) or spec.get("count") is None:
        return "-"
    return f"{spec['count']} {spec.get('period', '')}(s)".strip()


def _first_line(value: Any) -> str:
    lines = str(value or "").strip().splitlines()
    return lines[0][:160] if lines else "no message"


def dbt_result_alerts(run_results: Mapping[str, Any], game_date: dt.date) -> list[Alert]:
    """Failing / warning tests and errored nodes of a dbt run_results.json.

    The document's shape is checked by ``sources.read_run_results``; entries
    that are not objects are skipped here (never a crash)."""
    failed, warned, errored = [], [], []
    results = run_results.get("results", []) if isinstance(run_results, Mapping) else []
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, Mapping):
            continue
        unique_id = str(result.get("unique_id") or "")
        status = str(result.get("status", "")).lower()
        is_test = unique_id.startswith(("test.", "unit_test."))
        parts = unique_id.split(".")
        # test.<package>.<name>.<hash>; unit_test.<package>.<model>.<name>;
        # <model|seed|...>.<package>.<name>[.v<version>] (a versioned model)
        if unique_id.startswith("test.") and len(parts) >= 4:
            name = parts[-2]
        elif not is_test and len(parts) >= 3:
            name = ".".join(parts[2:])
        else:
            name = parts[-1]
        line = f"{name}: {status}"
        if result.get("failures"):
            line += f" ({result['failures']} failing rows)"
        message = str(result.get("message") or "").strip().splitlines()
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
