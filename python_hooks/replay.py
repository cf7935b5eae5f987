"""`nba-fs replay`: run production days again, one at a time, on the data as
it stood on each day.

Production never builds all of history: every day it runs the daily build
with whatever data has arrived, then alerts and dispatch. A replay does that
for each day D of a range, in order, in a warehouse of its own:

1. the raw tables are staged as they stood at D's daily run
   (:func:`python_hooks.clock.daily_run_at`): rows processed later
   (``processed_at``) are hidden, and schedule rows updated later show as
   they were then (a game not yet final is scheduled, without scores).
   The complete data is the replay source's own raw data, so nothing is
   regenerated;
2. the daily build runs with ``NBA_RUN_DATE=D`` (the production command,
   :data:`DAILY_BUILD`), in-process, on a project parsed once per replay;
3. ``nba-fs alerts`` runs for D and ``nba-fs dispatch`` through the day's
   modes to a real worker process, each as its own process, as cron would;
4. per day it records the rows expected (players on the scheduled teams'
   rosters) and present, pct ready, requests dispatched, alerts raised and
   open gaps.

Then it checks the invariants and prints them as counts (see
docs/replay.md): a row for every scheduled player on every game day, D's
rows as the day wrote them equal to the complete build's rows of D except
the documented columns, nobody dispatched twice, alerts on the odds-outage
days and not on healthy ones, gaps that open and resolve.

The source is a warehouse built from the complete data (``make
ci-warehouse`` or ``make demo``): its raw tables are the data to replay and
its feature store is the full rebuild the days are compared with.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from python_hooks import clock, dbt_invoke, options
from python_hooks.contract import PROJECT_ROOT

RAW_SCHEMA = "nba_raw"
FULL_RAW_SCHEMA = "nba_raw_full"
REPLAY_SCHEMA = "nba_replay"
# The daily production build (selectors.yml `daily`): every model's daily
# window, the data tests and gates; the dbt unit tests belong to CI.
DAILY_BUILD = ("build", "--selector", "daily")
DISPATCH_MODES = ("FIRST", "RETRY", "FINAL_RETRY", "LAST_CALL")
# Alert types that say the odds scrapers fell short on a date.
ODDS_ALERT_TYPES = ("STAR_PLAYERS_MISSING_LINES", "VEGAS_COVERAGE_LOW")
ODDS_OUTAGE_KINDS = ("odds_api_outage_date",)
# A date on which the odds API (and BettingPros) missed one game: its players
# have no line, so a star missing lines is a true alert there, not a false one
# on a healthy day; nor is one owed (the game may have no star).
ODDS_MISSED_GAME_KINDS = ("odds_api_missed_game",)
# The raw tables a game's box score and shots come from (all keyed by game_date).
LATE_BOX_SCORE_TABLES = ("nbac_gamebook_player_stats", "nbac_team_boxscore", "bigdataball_play_by_play")
# The schedule table and its game_status codes (1 scheduled, 2 live, 3 final).
SCHEDULE_TABLE = "nbac_schedule"
SCHEDULE_SCHEDULED, SCHEDULE_FINAL = 1, 3

# Columns of a day's own rows that may differ from the complete build of the
# same date, and why (docs/replay.md lists them for users):
# - injury reports published after the daily run and before tipoff change
#   the injury status and what reads it (features 8, 10, 37);
# - odds and BettingPros lines posted after the daily run change the vegas
#   features (25-28) and the line's book and source;
# - the quality summary of a row counts its vegas defaults, so it follows;
# - created_at / updated_at are the times the row was written.
LATE_INFORMATION_FEATURES = (8, 10, 25, 26, 27, 28, 37)
LATE_INFORMATION_COLUMNS = (
    "injury_status", "vegas_line_source", "vegas_sportsbook", "has_vegas_line",
    "default_feature_count", "vegas_default_count", "default_feature_indices",
    "phase4_feature_count", "phase3_feature_count", "calculated_feature_count",
    "vegas_quality_pct", "feature_quality_score", "quality_tier", "quality_alert_level",
    "quality_alerts", "is_quality_ready", "is_training_ready", "created_at", "updated_at",
)
ROW_KEY = ("game_date", "player_lookup")


class ReplayError(RuntimeError):
    """A replay that cannot run (bad source, a command that could not start)."""


@dataclass
class DayRecord:
    """What one replayed production day did."""

    game_date: str
    games: int = 0
    rostered_players: int = 0
    feature_rows: int = 0
    # tomorrow's games and the rows this day's run gave them
    tomorrow_games: int = 0
    tomorrow_rows: int = 0
    pct_ready: float | None = None
    build_ok: bool = True
    build_failures: list[str] = field(default_factory=list)
    alerts: dict[str, int] = field(default_factory=dict)
    alerts_rc: int | None = None
    dispatched: int = 0
    dispatch_failed: int = 0
    dispatch_rc: list[int] = field(default_factory=list)
    open_gaps: int = 0
    resolved_gaps: int = 0
    seconds: float = 0.0
    # seconds per step: raw staging, dbt build, alerts, dispatch
    step_seconds: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Raw data as it stood at a day's run
# ---------------------------------------------------------------------------

def copy_source_raw(con: Any, source: Path) -> list[str]:
    """The complete raw data of the source, once, into FULL_RAW_SCHEMA."""
    con.execute(f"attach '{source}' as source_db (read_only)")
    try:
        source_tables = [name for (name,) in con.execute(
            "select table_name from information_schema.tables"
            " where table_catalog = 'source_db' and table_schema = ?", [RAW_SCHEMA]).fetchall()]
        if not source_tables:
            raise ReplayError(f"{source} has no {RAW_SCHEMA} tables: not a generated warehouse")
        con.execute(f"create schema if not exists {FULL_RAW_SCHEMA}")
        for name in source_tables:
            con.execute(f"create or replace table {FULL_RAW_SCHEMA}.{name} as"
                        f" select * from source_db.{RAW_SCHEMA}.{name}")
        return sorted(source_tables)
    finally:
        con.execute("detach source_db")


def stage_raw_as_of(con: Any, tables: Sequence[str], cutoff: dt.datetime) -> None:
    """Rebuild RAW_SCHEMA as it stood at ``cutoff`` (naive UTC).

    Every raw writer stamps ``processed_at`` on each (re)load, so a row
    processed after the cutoff did not exist yet. The schedule is the one
    table updated in place (a MERGE on (game_id, game_date)): a final game
    (status 3 with both scores) processed after the cutoff shows as it was
    before, scheduled (status 1) without scores.
    """
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    at = cutoff.strftime("%Y-%m-%d %H:%M:%S")
    later = f"processed_at > timestamp '{at}'"
    # status 3 with NULL scores is a postponement, which this does not undo:
    # only a game that became final after the cutoff goes back to scheduled
    became_final = (f"{later} and game_status = {SCHEDULE_FINAL}"
                    " and home_team_score is not null and away_team_score is not null")
    for name in tables:
        if name == "generation_manifest":
            select = f"select * from {FULL_RAW_SCHEMA}.{name}"
        elif name == SCHEDULE_TABLE:
            select = f"""
                select * replace (
                    case when {became_final} then {SCHEDULE_SCHEDULED}
                         else game_status end as game_status,
                    case when {became_final} then 'Scheduled'
                         else game_status_text end as game_status_text,
                    case when {became_final} then null
                         else home_team_score end as home_team_score,
                    case when {became_final} then null
                         else away_team_score end as away_team_score,
                    least(processed_at, timestamp '{at}') as processed_at
                )
                from {FULL_RAW_SCHEMA}.{name}"""
        else:
            select = (f"select * from {FULL_RAW_SCHEMA}.{name}"
                      f" where processed_at <= timestamp '{at}'")
        con.execute(f"create or replace table {RAW_SCHEMA}.{name} as {select}")


# ---------------------------------------------------------------------------
# The production commands
# ---------------------------------------------------------------------------

class DailyBuild:
    """dbt in-process, the project parsed once: each day's build reuses the
    manifest, and the run date reaches the models through NBA_RUN_DATE,
    which macros read when they compile, not when the project is parsed
    (python_hooks.dbt_invoke.ParsedProject)."""

    def __init__(self, target: str | None, target_path: Path) -> None:
        common = ["--quiet", "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT),
                  "--target-path", str(target_path)]
        if target:
            common += ["--target", target]
        self.target_path = target_path
        try:
            self._project = dbt_invoke.ParsedProject(common)
        except dbt_invoke.DbtParseError as exc:
            raise ReplayError(str(exc)) from exc

    def run(self, day: dt.date) -> tuple[bool, list[str]]:
        os.environ[clock.RUN_DATE_ENV] = day.isoformat()
        result = self._project.invoke(DAILY_BUILD)
        stop_if_signalled()
        if isinstance(result.exception, (SystemExit, KeyboardInterrupt)):
            # dbt's runner catches every exception, a signal's too: a replay
            # stopped during a build must stop, not go on to the next day.
            raise result.exception
        failures = []
        for node in getattr(result.result, "results", None) or []:
            if str(node.status) in ("error", "fail"):
                failures.append(node.node.name)
        if result.exception is not None:
            failures.append(f"dbt: {result.exception}")
        return result.success, failures


release_duckdb = dbt_invoke.release_duckdb


def _die_with_parent() -> None:
    """In the worker's child process: Linux sends it SIGTERM when the replay
    dies, even by SIGKILL, so no worker outlives its replay."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def worker_process(db: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """A real `nba-fs worker` on loopback for the replay's dispatches."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "python_hooks.cli", "worker", "--db", str(db),
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ReplayError(f"the worker exited with {proc.returncode}: see {log}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                break
            time.sleep(0.2)
        else:
            raise ReplayError(f"the worker did not listen on {url} within 30 s: see {log}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def nba_fs(args: Sequence[str], env: dict[str, str], log: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "python_hooks.cli", *args], env=env,
                            capture_output=True, text=True)
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ nba-fs {' '.join(args)}  -> rc {result.returncode}\n")
        out.write(result.stdout)
        out.write(result.stderr)
    return result


def count_alerts(audit: Path, day: dt.date) -> dict[str, int]:
    """Alerts of ``day`` raised by one alerts run, by type, from its audit."""
    counts: dict[str, int] = {}
    if not audit.exists():
        return counts
    for line in audit.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError, AttributeError):
            record = json.loads(line)
            kind = record.get("alert_type") or record.get("type") or "?"
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def dispatch_counts(stdout: str) -> tuple[int, int]:
    """(dispatched, failed) from `nba-fs dispatch --json`."""
    with contextlib.suppress(ValueError):
        summary = json.loads(stdout[stdout.index("{"):])
        undelivered = sum(int(summary.get(key) or 0)
                          for key in ("publish_failed", "not_sent", "unconfirmed"))
        return int(summary.get("dispatched", 0)), undelivered
    return 0, 0


