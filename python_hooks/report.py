"""`nba-fs report`: one self-contained HTML quality report for a date range.

Sections (each tolerated when its table is missing, with a note in the
report):

* readiness over time: ``daily_quality_counts.pct_ready`` and
  ``pct_ready_if_vegas_required``, the dates its ``pct_ready_level`` puts at
  warn, at error or not judged, and the gate thresholds;
* vegas coverage over time (``vegas_coverage_daily``) on its healthy /
  warning / critical bands;
* a heatmap of defaults: share of feature rows whose feature *i* is a
  default, by feature index and date (``ml_feature_store_v2``);
* open and resolved gaps by reason (``feature_store_gaps``);
* stars without lines (``scraper_health_star_lines``);
* the alerts the range fired: the JSON-lines audit file that
  ``nba-fs alerts`` writes, or (``--evaluate-alerts``) the alerts the
  monitoring models raise now, evaluated without sending anything.

Charts are Plotly figures; plotly.js is embedded inline once, so the file
opens offline and can be mailed or attached as it is. The gate verdicts are
the gate level columns of ``daily_quality_counts`` (macro daily_gate_levels):
the report shows them and never compares a figure with a threshold; the vars
of dbt_project.yml (python_hooks.contract) only draw the threshold lines and
the coverage bands.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from python_hooks import clock, contract, options, warehouse
from python_hooks.alerting.rules import LEVEL_COLUMNS as GATE_LEVEL_COLUMNS

Row = dict[str, Any]

DEFAULT_DAYS = 180
DEFAULT_AUDIT_FILE = "warehouse/alerts.jsonl"
MAX_TABLE_ROWS = 60
MAX_LINE_GAP_DAYS = 10
BAND_COLOURS = {"healthy": "#2e7d32", "warning": "#f9a825", "critical": "#c62828"}
SEVERITY_COLOURS = {"CRITICAL": "#c62828", "WARNING": "#f9a825", "INFO": "#1565c0"}
GAP_STATUS_COLOURS = {"open": "#c62828", "resolved": "#2e7d32"}


# ---------------------------------------------------------------------------
# What the report shows, read from the warehouse.
# ---------------------------------------------------------------------------


@dataclass
class ReportData:
    start: dt.date
    end: dt.date
    daily: list[Row] = field(default_factory=list)
    coverage: list[Row] = field(default_factory=list)
    defaults: list[Row] = field(default_factory=list)
    gaps: list[Row] = field(default_factory=list)
    stars: list[Row] = field(default_factory=list)
    alerts: list[Row] = field(default_factory=list)
    alerts_source: str = ""
    notes: list[str] = field(default_factory=list)


def defaults_sql(table: str, feature_count: int) -> str:
    """Rows per date and, per feature index, rows where it is a default."""
    sums = ",\n".join(
        f"  sum(case when feature_{i}_source = 'default' then 1 else 0 end) as d_{i}"
        for i in range(feature_count)
    )
    return (
        f"select\n  game_date,\n  count(*) as total_rows,\n{sums}\nfrom {table}\n"
        "where game_date between @start and @end\ngroup by game_date\norder by game_date"
    )


QUERIES: dict[str, tuple[str, str, str]] = {
    # key -> (layer, table, SQL with {table})
    "daily": (
        "monitoring",
        "daily_quality_counts",
        "select game_date, season_year, total_records, expected_players, quality_ready,"
        " pct_ready, pct_ready_if_vegas_required, is_season_warmup, red_alert_pct,"
        " mean_default_feature_count, canary_level, pct_ready_level, red_alert_level,"
        " matchup_quality_level, mean_defaults_level, vegas_coverage_level,"
        " stars_missing_lines_level from {table}"
        " where game_date between @start and @end order by game_date",
    ),
    "coverage": (
        "monitoring",
        "vegas_coverage_daily",
        "select game_date, total_players, players_with_line, vegas_coverage_pct,"
        " coverage_band from {table} where game_date between @start and @end"
        " order by game_date",
    ),
    "gaps": (
        "monitoring",
        "feature_store_gaps",
        "select reason, case when resolved_at is null then 'open' else 'resolved' end"
        " as status, count(*) as gap_count from {table}"
        " where game_date between @start and @end group by 1, 2 order by 1, 2",
    ),
    "stars": (
        "monitoring",
        "scraper_health_star_lines",
        "select game_date, player_lookup, team_abbr, opponent_team_abbr, game_id,"
        " star_tier, season_ppg, missing_sources, is_game_level_outage from {table}"
        " where game_date between @start and @end order by game_date, player_lookup",
    ),
}


def _read(wh: Any, key: str, params: Mapping[str, Any], notes: list[str]) -> list[Row]:
    layer, name, sql = QUERIES[key]
    if not wh.table_exists(layer, name):
        notes.append(f"{wh.table(layer, name)} does not exist: section left empty")
        return []
    return wh.query(sql.format(table=wh.table(layer, name)), params)


def read_audit_alerts(path: Path, start: dt.date, end: dt.date) -> list[Row]:
    """Audit records (one JSON object a line) whose game date is in range."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn line never blocks the report
        day = _as_date(record.get("game_date"))
        if day is not None and start <= day <= end:
            records.append(record)
    return records


