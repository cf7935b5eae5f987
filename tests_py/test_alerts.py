"""Alerts: evaluators, Slack delivery over real HTTP, suppression, exit status."""

from __future__ import annotations

import datetime as dt
import io
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from python_hooks import alerts, cli, contract
from python_hooks.alerts import Severity

DAY = dt.date(2026, 1, 15)
NOW = dt.datetime(2026, 1, 15, 14, 0, tzinfo=dt.timezone.utc)


LEVELS_OK = {
    "canary_level": "ok",
    "pct_ready_level": "ok",
    "red_alert_level": "ok",
    "matchup_quality_level": "ok",
    "mean_defaults_level": "ok",
    "vegas_coverage_level": "ok",
    "stars_missing_lines_level": "ok",
}


def counts_row(**overrides) -> dict:
    row = {
        "game_date": DAY,
        "total_records": 300,
        "quality_ready": 270,
        "req_defaults_zero": 280,
        "all_defaults_zero": 120,
        "pct_ready": 90.0,
        "pct_ready_if_vegas_required": 40.0,
        "green_count": 250,
        "yellow_count": 48,
        "red_count": 2,
        "red_alert_pct": 0.7,
        "mean_quality_score": 92.1,
        "mean_default_feature_count": 1.2,
        "mean_matchup_quality_pct": 95.0,
        "vegas_coverage_pct": 42.0,
        "cache_miss_count": 0,
        "canary_shortfall": 0,
        "is_season_warmup": False,
        "is_provisional": False,
        **LEVELS_OK,
    }
    row.update(overrides)
    return row


def types_of(found) -> dict[str, Severity]:
    return {a.alert_type: a.severity for a in found}


def test_healthy_day_raises_nothing():
    assert alerts.quality_count_alerts(counts_row(), DAY) == []


@pytest.mark.parametrize(
    ("level_column", "column", "value", "limit_var", "alert_type", "summary"),
    [
        ("pct_ready_level", "pct_ready", 55.0, "gate_pct_ready_error_below", "LOW_QUALITY_READY",
         "pct ready 55.0% is below 60"),
        ("red_alert_level", "red_alert_pct", 20.0, "gate_red_share_error_above", "RED_ALERTS_HIGH",
         "red alert share 20.0% is above 15"),
        ("matchup_quality_level", "mean_matchup_quality_pct", 40.0, "gate_matchup_pct_error_below",
         "MATCHUP_QUALITY_LOW", "mean matchup quality 40.0% is below 50"),
        ("mean_defaults_level", "mean_default_feature_count", 7.25, "gate_mean_defaults_error_above",
         "DEFAULTS_HIGH", "mean default feature count 7.25 is above 6"),
    ],
)
def test_readiness_alerts_are_the_model_levels(level_column, column, value, limit_var, alert_type,
                                               summary):
    """warn -> WARNING, error -> CRITICAL (the summary quotes the var's
    limit); ok and not_judged raise nothing, whatever the figure."""
    assert float(contract.threshold(limit_var)) == float(summary.split()[-1])
    (alert,) = alerts.quality_count_alerts(counts_row(**{column: value, level_column: "error"}), DAY)
    assert (alert.alert_type, alert.severity, alert.summary) == (alert_type, Severity.CRITICAL, summary)
    found = types_of(alerts.quality_count_alerts(counts_row(**{level_column: "warn"}), DAY))
    assert found == {alert_type: Severity.WARNING}
    for level in ("ok", "not_judged"):
        assert alerts.quality_count_alerts(counts_row(**{column: value, level_column: level}), DAY) == []


def test_rules_never_compare_a_figure_with_a_threshold():
    """The model decides (macro daily_gate_levels): a figure past every
    threshold with its levels ok raises nothing."""
    row = counts_row(pct_ready=1.0, red_alert_pct=90.0, mean_matchup_quality_pct=1.0,
                     mean_default_feature_count=30.0, vegas_coverage_pct=0.0, canary_shortfall=50)
    assert alerts.quality_count_alerts(row, DAY) == []


def test_red_share_vegas_coverage_and_canary():
    found = types_of(
        alerts.quality_count_alerts(
            counts_row(red_alert_level="error", vegas_coverage_pct=25.0,
                       vegas_coverage_level="warn", canary_level="error"), DAY
        )
    )
    assert found["RED_ALERTS_HIGH"] is Severity.CRITICAL
    assert found["VEGAS_COVERAGE_LOW"] is Severity.WARNING
    assert found["FEATURE_ROWS_LOW"] is Severity.CRITICAL
    (vegas,) = alerts.quality_count_alerts(
        counts_row(vegas_coverage_pct=0.0, vegas_coverage_level="error"), DAY)
    assert vegas.severity is Severity.CRITICAL
    assert vegas.summary == "vegas line coverage 0.0% (critical; healthy >= 35%)"