# ---------------------------------------------------------------------------
# One day, all days
# ---------------------------------------------------------------------------

def snapshot_day(con: Any, day: dt.date) -> None:
    """Keep D's feature rows as D's run wrote them (later days rewrite D)."""
    con.execute(f"create schema if not exists {REPLAY_SCHEMA}")
    con.execute(f"create table if not exists {REPLAY_SCHEMA}.daily_feature_rows as"
                " select * from nba_predictions.ml_feature_store_v2 where false")
    con.execute(f"delete from {REPLAY_SCHEMA}.daily_feature_rows where game_date = ?", [day])
    con.execute(f"insert into {REPLAY_SCHEMA}.daily_feature_rows by name"
                " select * from nba_predictions.ml_feature_store_v2 where game_date = ?", [day])


def day_counts(con: Any, day: dt.date, record: DayRecord) -> None:
    row = con.execute(
        "select games_scheduled, rostered_players, feature_rows"
        " from nba_monitoring.schedule_coverage_daily where game_date = ?", [day]).fetchone()
    if row:
        record.games, record.rostered_players, record.feature_rows = (int(v) for v in row)
    else:
        record.feature_rows = int(con.execute(
            "select count(*) from nba_predictions.ml_feature_store_v2 where game_date = ?",
            [day]).fetchone()[0])
    tomorrow = day + dt.timedelta(days=1)
    row = con.execute(
        "select games_scheduled, feature_rows from nba_monitoring.schedule_coverage_daily"
        " where game_date = ?", [tomorrow]).fetchone()
    if row:
        record.tomorrow_games, record.tomorrow_rows = int(row[0]), int(row[1])
    ready = con.execute("select pct_ready from nba_monitoring.daily_quality_counts"
                        " where game_date = ?", [day]).fetchone()
    record.pct_ready = None if not ready or ready[0] is None else float(ready[0])
    gaps = con.execute(
        "select count(*) filter (where resolved_at is null),"
        " count(*) filter (where resolved_at is not null)"
        " from nba_monitoring.feature_store_gaps where game_date <= ?", [day]).fetchone()
    record.open_gaps, record.resolved_gaps = int(gaps[0]), int(gaps[1])