def dedupe_alerts(records: Sequence[Row]) -> list[Row]:
    """One row per alert (type, date, key, severity): the latest record, with
    ``records`` = how often the audit file holds it (reruns, suppressions)."""
    latest: dict[tuple[Any, ...], Row] = {}
    counts: dict[tuple[Any, ...], int] = {}
    for record in records:
        identity = tuple(record.get(k) for k in ("alert_type", "game_date", "key", "severity"))
        counts[identity] = counts.get(identity, 0) + 1
        if identity not in latest or str(record.get("recorded_at", "")) >= str(
            latest[identity].get("recorded_at", "")
        ):
            latest[identity] = record
    return [{**row, "records": counts[identity]} for identity, row in latest.items()]


def evaluated_alerts(wh: Any, start: dt.date, end: dt.date,
                     overrides: Mapping[str, Any] | None = None) -> list[Row]:
    """Alerts the monitoring models raise for the range now (nothing sent)."""
    from python_hooks.alerting.sources import evaluate

    raised, _ = evaluate(wh, start=start, end=end, overrides=overrides)
    return [
        {
            "severity": a.severity.name,
            "alert_type": a.alert_type,
            "game_date": a.game_date,
            "key": a.key,
            "summary": a.summary,
            "status": "evaluated",
        }
        for a in raised
    ]


def load(
    wh: Any,
    start: dt.date,
    end: dt.date,
    *,
    audit_file: Path | None,
    evaluate_alerts: bool = False,
    overrides: Mapping[str, Any] | None = None,
) -> ReportData:
    data = ReportData(start=start, end=end)
    params = {"start": start, "end": end}
    data.daily = _read(wh, "daily", params, data.notes)
    data.coverage = _read(wh, "coverage", params, data.notes)
    data.gaps = _read(wh, "gaps", params, data.notes)
    data.stars = _read(wh, "stars", params, data.notes)
    if wh.table_exists("predictions", "ml_feature_store_v2"):
        table = wh.table("predictions", "ml_feature_store_v2")
        data.defaults = wh.query(defaults_sql(table, len(contract.features())), params)
    else:
        data.notes.append("ml_feature_store_v2 does not exist: no defaults heatmap")
    if evaluate_alerts:
        data.alerts = evaluated_alerts(wh, start, end, overrides)
        data.alerts_source = "evaluated from the monitoring models now (not sent)"
    elif audit_file is not None and audit_file.exists():
        data.alerts = dedupe_alerts(read_audit_alerts(audit_file, start, end))
        data.alerts_source = f"audit file {audit_file}"
    else:
        data.alerts_source = f"no audit file at {audit_file}"
        data.notes.append(
            f"no alert audit file at {audit_file}: run `nba-fs alerts` for the range,"
            " or pass --evaluate-alerts"
        )
    return data


def latest_date(wh: Any) -> dt.date | None:
    layer, name, _ = QUERIES["daily"]
    if not wh.table_exists(layer, name):
        return None
    rows = wh.query(
        f"select max(game_date) as d from {wh.table(layer, name)} where total_records > 0"
    )
    return _as_date(rows[0]["d"]) if rows else None