def test_not_judged_dates_raise_nothing():
    """Season warm-up and provisional dates: the readiness levels are
    not_judged, like the gates, so no alert."""
    for flag in ("is_season_warmup", "is_provisional"):
        row = counts_row(pct_ready=30.0, pct_ready_level="not_judged", **{flag: True})
        assert alerts.quality_count_alerts(row, DAY) == []


def test_a_row_without_level_columns_is_an_input_alert():
    row = {k: v for k, v in counts_row(pct_ready=30.0).items() if k not in LEVELS_OK}
    (alert,) = alerts.quality_count_alerts(row, DAY)
    assert (alert.alert_type, alert.severity) == ("ALERT_INPUT_INVALID", Severity.CRITICAL)
    assert "pct_ready_level" in alert.summary and "daily_quality_counts" in alert.fix_command


def test_star_players_missing_lines():
    rows = [
        {"player_lookup": "stara", "team_abbr": "BOS", "game_id": "g1", "tipoff_at": "19:30",
         "star_tier": 1, "missing_odds_api": True, "missing_bettingpros": True,
         "is_game_level_outage": True},
        {"player_lookup": "starb", "team_abbr": "LAL", "game_id": "g2", "tipoff_at": "22:00",
         "star_tier": 2, "missing_odds_api": True, "missing_bettingpros": False,
         "is_game_level_outage": False},
    ]
    (alert,) = alerts.star_line_alerts(rows, DAY, "warn")
    assert alert.severity is Severity.CRITICAL and alert.alert_type == "STAR_PLAYERS_MISSING_LINES"
    assert "2 star player(s)" in alert.summary and "1 game(s)" in alert.summary
    assert "missing: odds_api, bettingpros [game-level outage]" in alert.details[0]
    assert alert.details[1].endswith("missing: odds_api")
    # the level decides: ok (or no daily_quality_counts row) raises nothing
    assert alerts.star_line_alerts(rows, DAY, "ok") == []
    assert alerts.star_line_alerts(rows, DAY, None) == []
    assert alerts.star_line_alerts([], DAY, "ok") == []


def test_gaps_only_open_and_fixable_with_backfill_command():
    rows = [
        {"player_lookup": "p1", "game_date": DAY, "reason": "missing_phase4", "reason_detail": "x",
         "resolved_at": None},
        {"player_lookup": "p2", "game_date": DAY - dt.timedelta(days=1), "reason": "missing_row",
         "resolved_at": None},
        {"player_lookup": "p3", "game_date": DAY, "reason": "insufficient_data", "resolved_at": None},
        {"player_lookup": "p4", "game_date": DAY, "reason": "missing_phase3", "resolved_at": NOW},
    ]
    (alert,) = alerts.gap_alerts(rows, DAY)
    assert alert.summary == "2 open fixable gap(s) on 2 date(s)"
    assert alert.fix_command == "nba-fs backfill --start-date 2026-01-14 --end-date 2026-01-15"
    assert alerts.gap_alerts(rows[2:], DAY) == []


def test_details_capped_at_20():
    rows = [
        {"player_lookup": f"p{i:02d}", "game_date": DAY, "reason": "missing_row", "resolved_at": None}
        for i in range(40)
    ]
    (alert,) = alerts.gap_alerts(rows, DAY)
    assert len(alert.details) == 20 and alert.details[-1] == "... and 22 more"


def freshness_result(table: str, status: str, hours: float) -> dict:
    return {"unique_id": f"source.nba_feature_store.nba_raw.{table}", "status": status,
            "max_loaded_at": "2026-01-10T10:00:00+00:00", "max_loaded_at_time_ago_in_s": hours * 3600,
            "criteria": {"warn_after": {"count": 36, "period": "hour"},
                         "error_after": {"count": 72, "period": "hour"}}}


def test_freshness_counts_what_dbt_reports():
    assert alerts.freshness_alerts([freshness_result("nbac_schedule", "pass", 2)], DAY) == []
    (alert,) = alerts.freshness_alerts(
        [freshness_result("nbac_schedule", "pass", 2),
         freshness_result("espn_team_rosters", "warn", 40)], DAY)
    assert alert.severity is Severity.WARNING and alert.key == "espn_team_rosters"
    (alert,) = alerts.freshness_alerts(
        [freshness_result("espn_team_rosters", "warn", 40),
         freshness_result("bigdataball_play_by_play", "error", 80)], DAY)
    assert alert.severity is Severity.CRITICAL and len(alert.details) == 2
    assert "warn after 36 hour(s)" in alert.summary