def replay_day(day: dt.date, *, db: Path, work: Path, tables: Sequence[str],
               build: DailyBuild, env: dict[str, str], worker_url: str) -> DayRecord:
    import duckdb

    started = time.perf_counter()
    record = DayRecord(game_date=day.isoformat())
    steps = record.step_seconds

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        steps[name] = round(now - since, 2)
        return now

    con = duckdb.connect(str(db))
    try:
        stage_raw_as_of(con, tables, clock.daily_run_at(day).replace(tzinfo=None))
    finally:
        con.close()
    mark = lap("stage", started)
    record.build_ok, record.build_failures = build.run(day)
    mark = lap("build", mark)
    day_env = env | {clock.RUN_DATE_ENV: day.isoformat()}
    log = work / "commands.log"
    audit = work / "alerts" / f"{day.isoformat()}.jsonl"
    audit.parent.mkdir(parents=True, exist_ok=True)
    alerts = nba_fs(["alerts", "--date", "today", "--db", str(db), "--skip-freshness",
                     "--run-results", str(build.target_path / "run_results.json"),
                     "--audit-file", str(audit)], day_env, log)
    record.alerts_rc = alerts.returncode
    record.alerts = count_alerts(audit, day)
    mark = lap("alerts", mark)
    for mode in DISPATCH_MODES:
        result = nba_fs(["dispatch", "--date", "today", "--mode", mode, "--db", str(db),
                         "--sink", "http", "--worker-url", worker_url, "--json"], day_env, log)
        record.dispatch_rc.append(result.returncode)
        sent, failed = dispatch_counts(result.stdout)
        record.dispatched += sent
        record.dispatch_failed += failed
    lap("dispatch", mark)
    con = duckdb.connect(str(db))
    try:
        snapshot_day(con, day)
        day_counts(con, day, record)
    except duckdb.CatalogException as exc:
        # The build failed before the feature store or monitoring existed.
        record.build_ok = False
        record.build_failures.append(f"no table to read: {str(exc).splitlines()[0]}")
    finally:
        con.close()
    record.seconds = round(time.perf_counter() - started, 2)
    return record