# ---------------------------------------------------------------------------
# Pure: rows in, figures and HTML out.
# ---------------------------------------------------------------------------


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 1) if present else None


def break_long_gaps(
    dates: Sequence[dt.date | None], values: Sequence[float | None], max_gap_days: int = MAX_LINE_GAP_DAYS
) -> tuple[list[dt.date | None], list[float | None]]:
    """Insert a NULL point where dates jump (off-season) so lines do not bridge it."""
    xs: list[dt.date | None] = []
    ys: list[float | None] = []
    previous: dt.date | None = None
    for day, value in zip(dates, values):
        if previous is not None and day is not None and (day - previous).days > max_gap_days:
            xs.append(previous + dt.timedelta(days=1))
            ys.append(None)
        xs.append(day)
        ys.append(value)
        previous = day if day is not None else previous
    return xs, ys


def _layout(fig: Any, title: str, y_title: str, height: int = 380) -> Any:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
        template="plotly_white",
        yaxis_title=y_title,
    )
    return fig


def readiness_figure(daily: Sequence[Row], thresholds: Mapping[str, Any]) -> Any:
    import plotly.graph_objects as go

    dates = [_as_date(r["game_date"]) for r in daily]
    fig = go.Figure()
    for column, name, colour in (
        ("pct_ready", "pct ready", "#1565c0"),
        ("pct_ready_if_vegas_required", "pct ready if vegas required", "#8e24aa"),
    ):
        xs, ys = break_long_gaps(dates, [_num(r.get(column)) for r in daily])
        fig.add_trace(
            go.Scatter(
                x=xs, y=ys, name=name,
                mode="lines+markers", marker={"size": 4}, line={"color": colour},
            )
        )
    # The gate's verdict per date (pct_ready_level), as the model decided it.
    for level, name, marker in (
        ("not_judged", "not judged (season warm-up or provisional)",
         {"size": 7, "symbol": "circle-open", "color": "#757575"}),
        ("warn", "gate warn", {"size": 7, "color": BAND_COLOURS["warning"]}),
        ("error", "gate error", {"size": 7, "color": BAND_COLOURS["critical"]}),
    ):
        ys = [_num(r.get("pct_ready")) if r.get("pct_ready_level") == level else None for r in daily]
        if any(v is not None for v in ys):
            fig.add_trace(go.Scatter(x=dates, y=ys, name=name, mode="markers", marker=marker))
    for key, label, colour in (
        ("gate_pct_ready_warn_below", "warn", BAND_COLOURS["warning"]),
        ("gate_pct_ready_error_below", "error", BAND_COLOURS["critical"]),
    ):
        value = float(thresholds[key])
        fig.add_hline(
            y=value, line_dash="dash", line_color=colour,
            annotation_text=f"gate {label} < {value:g}", annotation_position="bottom left",
        )
    fig.update_yaxes(range=[0, 100])
    return _layout(fig, "Daily readiness (% of feature rows quality ready)", "% of rows")


def coverage_figure(coverage: Sequence[Row], thresholds: Mapping[str, Any]) -> Any:
    import plotly.graph_objects as go

    healthy = float(thresholds["vegas_coverage_healthy_min"])
    warning = float(thresholds["vegas_coverage_warning_min"])
    fig = go.Figure()
    for y0, y1, band in ((healthy, 100, "healthy"), (warning, healthy, "warning"), (0, warning, "critical")):
        fig.add_hrect(y0=y0, y1=y1, fillcolor=BAND_COLOURS[band], opacity=0.10, line_width=0,
                      annotation_text=band, annotation_position="top left")
    xs, ys = break_long_gaps(
        [_as_date(r["game_date"]) for r in coverage], [_num(r.get("vegas_coverage_pct")) for r in coverage]
    )
    fig.add_trace(
        go.Scatter(
            x=xs, y=ys, name="vegas coverage", mode="lines", line={"color": "#455a64"},
        )
    )
    for band, colour in BAND_COLOURS.items():
        rows = [r for r in coverage if r.get("coverage_band") == band]
        fig.add_trace(
            go.Scatter(
                x=[_as_date(r["game_date"]) for r in rows],
                y=[_num(r.get("vegas_coverage_pct")) for r in rows],
                name=f"{band} ({len(rows)} dates)", mode="markers",
                marker={"color": colour, "size": 6},
            )
        )
    fig.update_yaxes(range=[0, 100])
    return _layout(fig, "Vegas line coverage (% of feature rows with a line)", "% of rows")