def test_dbt_run_results():
    run_results = {
        "results": [
            {"unique_id": "test.nba_feature_store.gate_pct_ready.abc123", "status": "fail",
             "failures": 3, "message": "Got 3 results, configured to fail if != 0"},
            {"unique_id": "test.nba_feature_store.gate_vegas_coverage.def456", "status": "warn",
             "failures": 1, "message": "Got 1 result"},
            {"unique_id": "test.nba_feature_store.unique_x.0a", "status": "pass", "failures": 0},
            {"unique_id": "model.nba_feature_store.daily_quality_counts", "status": "error",
             "message": "Binder Error"},
        ]
    }
    found = {a.alert_type: a for a in alerts.dbt_result_alerts(run_results, DAY)}
    assert set(found) == {"DBT_TEST_FAILED", "DBT_TEST_WARNED", "DBT_NODE_ERROR"}
    assert found["DBT_TEST_FAILED"].severity is Severity.CRITICAL
    assert found["DBT_TEST_FAILED"].details == (
        "gate_pct_ready: fail (3 failing rows) - Got 3 results, configured to fail if != 0",
    )
    assert found["DBT_TEST_FAILED"].fix_command == "dbt build --select gate_pct_ready"
    assert found["DBT_TEST_WARNED"].severity is Severity.WARNING
    assert alerts.exit_status(list(found.values())) == 2
    assert alerts.exit_status([found["DBT_TEST_WARNED"]]) == 1
    assert alerts.exit_status([]) == 0


def test_a_versioned_models_error_names_the_model_and_version():
    """A versioned model's unique_id ends in its version (.v2): the alert
    names the model with it, which is also what `dbt build --select` takes."""
    run_results = {"results": [
        {"unique_id": "model.nba_feature_store.ml_feature_store_v2.v2", "status": "error",
         "message": "Constraint Error"},
    ]}
    found = {a.alert_type: a for a in alerts.dbt_result_alerts(run_results, DAY)}
    assert found["DBT_NODE_ERROR"].details == ("ml_feature_store_v2.v2: error - Constraint Error",)
    assert "ml_feature_store_v2.v2" in found["DBT_NODE_ERROR"].fix_command


class Webhook:
    """A real HTTP server on 127.0.0.1 standing in for Slack."""

    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[dict] = []
        self.fail_first = fail_first
        self.calls = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                hook.calls += 1
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = 500 if hook.calls <= hook.fail_first else 200
                if status == 200:
                    hook.bodies.append(body)
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"boom")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.stop()


ALERT = alerts.make_alert(
    Severity.WARNING, "LOW_QUALITY_READY", DAY, "pct ready 72.0% is below 80",
    ["rows 300"], fix_command="nba-fs backfill --dates 2026-01-15",
)


def send(alert_list, audit: Path, env: dict, now=NOW, sleeps=None):
    return alerts.deliver(
        alert_list, audit_file=audit, now=now, window=dt.timedelta(minutes=360), env=env,
        sleep=(sleeps if sleeps is not None else []).append, out=io.StringIO(),
    )


def test_slack_body_and_suppression(webhook, tmp_path):
    audit = tmp_path / "alerts.jsonl"
    env = {"NBA_SLACK_WEBHOOK_URL": webhook.url}
    (first,) = send([ALERT], audit, env)
    assert first.delivered and webhook.bodies == [{"text": alerts.format_alert(ALERT)}]
    text = webhook.bodies[0]["text"]
    assert text.startswith("[WARNING] LOW_QUALITY_READY 2026-01-15: pct ready")
    assert "fix: nba-fs backfill --dates 2026-01-15" in text
    (again,) = send([ALERT], audit, env, now=NOW + dt.timedelta(hours=1))
    assert again.suppressed and len(webhook.bodies) == 1
    escalated = alerts.make_alert(Severity.CRITICAL, "LOW_QUALITY_READY", DAY, "pct ready 50%")
    send([escalated], audit, env, now=NOW + dt.timedelta(hours=2))
    assert len(webhook.bodies) == 2
    # a lower severity after a higher one is still the same news
    (lower,) = send([ALERT], audit, env, now=NOW + dt.timedelta(hours=3))
    assert lower.suppressed and len(webhook.bodies) == 2
    send([ALERT], audit, env, now=NOW + dt.timedelta(hours=8, minutes=1))  # window over
    assert len(webhook.bodies) == 3
    statuses = [json.loads(line)["status"] for line in audit.read_text().splitlines()]
    assert statuses == ["sent", "suppressed", "sent", "suppressed", "sent"]


def test_per_severity_webhook(webhook, tmp_path):
    env = {"NBA_SLACK_WEBHOOK_URL": "http://127.0.0.1:9/unused", "NBA_SLACK_WEBHOOK_URL_WARNING": webhook.url}
    (delivery,) = send([ALERT], tmp_path / "a.jsonl", env)
    assert delivery.slack["ok"] and len(webhook.bodies) == 1


