"""The quality report renders in a real browser: headless Chromium (Debian's
`chromium` package, installed by `.ci/install_chromium.sh` when missing) opens
the HTML `nba-fs report` wrote for the default sample, every chart draws its
Plotly SVG, the console stays free of errors, and a screenshot is taken.

Chromium is driven through the Chrome DevTools protocol (websocket-client).
In CI a missing browser fails the test; elsewhere it skips with the reason.
Set NBA_REPORT_SCREENSHOT=path.png to keep the screenshot and
NBA_REPORT_SCREENSHOT_HEIGHT to crop it (the README's
docs/images/quality_report.png is made that way, cropped to 2300 px).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest

from conftest import ROOT, BuiltWarehouse, run_nba_fs

INSTALL_SCRIPT = ROOT / ".ci" / "install_chromium.sh"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-port=0",
    "--window-size=1400,1000",
]
ALWAYS_CHARTED = ["readiness", "vegas", "defaults", "gaps"]
# Bounds on waiting for the browser (not assertions on speed).
STARTUP_LIMIT_S = 60.0
RENDER_LIMIT_S = 90.0


def chromium_binary() -> str | None:
    return os.environ.get("NBA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium() -> str:
    """The browser, installed through the CI script when it is missing."""
    binary = chromium_binary()
    if binary is None:
        result = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True)
        binary = chromium_binary()
        if binary is None:
            reason = f"chromium unavailable ({INSTALL_SCRIPT.name} exit {result.returncode}: {result.stderr[-500:]})"
            if os.environ.get("CI"):
                pytest.fail(reason)
            pytest.skip(reason)
    return binary


class DevTools:
    """A minimal Chrome DevTools protocol client over one page's websocket."""

    def __init__(self, ws_url: str) -> None:
        import websocket

        self._ws = websocket.create_connection(ws_url, timeout=RENDER_LIMIT_S, suppress_origin=True)
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        self._ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_event(self, method: str, limit_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            for event in self.events:
                if event["method"] == method:
                    return event
            self.send("Runtime.evaluate", expression="1")  # pumps pending events
            time.sleep(0.1)
        raise TimeoutError(f"no {method} within {limit_s:.0f} s")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def close(self) -> None:
        self._ws.close()

    def console_errors(self) -> list[str]:
        errors = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                errors.append(json.dumps(params.get("exceptionDetails", {}))[:500])
            elif event["method"] == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif event["method"] == "Log.entryAdded" and params["entry"].get("level") == "error":
                errors.append(params["entry"].get("text", ""))
        return errors


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Iterator[DevTools]:
    profile = tmp_path / "chromium-profile"
    process = subprocess.Popen(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while not (port_file.exists() and port_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chromium did not start (exit {process.poll()})")
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.load(response)
        page = next(t for t in targets if t.get("type") == "page")
        devtools = DevTools(page["webSocketDebuggerUrl"])
        try:
            yield devtools
        finally:
            devtools.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def report_warehouse(request: pytest.FixtureRequest) -> Path:
    """The default sample `make test` built; the small one when run alone."""
    path = os.environ.get("NBA_CI_WAREHOUSE")
    if path and Path(path).exists():
        return Path(path)
    template: BuiltWarehouse = request.getfixturevalue("small_warehouse_template")
    return template.db


def season_range(db: Path) -> tuple[str, str]:
    """180 days ending at the last game date of the best-covered season."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        end = con.execute(
            "select max(game_date) from nba_monitoring.daily_quality_counts"
            " where season_year = (select season_year from nba_monitoring.daily_quality_counts"
            " group by season_year order by count(*) desc, season_year desc limit 1)"
        ).fetchone()[0]
        start = con.execute("select ?::date - interval 179 day", [end]).fetchone()[0]
    finally:
        con.close()
    return str(start)[:10], str(end)[:10]


def test_report_renders_in_headless_chromium(report_warehouse: Path, browser: DevTools, tmp_path: Path) -> None:
    start, end = season_range(report_warehouse)
    audit = tmp_path / "alerts.jsonl"
    alerts = run_nba_fs(
        ["alerts", "--db", str(report_warehouse), "--start-date", start, "--end-date", end,
         "--skip-freshness", "--audit-file", str(audit)],
        db=report_warehouse, work=tmp_path, check=False,
    )
    assert alerts.returncode in (0, 1, 2), alerts.stderr
    out = tmp_path / "report.html"
    run_nba_fs(
        ["report", "--db", str(report_warehouse), "--start-date", start, "--end-date", end,
         "--audit-file", str(audit), "--out", str(out)],
        db=report_warehouse, work=tmp_path,
    )
    page = out.read_text(encoding="utf-8")
    # Self-contained: no external script, stylesheet or font.
    assert "<script src" not in page and "<link" not in page
    assert page.count("Plotly.newPlot") >= len(ALWAYS_CHARTED)

    browser.send("Page.enable")
    browser.send("Runtime.enable")
    browser.send("Log.enable")
    browser.send("Emulation.setDeviceMetricsOverride", width=1400, height=1000,
                 deviceScaleFactor=1, mobile=False)
    browser.send("Page.navigate", url=out.as_uri())
    browser.wait_event("Page.loadEventFired", RENDER_LIMIT_S)

    # Each chart div with the SVG Plotly drew and its trace count.
    probe = """JSON.stringify([...document.querySelectorAll('.js-plotly-plot')].map(d => ({
        id: d.id, svgs: d.querySelectorAll('svg.main-svg').length,
        traces: (d.data || []).length,
        drawn: d.querySelectorAll('g.trace, g.hm image, g.heatmaplayer image').length})))"""
    deadline = time.monotonic() + RENDER_LIMIT_S
    charts: list[dict[str, Any]] = []
    expected = page.count("Plotly.newPlot")
    while time.monotonic() < deadline:
        charts = json.loads(browser.evaluate(probe))
        if len(charts) == expected and all(c["svgs"] and c["drawn"] for c in charts):
            break
        time.sleep(0.2)
    by_id = {c["id"].removeprefix("chart-"): c for c in charts}
    assert len(charts) == expected, charts
    for name in ALWAYS_CHARTED:
        assert by_id[name]["svgs"] > 0, by_id[name]
        assert by_id[name]["traces"] > 0 and by_id[name]["drawn"] > 0, by_id[name]
    for chart in charts:
        assert chart["svgs"] > 0 and chart["drawn"] > 0, chart
    if audit.exists() and audit.stat().st_size:
        assert "alerts" in by_id, "the range fired alerts but the report has no alerts chart"

    assert browser.console_errors() == []

    shot_height = int(os.environ.get("NBA_REPORT_SCREENSHOT_HEIGHT", "8000"))
    metrics = browser.send("Page.getLayoutMetrics")
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = browser.send(
        "Page.captureScreenshot", format="png", captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": 1400, "height": min(int(size["height"]), shot_height), "scale": 1},
    )
    png = base64.b64decode(shot["data"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    (tmp_path / "report.png").write_bytes(png)
    keep = os.environ.get("NBA_REPORT_SCREENSHOT")
    if keep:
        Path(keep).parent.mkdir(parents=True, exist_ok=True)
        Path(keep).write_bytes(png)


# ---------------------------------------------------------------------------
# The report's pure parts.
# ---------------------------------------------------------------------------


def test_default_share_matrix_is_percent_of_rows_per_feature_and_date() -> None:
    from python_hooks.report import default_share_matrix

    rows = [
        {"game_date": "2025-01-01", "total_rows": 4, "d_0": 1, "d_1": 4},
        {"game_date": "2025-01-02", "total_rows": 0, "d_0": 0, "d_1": 0},
    ]
    assert default_share_matrix(rows, 2) == [[25.0, None], [100.0, None]]


def test_resolve_range_defaults_to_the_days_before_the_latest_date() -> None:
    import datetime as dt

    from python_hooks.report import resolve_range

    latest = dt.date(2026, 4, 19)
    assert resolve_range(None, None, latest, days=180) == (dt.date(2025, 10, 22), latest)
    assert resolve_range("2026-01-01", "2026-01-31", None) == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    with pytest.raises(ValueError):
        resolve_range("2026-02-01", "2026-01-31", None)
    with pytest.raises(ValueError):
        resolve_range(None, None, None)


def test_audit_alerts_are_filtered_to_the_range_and_torn_lines_skipped(tmp_path: Path) -> None:
    import datetime as dt

    from python_hooks.report import read_audit_alerts

    audit = tmp_path / "alerts.jsonl"
    audit.write_text(
        json.dumps({"game_date": "2026-01-02", "severity": "WARNING", "alert_type": "A"}) + "\n"
        + '{"game_date": "2026-01-0\n'
        + json.dumps({"game_date": "2026-02-01", "severity": "CRITICAL", "alert_type": "B"}) + "\n"
        + json.dumps({"game_date": None, "severity": "INFO", "alert_type": "C"}) + "\n"
    )
    got = read_audit_alerts(audit, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert [a["alert_type"] for a in got] == ["A"]


def test_report_html_escapes_data_and_has_no_external_resources() -> None:
    import datetime as dt

    from python_hooks import contract
    from python_hooks.report import ReportData, build_sections, render_html

    data = ReportData(
        start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 1),
        stars=[{"game_date": dt.date(2026, 1, 1), "player_lookup": "<script>x</script>", "star_tier": 1}],
    )
    page = render_html(
        data, build_sections(data, contract.project_vars(), contract.feature_names()),
        generated_at=dt.datetime(2026, 1, 2), plotly_js="/* plotly */",
    )
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "<link" not in page
    assert page.count("Plotly.newPlot") == 1  # only the stars chart has data


def test_lines_break_over_the_off_season_only() -> None:
    import datetime as dt

    from python_hooks.report import break_long_gaps

    days = [dt.date(2026, 6, 1), dt.date(2026, 6, 3), dt.date(2026, 10, 21)]
    xs, ys = break_long_gaps(days, [1.0, 2.0, 3.0], max_gap_days=10)
    assert xs == [days[0], days[1], dt.date(2026, 6, 4), days[2]]
    assert ys == [1.0, 2.0, None, 3.0]


def test_alerts_recorded_twice_count_once_with_the_latest_status() -> None:
    from python_hooks.report import dedupe_alerts

    base = {"alert_type": "LOW_QUALITY_READY", "game_date": "2026-01-02", "key": "", "severity": "WARNING"}
    rows = dedupe_alerts([
        {**base, "recorded_at": "2026-01-02T10:00:00", "status": "sent"},
        {**base, "recorded_at": "2026-01-02T12:00:00", "status": "suppressed"},
        {**base, "severity": "CRITICAL", "recorded_at": "2026-01-02T13:00:00", "status": "sent"},
    ])
    assert sorted((r["severity"], r["status"], r["records"]) for r in rows) == [
        ("CRITICAL", "sent", 1), ("WARNING", "suppressed", 2),
    ]


def test_readiness_chart_and_cards_show_the_model_gate_levels() -> None:
    """The report reads daily_quality_counts' gate levels: a date is marked
    warn / error / not judged as its pct_ready_level says, whatever the
    figure, and counted at its worst level."""
    import datetime as dt

    from python_hooks.report import ReportData, readiness_figure, summary_cards

    day = dt.date(2026, 1, 1)
    daily = [
        {"game_date": day, "pct_ready": 99.0, "pct_ready_level": "error", "vegas_coverage_level": "ok"},
        {"game_date": day + dt.timedelta(days=1), "pct_ready": 1.0, "pct_ready_level": "not_judged",
         "red_alert_level": "warn"},
        {"game_date": day + dt.timedelta(days=2), "pct_ready": 1.0, "pct_ready_level": "ok"},
    ]
    figure = readiness_figure(daily, {"gate_pct_ready_warn_below": 80, "gate_pct_ready_error_below": 60})
    marked = {trace.name: [y for y in trace.y if y is not None] for trace in figure.data}
    assert marked["gate error"] == [99.0]
    assert marked["not judged (season warm-up or provisional)"] == [1.0]
    assert "gate warn" not in marked
    cards = dict(summary_cards(ReportData(start=day, end=day, daily=daily)))
    assert cards["dates at a gate error / warn"] == "1 / 1"