def default_share_matrix(defaults: Sequence[Row], feature_count: int) -> list[list[float | None]]:
    """[feature index][date] -> % of that date's rows where the feature is a default."""
    matrix: list[list[float | None]] = []
    for index in range(feature_count):
        matrix.append(
            [
                round(100.0 * float(r[f"d_{index}"] or 0) / r["total_rows"], 1)
                if r.get("total_rows") else None
                for r in defaults
            ]
        )
    return matrix


def defaults_figure(defaults: Sequence[Row], names: Sequence[str]) -> Any:
    import plotly.graph_objects as go

    matrix = default_share_matrix(defaults, len(names))
    fig = go.Figure(
        go.Heatmap(
            z=matrix,
            x=[str(_as_date(r["game_date"])) for r in defaults],  # game dates only
            y=[f"{i:02d} {name}" for i, name in enumerate(names)],
            colorscale="YlOrRd", zmin=0, zmax=100,
            colorbar={"title": {"text": "% rows<br>defaulted"}},
            hovertemplate="%{x}<br>%{y}<br>%{z}% of rows defaulted<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", tickfont={"size": 9})
    fig.update_xaxes(type="category", nticks=12)
    return _layout(fig, "Defaults by feature index and date", "feature", height=760)


def gaps_figure(gaps: Sequence[Row]) -> Any:
    import plotly.graph_objects as go

    reasons = sorted({r["reason"] for r in gaps})
    fig = go.Figure()
    for status, colour in GAP_STATUS_COLOURS.items():
        counts = {r["reason"]: int(r["gap_count"]) for r in gaps if r["status"] == status}
        fig.add_trace(
            go.Bar(x=reasons, y=[counts.get(reason, 0) for reason in reasons], name=status,
                   marker_color=colour, text=[counts.get(reason, 0) for reason in reasons])
        )
    fig.update_layout(barmode="group")
    return _layout(fig, "Feature store gaps by reason (open and resolved)", "gaps")


def stars_figure(stars: Sequence[Row], dates: Sequence[dt.date]) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    for tier, colour in ((1, "#c62828"), (2, "#ef6c00")):
        per_day: dict[dt.date | None, int] = {}
        for row in stars:
            if int(row.get("star_tier") or 0) == tier:
                day = _as_date(row["game_date"])
                per_day[day] = per_day.get(day, 0) + 1
        fig.add_trace(
            go.Bar(x=list(dates), y=[per_day.get(d, 0) for d in dates], name=f"tier {tier}",
                   marker_color=colour)
        )
    fig.update_layout(barmode="stack")
    return _layout(fig, "Stars without a pre-tipoff line, per date", "stars", height=320)


def alerts_figure(alerts: Sequence[Row], dates: Sequence[dt.date]) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    for severity, colour in SEVERITY_COLOURS.items():
        per_day: dict[dt.date | None, int] = {}
        for record in alerts:
            if record.get("severity") == severity:
                day = _as_date(record.get("game_date"))
                per_day[day] = per_day.get(day, 0) + 1
        if per_day:
            fig.add_trace(
                go.Bar(x=list(dates), y=[per_day.get(d, 0) for d in dates], name=severity,
                       marker_color=colour)
            )
    fig.update_layout(barmode="stack")
    return _layout(fig, "Alerts fired, per date and severity", "alerts", height=320)


def summary_cards(data: ReportData) -> list[tuple[str, str]]:
    open_gaps = sum(int(r["gap_count"]) for r in data.gaps if r["status"] == "open")
    resolved = sum(int(r["gap_count"]) for r in data.gaps if r["status"] == "resolved")
    severities = {s: sum(1 for a in data.alerts if a.get("severity") == s) for s in SEVERITY_COLOURS}

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1f}%"

    # A date counts at its worst gate level (the level columns of the model).
    gate_dates = {"error": 0, "warn": 0}
    for row in data.daily:
        levels = {row.get(column) for column in GATE_LEVEL_COLUMNS}
        worst = "error" if "error" in levels else "warn" if "warn" in levels else None
        if worst:
            gate_dates[worst] += 1

    return [
        ("game dates", str(len(data.daily))),
        ("feature rows", f"{sum(int(r.get('total_records') or 0) for r in data.daily):,}"),
        ("mean pct ready", pct(_mean([_num(r.get("pct_ready")) for r in data.daily]))),
        ("mean pct ready if vegas required",
         pct(_mean([_num(r.get("pct_ready_if_vegas_required")) for r in data.daily]))),
        ("mean vegas coverage", pct(_mean([_num(r.get("vegas_coverage_pct")) for r in data.coverage]))),
        ("dates at a gate error / warn", f"{gate_dates['error']} / {gate_dates['warn']}"),
        ("gaps open / resolved", f"{open_gaps:,} / {resolved:,}"),
        ("stars without lines", str(len(data.stars))),
        ("alerts critical / warning", f"{severities['CRITICAL']} / {severities['WARNING']}"),
    ]