def calendar_days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]


# ---------------------------------------------------------------------------
# Invariants
# ---------------------------------------------------------------------------

# Floats are equal within this relative tolerance: minutes parsed from
# `MM:SS` are not exact in binary, and sums of them taken in another order
# (another day's build) differ in the last bit.
FLOAT_TOLERANCE = 1e-9


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isclose(a, b, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
                or (math.isnan(a) and math.isnan(b)))
    return a == b


def compare_with_rebuild(con: Any, source: Path, days: Sequence[dt.date],
                         late_days: set[dt.date]) -> dict[str, Any]:
    """D's rows as D's run wrote them against the complete build's rows of D,
    column by column, on the players both have."""
    con.execute(f"attach '{source}' as source_db (read_only)")
    try:
        columns = [name for (name,) in con.execute(
            "select column_name from information_schema.columns where table_catalog = 'source_db'"
            " and table_schema = 'nba_predictions' and table_name = 'ml_feature_store_v2'"
            " order by ordinal_position").fetchall()]
        compared = [c for c in columns if c not in ROW_KEY]
        day_list = [d for d in days if d not in late_days]
        select = ", ".join(f'"{c}"' for c in compared)
        daily = {(r[0], r[1]): r[2:] for r in con.execute(
            f"select game_date, player_lookup, {select} from {REPLAY_SCHEMA}.daily_feature_rows"
            " where list_contains(?, game_date)", [day_list]).fetchall()}
        rebuilt = {(r[0], r[1]): r[2:] for r in con.execute(
            f"select game_date, player_lookup, {select} from source_db.nba_predictions.ml_feature_store_v2"
            " where list_contains(?, game_date)", [day_list]).fetchall()}
    finally:
        con.execute("detach source_db")
    allowed = set(LATE_INFORMATION_COLUMNS)
    for index in LATE_INFORMATION_FEATURES:
        allowed.update({f"feature_{index}_value", f"feature_{index}_source",
                        f"feature_{index}_quality"})
    features_at = compared.index("features")
    masked = set(LATE_INFORMATION_FEATURES)
    unexpected: dict[str, int] = {}
    documented: dict[str, int] = {}
    examples: list[str] = []
    common = sorted(daily.keys() & rebuilt.keys())
    for key in common:
        for i, column in enumerate(compared):
            a, b = daily[key][i], rebuilt[key][i]
            if i == features_at:
                a = [v for k, v in enumerate(a or []) if k not in masked]
                b = [v for k, v in enumerate(b or []) if k not in masked]
                if a != b:
                    unexpected["features (outside 8, 10, 25-28, 37)"] = unexpected.get(
                        "features (outside 8, 10, 25-28, 37)", 0) + 1
                continue
            if _same(a, b):
                continue
            bucket = documented if column in allowed else unexpected
            bucket[column] = bucket.get(column, 0) + 1
            if column not in allowed and len(examples) < 10:
                examples.append(f"{key[0]} {key[1]} {column}: daily {a!r} rebuild {b!r}")
    return {
        "days_compared": len(day_list),
        "days_with_late_data": len([d for d in days if d in late_days]),
        "rows_compared": len(common),
        "rows_only_daily": len(daily.keys() - rebuilt.keys()),
        "rows_only_rebuild": len(rebuilt.keys() - daily.keys()),
        "documented_differences": dict(sorted(documented.items())),
        "unexpected_differences": dict(sorted(unexpected.items())),
        "unexpected_examples": examples,
    }


