"""`nba-fs alerts` run unattended: no credential in any output, bad inputs
become alerts (never a crash), suppression counts real deliveries only, fix
hints that fix, freshness as dbt counts it."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from python_hooks import alerts, cli
from test_alerts import ALERT, NOW, Webhook, build_monitoring, closed_port

ROOT = Path(__file__).resolve().parent.parent
SECRET_PATH = "/services/T0SECRET/B0SECRET/xyzSECRETtoken"


def run_cli(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "python_hooks.cli", *argv], cwd=ROOT,
                          env=full_env, capture_output=True, text=True, timeout=120)


def parse(*argv: str):
    return cli.build_parser().parse_args(["alerts", *argv])


@pytest.fixture
def monitoring_db(tmp_path) -> str:
    db = str(tmp_path / "nba.duckdb")
    build_monitoring(db)
    return db


def test_webhook_url_never_reaches_console_or_audit(tmp_path, monitoring_db):
    audit = tmp_path / "alerts.jsonl"
    url = f"http://127.0.0.1:{closed_port()}{SECRET_PATH}?token=querySECRET"
    result = run_cli("alerts", "--date", "2026-01-15", "--db", monitoring_db, "--skip-freshness",
                     "--audit-file", str(audit), env={"NBA_SLACK_WEBHOOK_URL": url})
    assert "slack webhook failed" in result.stdout
    for text in (result.stdout, result.stderr, audit.read_text()):
        assert "SECRET" not in text and "xyz" not in text
    assert stat.S_IMODE(audit.stat().st_mode) == 0o600
    record = json.loads(audit.read_text().splitlines()[0])
    assert record["status"] == "failed" and record["delivered"] is False


@pytest.mark.parametrize("content", [b"[1, 2]", b'{"results": {"a": 1}}', b"\xff\xfe\x00garbage",
                                     b"not json"])
def test_bad_run_results_is_an_alert_and_the_rest_is_delivered(tmp_path, monitoring_db, content):
    results = tmp_path / "run_results.json"
    results.write_bytes(content)
    audit = tmp_path / "alerts.jsonl"
    args = parse("--date", "2026-01-15", "--db", monitoring_db, "--skip-freshness",
                 "--run-results", str(results), "--audit-file", str(audit))
    assert alerts.run(args, now=NOW) == 2
    types = {json.loads(line)["alert_type"]: json.loads(line)["severity"]
             for line in audit.read_text().splitlines()}
    assert types["ALERT_INPUT_INVALID"] == "CRITICAL"
    assert types["LOW_QUALITY_READY"] == "CRITICAL"  # the rest still delivered


def test_bad_audit_records_are_reported_and_ignored(tmp_path, monitoring_db, capsys):
    audit = tmp_path / "alerts.jsonl"
    good = {"alert_type": "X", "game_date": "2026-01-15", "key": "", "severity": "INFO",
            "recorded_at": NOW.isoformat(), "delivered": True, "slack": {}}
    lines = [
        {**good, "recorded_at": "2026-01-15T13:00:00"},  # naive time
        {**good, "severity": "PANIC"},  # unknown severity
        good,
    ]
    audit.write_text("".join(json.dumps(line) + "\n" for line in lines) + "{torn\n")
    args = parse("--date", "2026-01-15", "--db", monitoring_db, "--skip-freshness",
                 "--audit-file", str(audit))
    assert alerts.run(args, now=NOW) == 2
    out = capsys.readouterr().out
    assert "[CRITICAL] LOW_QUALITY_READY" in out
    assert "[WARNING] ALERT_INPUT_INVALID" in out and "time without a time zone" in out
    assert "unknown severity" in out


def test_missing_or_broken_warehouse_is_a_critical_alert(tmp_path):
    audit = tmp_path / "alerts.jsonl"
    for db in (tmp_path / "absent.duckdb", tmp_path / "not_a_db.duckdb"):
        if db.name.startswith("not"):
            db.write_text("this is not a DuckDB file")
        result = run_cli("alerts", "--date", "2026-01-15", "--db", str(db), "--skip-freshness",
                         "--audit-file", str(audit))
        assert result.returncode == 2, result.stdout + result.stderr
        assert "[CRITICAL] WAREHOUSE_UNAVAILABLE" in result.stdout
        assert "Traceback" not in result.stderr


def test_end_before_start_is_a_usage_error(monitoring_db, tmp_path, capsys):
    args = parse("--start-date", "2026-01-15", "--end-date", "2026-01-10", "--db", monitoring_db,
                 "--skip-freshness", "--audit-file", str(tmp_path / "a.jsonl"))
    assert alerts.run(args, now=NOW) == 2
    assert "before start date" in capsys.readouterr().err
    assert not (tmp_path / "a.jsonl").exists()


def test_console_only_run_does_not_suppress_slack(tmp_path):
    hook = Webhook()
    try:
        audit = tmp_path / "alerts.jsonl"
        kwargs = dict(audit_file=audit, window=dt.timedelta(hours=6), out=io.StringIO(),
                      sleep=lambda s: None)
        alerts.deliver([ALERT], now=NOW, env={}, **kwargs)  # console only
        (later,) = alerts.deliver([ALERT], now=NOW + dt.timedelta(minutes=5),
                                  env={"NBA_SLACK_WEBHOOK_URL": hook.url}, **kwargs)
        assert later.slack["ok"] and len(hook.bodies) == 1
    finally:
        hook.stop()


def test_failed_delivery_is_recorded_as_failed(tmp_path):
    audit = tmp_path / "alerts.jsonl"
    alerts.deliver([ALERT], audit_file=audit, now=NOW, window=dt.timedelta(hours=6),
                   env={"NBA_SLACK_WEBHOOK_URL": f"http://127.0.0.1:{closed_port()}/x"},
                   sleep=lambda s: None, out=io.StringIO())
    assert json.loads(audit.read_text())["status"] == "failed"


def test_an_unwritable_audit_file_fails_the_delivery(tmp_path):
    """No audit line means no suppression or trace later: the run fails."""
    audit = tmp_path / "a_directory"
    audit.mkdir()
    deliveries = alerts.deliver([ALERT], audit_file=audit, now=NOW,
                                window=dt.timedelta(hours=6), env={}, sleep=lambda s: None,
                                out=io.StringIO())
    assert ALERT in [d.alert for d in deliveries]
    assert all(d.failed and d.status == "failed" for d in deliveries)


def gap(player: str, day: dt.date, reason: str, detail: str) -> dict:
    return {"player_lookup": player, "game_date": day, "reason": reason, "reason_detail": detail,
            "resolved_at": None, "is_fault": reason != "insufficient_data"}


def test_no_backfill_hint_for_gaps_a_backfill_cannot_close():
    start = dt.date(2021, 11, 2)
    fallback_only = [gap(f"p{i}", start + dt.timedelta(days=i), "missing_phase3",
                         "required defaults: 29") for i in range(160)]
    assert alerts.gap_alerts(fallback_only, start) == []  # opponent-history fallback: expected
    upstream = [gap("p", start, "missing_phase3", "required defaults: 6,29"),
                gap("q", start, "no_game_summary", "no player_game_summary row for game g")]
    (alert,) = alerts.gap_alerts(upstream, start)
    assert alert.alert_type == "GAPS_UPSTREAM_MISSING" and "cannot close" in alert.summary
    assert "tag:phase3" in alert.fix_command


def test_fix_hint_gives_date_ranges_not_every_date():
    start = dt.date(2021, 11, 2)
    rows = [gap(f"p{i}", start + dt.timedelta(days=i), "missing_phase4", "absent: x")
            for i in range(160)]
    rows += [gap("late", dt.date(2022, 6, 1), "missing_row", "no row")]
    (alert,) = alerts.gap_alerts(rows, start)
    assert alert.fix_command == (
        "nba-fs backfill --start-date 2021-11-02 --end-date 2022-04-10"
        " && nba-fs backfill --start-date 2022-06-01 --end-date 2022-06-01")
    assert len(alert.fix_command) < 200
    assert "2021-11-02..2022-04-10" in alert.details[0]


def test_freshness_from_dbt_sources_json(tmp_path, monitoring_db):
    """dbt skips generation_manifest (freshness: null): 2 stale, as dbt says."""
    sources = tmp_path / "sources.json"
    results = [
        {"unique_id": "source.nba_feature_store.nba_raw.nbac_schedule", "status": "error",
         "max_loaded_at": "2026-01-01T00:00:00+00:00", "max_loaded_at_time_ago_in_s": 14 * 86400},
        {"unique_id": "source.nba_feature_store.nba_raw.espn_team_rosters", "status": "warn",
         "max_loaded_at": "2026-01-13T20:00:00+00:00", "max_loaded_at_time_ago_in_s": 40 * 3600},
        {"unique_id": "source.nba_feature_store.nba_raw.nbac_injury_report", "status": "pass",
         "max_loaded_at": "2026-01-15T10:00:00+00:00", "max_loaded_at_time_ago_in_s": 4 * 3600},
    ]
    sources.write_text(json.dumps({"metadata": {}, "results": results}))
    audit = tmp_path / "a.jsonl"
    args = parse("--date", "2026-01-15", "--db", monitoring_db, "--sources-json", str(sources),
                 "--audit-file", str(audit))
    alerts.run(args, now=NOW)
    stale = [json.loads(line) for line in audit.read_text().splitlines()
             if json.loads(line)["alert_type"] == "SOURCE_STALE"]
    assert len(stale) == 1 and stale[0]["key"] == "espn_team_rosters,nbac_schedule"
    assert stale[0]["severity"] == "CRITICAL"


@pytest.mark.dbt
def test_freshness_runs_dbt_and_matches_its_count(default_warehouse_path, tmp_path):
    """On the built sample, `nba-fs alerts` counts exactly the stale tables
    `dbt source freshness` counts (8: generation_manifest has no freshness)."""
    db = tmp_path / "copy.duckdb"
    db.write_bytes(Path(default_warehouse_path).read_bytes())
    audit = tmp_path / "a.jsonl"
    env = {"DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs"),
           "DBT_PROFILES_DIR": str(ROOT)}
    run_cli("alerts", "--date", "2021-12-01", "--db", str(db), "--audit-file", str(audit), env=env)
    (stale,) = [json.loads(line) for line in audit.read_text().splitlines()
                if json.loads(line)["alert_type"] == "SOURCE_STALE"]
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'nba_raw'"
        ).fetchall()}
    assert "generation_manifest" in tables
    assert "generation_manifest" not in stale["key"]
    assert len(stale["key"].split(",")) == len(tables) - 1 == 8


def test_vars_override_never_rejudges_a_built_date(tmp_path, monitoring_db):
    """pct ready 50 at level error (the build's thresholds, macro
    daily_gate_levels): --vars lowering the error limit to 40 does not make it
    a WARNING; the thresholds apply when the date is built."""
    base = ["--date", "2026-01-15", "--db", monitoring_db, "--skip-freshness"]
    default = alerts.run(parse(*base, "--audit-file", str(tmp_path / "a.jsonl")), now=NOW)
    lowered = alerts.run(parse(*base, "--audit-file", str(tmp_path / "b.jsonl"),
                               "--vars", "{gate_pct_ready_error_below: 40}"), now=NOW)
    assert (default, lowered) == (2, 2)
    with pytest.raises(SystemExit):
        parse(*base, "--vars", "{gate_pct_ready_eror_below: 40}")  # a typo is a usage error