def html_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], limit: int = MAX_TABLE_ROWS) -> str:
    if not rows:
        return '<p class="empty">None in this range.</p>'
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(row.get(c)))}</td>" for c in columns) + "</tr>"
        for row in rows[:limit]
    )
    more = f'<p class="more">... and {len(rows) - limit} more rows</p>' if len(rows) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def game_dates(data: ReportData) -> list[dt.date]:
    days = {_as_date(r["game_date"]) for r in data.daily}
    days |= {_as_date(r["game_date"]) for r in data.stars}
    days |= {_as_date(a.get("game_date")) for a in data.alerts}
    return sorted(d for d in days if d is not None)


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    figure: Any | None
    extra_html: str = ""


def build_sections(data: ReportData, thresholds: Mapping[str, Any], names: Sequence[str]) -> list[Section]:
    dates = game_dates(data)
    alert_rows = sorted(data.alerts, key=lambda a: (str(a.get("game_date")), str(a.get("alert_type"))))
    return [
        Section("readiness", "Readiness over time",
                readiness_figure(data.daily, thresholds) if data.daily else None),
        Section("vegas", "Vegas coverage",
                coverage_figure(data.coverage, thresholds) if data.coverage else None),
        Section("defaults", "Defaults by feature",
                defaults_figure(data.defaults, names) if data.defaults else None),
        Section("gaps", "Gaps by reason", gaps_figure(data.gaps) if data.gaps else None,
                html_table(data.gaps, ["reason", "status", "gap_count"])),
        Section("stars", "Stars without lines",
                stars_figure(data.stars, dates) if data.stars else None,
                html_table(data.stars, ["game_date", "player_lookup", "team_abbr",
                                        "opponent_team_abbr", "star_tier", "season_ppg",
                                        "missing_sources", "is_game_level_outage"])),
        Section("alerts", "Alerts the range fired",
                alerts_figure(data.alerts, dates) if data.alerts else None,
                f'<p class="source">Source: {html.escape(data.alerts_source)}</p>'
                + html_table(alert_rows, ["game_date", "severity", "alert_type", "summary", "status", "records"])),
    ]


STYLE = """
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;
 color:#212121;background:#fafafa}
header{background:#263238;color:#fff;padding:16px 28px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;color:#cfd8dc;font-size:13px}
nav{padding:8px 28px;background:#eceff1;font-size:13px} nav a{margin-right:14px;color:#37474f}
main{padding:12px 28px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 16px}
.card{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:10px 14px;min-width:150px}
.card .v{font-size:20px;font-weight:600} .card .k{font-size:12px;color:#616161}
section{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:8px 14px;margin:0 0 16px}
section h2{font-size:17px;margin:8px 0}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
th,td{border-bottom:1px solid #eee;padding:3px 8px;text-align:left}
th{background:#f5f5f5} .empty,.more,.source,.notes{color:#616161;font-size:13px}
"""