def late_data_days(con: Any, days: Sequence[dt.date]) -> set[dt.date]:
    """Days whose run missed box scores of an earlier date (loaded after the
    run): their rows were built on less history than the complete build's."""
    late: set[dt.date] = set()
    for day in days:
        cutoff = clock.daily_run_at(day).replace(tzinfo=None)
        for table in LATE_BOX_SCORE_TABLES:
            found = con.execute(
                f"select 1 from {FULL_RAW_SCHEMA}.{table}"
                " where processed_at > ? and game_date < ? limit 1", [cutoff, day]).fetchone()
            if found:
                late.add(day)
                break
    return late


def double_dispatches(con: Any) -> int:
    """(date, player, system) keys with more than one request published."""
    exists = con.execute("select count(*) from information_schema.tables where"
                         " table_schema = 'nba_predictions' and table_name = 'prediction_requests'"
                         ).fetchone()[0]
    if not exists:
        return 0
    columns = {name for (name,) in con.execute(
        "select column_name from information_schema.columns where table_schema = 'nba_predictions'"
        " and table_name = 'prediction_requests'").fetchall()}
    system = ", system_id" if "system_id" in columns else ""
    return int(con.execute(
        f"select count(*) from (select game_date, player_lookup{system}"
        " from nba_predictions.prediction_requests where status = 'published'"
        f" group by game_date, player_lookup{system} having count(*) > 1)").fetchone()[0])


def manifest_days(con: Any, kinds: Sequence[str]) -> set[dt.date]:
    """The dates the sample's manifest notes an incident of these kinds on."""
    rows = con.execute(f"select distinct game_date from {FULL_RAW_SCHEMA}.generation_manifest"
                       " where list_contains(?, kind)", [list(kinds)]).fetchall()
    return {day for (day,) in rows if day is not None}


def outage_days(con: Any) -> set[dt.date]:
    return manifest_days(con, ODDS_OUTAGE_KINDS)


def missed_game_days(con: Any) -> set[dt.date]:
    return manifest_days(con, ODDS_MISSED_GAME_KINDS)


def summarise(records: Sequence[DayRecord], comparison: dict[str, Any], doubles: int,
              outages: set[dt.date], missed_games: set[dt.date] | None = None) -> dict[str, Any]:
    game_days = [r for r in records if r.games > 0]
    no_rows = [r.game_date for r in game_days if r.feature_rows == 0]
    no_tomorrow = [r.game_date for r in records if r.tomorrow_games and not r.tomorrow_rows]
    short = [r.game_date for r in game_days
             if r.feature_rows and r.rostered_players and r.feature_rows < 0.5 * r.rostered_players]
    missed_games = missed_games or set()
    outage_records = [r for r in game_days if dt.date.fromisoformat(r.game_date) in outages]
    missed_records = [r for r in game_days if dt.date.fromisoformat(r.game_date) in missed_games
                      and dt.date.fromisoformat(r.game_date) not in outages]
    healthy = [r for r in game_days
               if dt.date.fromisoformat(r.game_date) not in outages | missed_games]

    def odds_alerted(r: DayRecord) -> bool:
        return any(r.alerts.get(kind, 0) for kind in ODDS_ALERT_TYPES)

    last = records[-1] if records else None
    seconds = [r.seconds for r in records]
    return {
        "days": len(records),
        "game_days": len(game_days),
        "game_days_without_rows": len(no_rows),
        "game_days_without_rows_dates": no_rows,
        "game_days_short_of_rosters": len(short),
        "days_without_rows_for_tomorrow": len(no_tomorrow),
        "days_without_rows_for_tomorrow_dates": no_tomorrow,
        "daily_vs_rebuild": comparison,
        "double_dispatches": doubles,
        "requests_dispatched": sum(r.dispatched for r in records),
        "requests_failed": sum(r.dispatch_failed for r in records),
        "dispatch_errors": sum(rc != 0 for r in records for rc in r.dispatch_rc),
        "odds_outage_days": len(outage_records),
        "odds_outage_days_alerted": sum(odds_alerted(r) for r in outage_records),
        "missed_game_days": len(missed_records),
        "missed_game_days_alerted": sum(odds_alerted(r) for r in missed_records),
        "healthy_game_days": len(healthy),
        "healthy_game_days_alerted": sum(odds_alerted(r) for r in healthy),
        "builds_failed": sum(not r.build_ok for r in records),
        "gaps_open_at_end": last.open_gaps if last else 0,
        "gaps_resolved_at_end": last.resolved_gaps if last else 0,
        "gaps_opened_max": max((r.open_gaps for r in records), default=0),
        "seconds_total": round(sum(seconds), 1),
        "seconds_per_day": round(sum(seconds) / len(seconds), 2) if seconds else None,
    }