def test_retries_on_500(tmp_path):
    hook = Webhook(fail_first=2)
    try:
        sleeps: list[float] = []
        (delivery,) = send([ALERT], tmp_path / "a.jsonl", {"NBA_SLACK_WEBHOOK_URL": hook.url}, sleeps=sleeps)
    finally:
        hook.stop()
    assert delivery.slack == {"configured": True, "ok": True, "attempts": 3, "error": None}
    assert sleeps == [1.0, 2.0] and hook.calls == 3 and len(hook.bodies) == 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_webhook_down_never_crashes_and_is_recorded(tmp_path):
    audit = tmp_path / "a.jsonl"
    env = {"NBA_SLACK_WEBHOOK_URL": f"http://127.0.0.1:{closed_port()}/hook"}
    sleeps: list[float] = []
    (delivery,) = send([ALERT], audit, env, sleeps=sleeps)
    assert not delivery.delivered and delivery.slack["attempts"] == 3 and sleeps == [1.0, 2.0]
    record = json.loads(audit.read_text())
    assert record["delivered"] is False and "ConnectionError" in record["slack"]["error"]
    # not delivered -> not suppressed: the next run tries again
    (retry,) = send([ALERT], audit, env, now=NOW + dt.timedelta(minutes=5))
    assert not retry.suppressed


def build_monitoring(path: str) -> None:
    con = duckdb.connect(path)
    con.execute("create schema nba_monitoring")
    con.execute("create schema nba_raw")
    # pct ready 50: the model put it at error (below 60); every other gate ok
    con.execute(
        "create table nba_monitoring.daily_quality_counts as select * from (values"
        " (date '2026-01-15', 300, 150, 160, 100, 50.0, 30.0, 200, 90, 10, 80.0, 2.0, 90.0, 40.0, 0, 40.0,"
        " 'ok', 'error', 'ok', 'ok', 'ok', 'ok', 'ok'))"
        " as t(game_date, total_records, quality_ready, req_defaults_zero, all_defaults_zero, pct_ready,"
        " pct_ready_if_vegas_required, green_count, yellow_count, red_count, mean_quality_score,"
        " mean_default_feature_count, mean_matchup_quality_pct, vegas_coverage_pct, cache_miss_count,"
        " ready_if_vegas_required, canary_level, pct_ready_level, red_alert_level,"
        " matchup_quality_level, mean_defaults_level, vegas_coverage_level, stars_missing_lines_level)"
    )
    con.execute(
        "create table nba_raw.nbac_schedule as select timestamp '2026-01-15 10:00:00' as processed_at"
    )
    con.close()


def test_run_against_a_warehouse(tmp_path, capsys):
    db = str(tmp_path / "nba.duckdb")
    build_monitoring(db)
    audit = tmp_path / "alerts.jsonl"
    args = cli.build_parser().parse_args(
        ["alerts", "--date", "2026-01-15", "--db", db, "--audit-file", str(audit), "--skip-freshness"]
    )
    status = alerts.run(args, now=NOW)
    out = capsys.readouterr().out
    assert status == 2  # pct ready 50 < 60 is CRITICAL
    assert "[CRITICAL] LOW_QUALITY_READY 2026-01-15: pct ready 50.0% is below 60" in out
    assert "skipped" in out and "scraper_health_star_lines" in out  # missing table tolerated
    assert all(json.loads(l)["status"] == "sent" for l in audit.read_text().splitlines())
    assert alerts.run(args, now=NOW) == 2  # still critical, but suppressed
    assert "suppressed" in capsys.readouterr().out


def test_unit_test_failures_count_as_test_failures():
    run_results = {"results": [
        {"unique_id": "unit_test.nba_feature_store.daily_quality_counts.counts_one_date",
         "status": "fail", "message": "actual differs from expected"},
    ]}
    (alert,) = alerts.dbt_result_alerts(run_results, DAY)
    assert alert.alert_type == "DBT_TEST_FAILED"
    assert alert.details[0].startswith("counts_one_date: fail")


@pytest.mark.dbt
def test_real_build_star_alert(small_warehouse, tmp_path, capsys):
    db = str(small_warehouse.db)
    con = duckdb.connect(db, read_only=True)
    found = con.execute(
        "select game_date, count(*) from nba_monitoring.scraper_health_star_lines"
        " group by 1 order by 2 desc, 1 limit 1"
    ).fetchone()
    con.close()
    if found is None:
        pytest.skip("the small sample has no star without a line")
    day, stars = found
    args = cli.build_parser().parse_args(
        ["alerts", "--date", day.isoformat(), "--db", db, "--skip-freshness",
         "--audit-file", str(tmp_path / "alerts.jsonl")]
    )
    assert alerts.run(args) == 2
    out = capsys.readouterr().out
    assert f"[CRITICAL] STAR_PLAYERS_MISSING_LINES {day}: {stars} star player(s)" in out
    assert "skipped" not in out  # every monitoring model exists in a real build