def render_html(
    data: ReportData,
    sections: Sequence[Section],
    *,
    generated_at: dt.datetime,
    plotly_js: str,
) -> str:
    """The whole page: inline CSS, inline plotly.js, one div per chart."""
    cards = "".join(
        f'<div class="card"><div class="v">{html.escape(v)}</div><div class="k">{html.escape(k)}</div></div>'
        for k, v in summary_cards(data)
    )
    nav = "".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections)
    parts = []
    for section in sections:
        if section.figure is not None:
            chart = section.figure.to_html(
                full_html=False, include_plotlyjs=False, div_id=f"chart-{section.anchor}",
                config={"displaylogo": False, "responsive": True},
            )
        else:
            chart = '<p class="empty">No data for this chart in this range.</p>'
        parts.append(
            f'<section id="{section.anchor}"><h2>{html.escape(section.title)}</h2>'
            f"{chart}{section.extra_html}</section>"
        )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in data.notes)
    notes_html = f'<ul class="notes">{notes}</ul>' if notes else ""
    title = f"Feature store quality report {data.start} .. {data.end}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
        f'<script type="text/javascript">{plotly_js}</script></head><body>'
        f"<header><h1>{html.escape(title)}</h1><p>generated {generated_at:%Y-%m-%d %H:%M} UTC"
        " by nba-fs report from nba_monitoring and nba_predictions</p></header>"
        f"<nav>{nav}</nav><main>{notes_html}<div class=\"cards\">{cards}</div>"
        + "".join(parts)
        + "</main></body></html>\n"
    )


def write_report(data: ReportData, out: Path, *, generated_at: dt.datetime | None = None,
                 overrides: Mapping[str, Any] | None = None) -> Path:
    from plotly.offline import get_plotlyjs

    sections = build_sections(data, contract.project_vars(overrides), contract.feature_names())
    page = render_html(
        data, sections,
        generated_at=generated_at or clock.utc_now(),
        plotly_js=get_plotlyjs(),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out


# ---------------------------------------------------------------------------
# Command line.
# ---------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_db_option(parser)
    options.add_vars_option(parser)
    options.add_date_option(parser, "--start-date",
                            help=f"first game date (default: {DEFAULT_DAYS} days before the end)")
    options.add_date_option(parser, "--end-date",
                            help="last game date (default: the latest date with feature rows)")
    parser.add_argument("--out", default="warehouse/quality_report.html", help="HTML file to write")
    parser.add_argument(
        "--audit-file", default=DEFAULT_AUDIT_FILE, help="alerts audit file (JSON lines) of nba-fs alerts"
    )
    parser.add_argument(
        "--evaluate-alerts", action="store_true",
        help="evaluate the range's alerts from the monitoring models instead of reading the audit file",
    )


def resolve_range(
    start: str | dt.date | None, end: str | dt.date | None, latest: dt.date | None,
    days: int = DEFAULT_DAYS,
) -> tuple[dt.date, dt.date]:
    """Explicit dates win (the one date grammar); else the `days` days ending
    at the latest game date."""
    def as_date(value: str | dt.date) -> dt.date:
        return value if isinstance(value, dt.date) else clock.resolve_date(value)

    end_date = as_date(end) if end else latest
    if end_date is None:
        raise ValueError("no --end-date and no daily_quality_counts rows to default it from")
    start_date = as_date(start) if start else end_date - dt.timedelta(days=days - 1)
    if start_date > end_date:
        raise ValueError(f"start date {start_date} is after end date {end_date}")
    return start_date, end_date


def run(args: argparse.Namespace) -> int:
    # A warehouse that cannot be opened (WarehouseUnavailable) is reported by cli.main.
    wh = warehouse.open_warehouse(args.db, read_only=True)
    try:
        start, end = resolve_range(args.start_date, args.end_date, latest_date(wh))
        data = load(wh, start, end, audit_file=Path(args.audit_file),
                    evaluate_alerts=args.evaluate_alerts, overrides=args.vars)
    except ValueError as exc:
        print(f"nba-fs report: {exc}", file=sys.stderr)
        return 2
    finally:
        wh.close()
    out = write_report(data, Path(args.out), overrides=args.vars)
    print(
        f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): {start} .. {end},"
        f" {len(data.daily)} game dates, {len(data.alerts)} alerts"
    )
    for note in data.notes:
        print(f"note: {note}")
    return 0