def invariant_failures(summary: dict[str, Any]) -> list[str]:
    """The invariants a replay must hold; a failed daily build alone is not
    one (an odds-outage day fails its vegas gate on purpose)."""
    failures = []
    if summary["game_days_without_rows"]:
        failures.append(f"{summary['game_days_without_rows']} game days without feature rows")
    if summary["game_days_short_of_rosters"]:
        failures.append(f"{summary['game_days_short_of_rosters']} game days below half"
                        " their rosters")
    if summary["requests_failed"] or summary["dispatch_errors"]:
        failures.append(f"dispatch: {summary['requests_failed']} requests not delivered,"
                        f" {summary['dispatch_errors']} runs with a non-zero exit")
    if summary["healthy_game_days_alerted"]:
        failures.append(f"{summary['healthy_game_days_alerted']} healthy game days raised an"
                        " odds alert")
    if summary["days_without_rows_for_tomorrow"]:
        failures.append(f"{summary['days_without_rows_for_tomorrow']} days gave tomorrow's"
                        " games no rows")
    if summary["daily_vs_rebuild"]["unexpected_differences"]:
        failures.append("daily rows differ from the rebuild outside the documented columns")
    if summary["double_dispatches"]:
        failures.append(f"{summary['double_dispatches']} players dispatched twice")
    if summary["odds_outage_days_alerted"] < summary["odds_outage_days"]:
        failures.append("an odds-outage day raised no odds alert")
    return failures


def require_source(source: Path) -> None:
    if not source.exists():
        raise ReplayError(f"no source warehouse at {source}: build one first (make ci-warehouse)")


def run_replay(*, source: Path, days: Sequence[dt.date], work: Path,
               target: str | None = None, echo=print) -> dict[str, Any]:
    import duckdb

    require_source(source)
    work.mkdir(parents=True, exist_ok=True)
    db = work / "replay.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    try:
        tables = copy_source_raw(con, source)
        outages = outage_days(con)
        missed_games = missed_game_days(con)
        late_days = late_data_days(con, days)
    finally:
        con.close()
    saved = {name: os.environ.get(name) for name in ("NBA_DUCKDB_PATH", clock.RUN_DATE_ENV)}
    os.environ["NBA_DUCKDB_PATH"] = str(db)
    env = dict(os.environ) | {"NBA_DUCKDB_PATH": str(db), "PYTHONPATH": str(PROJECT_ROOT)}
    records: list[DayRecord] = []
    try:
        os.environ[clock.RUN_DATE_ENV] = days[0].isoformat()
        build = DailyBuild(target, work / "target")
        with worker_process(db, env, work / "worker.log") as worker_url:
            for day in days:
                stop_if_signalled()
                record = replay_day(day, db=db, work=work, tables=tables, build=build, env=env,
                                    worker_url=worker_url)
                records.append(record)
                echo(format_day(record))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    con = duckdb.connect(str(db))
    try:
        comparison = compare_with_rebuild(
            con, source, [d for d in days if any(r.game_date == d.isoformat() and r.games
                                                 for r in records)], late_days)
        doubles = double_dispatches(con)
    finally:
        con.close()
    summary = summarise(records, comparison, doubles, outages, missed_games)
    report = {"summary": summary, "days": [asdict(r) for r in records]}
    (work / "replay.json").write_text(json.dumps(report, indent=2, default=str))
    return report


# ---------------------------------------------------------------------------
# A long range in parallel parts
# ---------------------------------------------------------------------------

def split_days(days: Sequence[dt.date], jobs: int) -> list[list[dt.date]]:
    """``days`` in at most ``jobs`` contiguous parts of nearly equal length."""
    jobs = max(1, min(jobs, len(days)))
    size, extra = divmod(len(days), jobs)
    parts, start = [], 0
    for k in range(jobs):
        end = start + size + (1 if k < extra else 0)
        parts.append(list(days[start:end]))
        start = end
    return parts


def merge_comparisons(comparisons: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The daily-vs-rebuild counts of several parts, as one comparison."""
    merged: dict[str, Any] = {
        key: sum(c[key] for c in comparisons)
        for key in ("days_compared", "days_with_late_data", "rows_compared",
                    "rows_only_daily", "rows_only_rebuild")}
    for key in ("documented_differences", "unexpected_differences"):
        counts: dict[str, int] = {}
        for c in comparisons:
            for column, count in c[key].items():
                counts[column] = counts.get(column, 0) + count
        merged[key] = dict(sorted(counts.items()))
    merged["unexpected_examples"] = [e for c in comparisons for e in c["unexpected_examples"]][:10]
    return merged


def merge_reports(reports: Sequence[dict[str, Any]], outages: set[dt.date],
                  missed_games: set[dt.date]) -> dict[str, Any]:
    """Reports of consecutive parts of one range, as the report of the range.

    Every count is per day or per (date, player, system), so the parts add
    up; the gaps at the end are the last part's."""
    records = [DayRecord(**day) for report in reports for day in report["days"]]
    comparison = merge_comparisons([r["summary"]["daily_vs_rebuild"] for r in reports])
    doubles = sum(r["summary"]["double_dispatches"] for r in reports)
    summary = summarise(records, comparison, doubles, outages, missed_games)
    return {"summary": summary, "days": [asdict(r) for r in records]}


def run_parts(*, source: Path, days: Sequence[dt.date], work: Path, jobs: int,
              target: str | None = None, echo=print) -> dict[str, Any]:
    """The range as ``jobs`` replays of consecutive parts, side by side.

    Each part is an ordinary replay in ``work/part-K`` (its own warehouse and
    worker, its first day a full build of the history as it stood then,
    like any replay's); the parts' reports are merged into ``work``'s. A
    part that fails to finish fails the run."""
    import duckdb

    require_source(source)
    parts = split_days(days, jobs)
    started = time.perf_counter()
    running: list[tuple[Path, subprocess.Popen]] = []
    try:
        for k, part_days in enumerate(parts, start=1):
            part = work / f"part-{k}"
            part.mkdir(parents=True, exist_ok=True)
            (part / "replay.json").unlink(missing_ok=True)
            command = [sys.executable, "-m", "python_hooks.cli", "replay", "--source", str(source),
                       "--days", ",".join(d.isoformat() for d in part_days),
                       "--work-dir", str(part)] + (["--target", target] if target else [])
            # dbt's log rotates by size: one log directory per writer
            env = os.environ | {"DBT_LOG_PATH": str(part / "logs")}
            with (part / "replay.log").open("w", encoding="utf-8") as log:
                running.append((part, subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, env=env,
                    preexec_fn=_die_with_parent)))
            echo(f"part {k}: {part_days[0]} to {part_days[-1]} ({len(part_days)} days),"
                 f" log {part / 'replay.log'}")
        for part, proc in running:
            while proc.poll() is None:
                stop_if_signalled()
                time.sleep(1)
    finally:
        for _, proc in running:
            if proc.poll() is None:
                proc.terminate()
        for _, proc in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(60)
    reports = []
    for part, proc in running:
        report_file = part / "replay.json"
        if proc.returncode not in (0, 1) or not report_file.exists():
            raise ReplayError(f"the replay of {part.name} exited with {proc.returncode}"
                              f" without a report: see {part / 'replay.log'}")
        reports.append(json.loads(report_file.read_text(encoding="utf-8")))
    con = duckdb.connect(str(running[0][0] / "replay.duckdb"), read_only=True)
    try:
        outages, missed_games = outage_days(con), missed_game_days(con)
    finally:
        con.close()
    report = merge_reports(reports, outages, missed_games)
    report["summary"]["parts"] = [
        {"first_day": p[0].isoformat(), "last_day": p[-1].isoformat(), "days": len(p)} for p in parts]
    report["summary"]["wall_seconds"] = round(time.perf_counter() - started, 1)
    (work / "replay.json").write_text(json.dumps(report, indent=2, default=str))
    return report


def format_day(r: DayRecord) -> str:
    alerts = ",".join(f"{k}:{v}" for k, v in sorted(r.alerts.items())) or "-"
    ready = "-" if r.pct_ready is None else f"{r.pct_ready:5.1f}"
    build = "ok" if r.build_ok else f"FAILED({len(r.build_failures)})"
    return (f"{r.game_date}  games {r.games:2d}  rostered {r.rostered_players:4d}  rows {r.feature_rows:4d}"
            f"  tomorrow {r.tomorrow_rows:4d}"
            f"  ready {ready}%  dispatched {r.dispatched:4d}  failed {r.dispatch_failed:3d}"
            f"  gaps open {r.open_gaps:4d}  build {build}  alerts {alerts}  {r.seconds:.1f}s")


def format_summary(summary: dict[str, Any]) -> str:
    cmp = summary["daily_vs_rebuild"]
    lines = [
        f"replayed {summary['days']} days ({summary['game_days']} with games) in "
        f"{summary['seconds_total']} s, {summary['seconds_per_day']} s per day",
        f"  game days without feature rows      {summary['game_days_without_rows']}",
        f"  game days below half their rosters  {summary['game_days_short_of_rosters']}",
        f"  days leaving tomorrow without rows  {summary['days_without_rows_for_tomorrow']}",
        f"  daily vs rebuild: {cmp['rows_compared']} rows of {cmp['days_compared']} days compared"
        f" ({cmp['days_with_late_data']} days with late box scores set aside);"
        f" rows only daily {cmp['rows_only_daily']}, only rebuild {cmp['rows_only_rebuild']}",
        f"    cells differing in documented columns  {sum(cmp['documented_differences'].values())}",
        f"    cells differing elsewhere              {sum(cmp['unexpected_differences'].values())}",
        f"  players dispatched twice            {summary['double_dispatches']}",
        f"  requests dispatched / failed        {summary['requests_dispatched']} /"
        f" {summary['requests_failed']} ({summary['dispatch_errors']} runs exited non-zero)",
        f"  odds-outage days alerted            {summary['odds_outage_days_alerted']} of"
        f" {summary['odds_outage_days']}",
        f"  days with one game unpriced alerted {summary['missed_game_days_alerted']} of"
        f" {summary['missed_game_days']} (not owed: the game may have no star)",
        f"  healthy game days alerted           {summary['healthy_game_days_alerted']} of"
        f" {summary['healthy_game_days']}",
        f"  daily builds that failed a test     {summary['builds_failed']}",
        f"  gaps open / resolved at the end     {summary['gaps_open_at_end']} /"
        f" {summary['gaps_resolved_at_end']}",
    ]
    if summary.get("parts"):
        lines.insert(1, f"  in {len(summary['parts'])} parts side by side:"
                        f" {summary['wall_seconds']} s wall clock,"
                        f" {round(summary['wall_seconds'] / summary['days'], 2)} s per day")
    for column, count in cmp["unexpected_differences"].items():
        lines.append(f"    unexpected: {column} differs on {count} rows")
    lines += [f"    e.g. {example}" for example in cmp["unexpected_examples"]]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True,
                        help="a warehouse built from the complete data (make ci-warehouse)")
    options.add_date_option(parser, "--start-date", help="first day to replay")
    options.add_date_option(parser, "--end-date", help="last day to replay (default: start)")
    parser.add_argument("--days", help="comma-separated days to replay instead of a range")
    parser.add_argument("--work-dir", default="warehouse/replay",
                        help="where the replay warehouse, logs and replay.json go")
    parser.add_argument("--target", default=None, help="dbt target (default: the profile's)")
    parser.add_argument("--jobs", type=options.positive_int, default=1,
                        help="replay the days as this many consecutive parts side by side"
                             " (each its own warehouse; default 1)")


# The signal that stopped the replay, once one arrived.
_stopped_by: list[int] = []


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    # SystemExit unwinds the replay, so its worker process is stopped too.
    _stopped_by.append(signum)
    raise SystemExit(128 + signum)


def stop_if_signalled() -> None:
    """Re-raise a stop that dbt swallowed: where the signal lands inside a
    build decides whether dbt hands the SystemExit back or only records
    failed nodes, so each step checks the flag too."""
    if _stopped_by:
        raise SystemExit(128 + _stopped_by[0])


def run(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if args.days:
            days = sorted({options.parse_date(value) for value in args.days.split(",") if value})
        elif args.start_date:
            days = calendar_days(args.start_date, args.end_date or args.start_date)
        else:
            print("replay: give --start-date (and --end-date) or --days", file=sys.stderr)
            return 2
    except argparse.ArgumentTypeError as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 2
    if not days:
        print("replay: the end date is before the start date", file=sys.stderr)
        return 2
    try:
        if args.jobs > 1:
            report = run_parts(source=Path(args.source), days=days, work=Path(args.work_dir),
                               jobs=args.jobs, target=args.target)
            for record in report["days"]:
                print(format_day(DayRecord(**record)))
        else:
            report = run_replay(source=Path(args.source), days=days, work=Path(args.work_dir),
                                target=args.target)
    except ReplayError as exc:
        print(f"replay: {exc}", file=sys.stderr)
        return 2
    except Exception:
        # A signal that lands inside a DuckDB query comes back as DuckDB's
        # own interrupt error: the replay was stopped, not broken.
        stop_if_signalled()
        raise
    print(format_summary(report["summary"]))
    failures = invariant_failures(report["summary"])
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    print(f"report: {Path(args.work_dir) / 'replay.json'}")
    return 1 if failures else 0
