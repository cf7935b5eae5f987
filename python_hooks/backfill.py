"""`nba-fs backfill`: rebuild a range of game dates through dbt, resumably.

The work itself is dbt's: each chunk of dates is one `dbt run` (or `build`)
of the date-window models, invoked through dbt's programmatic runner. The
project is parsed once per command (python_hooks.dbt_invoke.ParsedProject)
and each chunk's window reaches the models through the env vars
NBA_WINDOW_START / NBA_WINDOW_END, which macros/date_window reads when a
model compiles: `start_date` / `end_date` vars would make dbt re-parse the
whole project for every chunk. Date-window models replace whole dates, so a
chunk can be re-run any number of times with the same result; that is what
makes resume and re-runs safe.

Progress is a small JSON file per backfill (warehouse/backfill_state/), written
atomically after each finished chunk: a run killed mid-chunk resumes at that
chunk, never redoing finished ones. A backfill is identified by its dates, its
selection, the dbt target and the warehouse's identity (a random id stored in
the warehouse, ``warehouse.warehouse_identity``): the same dates on another
target, another file or a rebuilt warehouse start afresh, and the records of
a warehouse that was rebuilt are marked ``superseded``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from python_hooks import clock, contract, dbt_invoke, options
from python_hooks.warehouse import (
    Warehouse,
    describe,
    duckdb_path,
    open_warehouse,
    warehouse_identity,
)

log = logging.getLogger("nba_fs.backfill")
PROJECT_ROOT = contract.PROJECT_ROOT
DEFAULT_SELECT = "tag:phase4 tag:phase5"
# Each chunk pays a fixed cost (full-history inputs; before the project was
# parsed once per command, also a full parse): the 2021-11-02..2021-12-31
# window (58 game dates, default sample) took 30.7 s in one chunk, 48.0 s in
# chunks of 31 and 151 s in chunks of 8 (2 cores, shared, parse per chunk).
# Bigger chunks win; 60 keeps resume steps reasonable.
DEFAULT_CHUNK_DAYS = 60
# Dates further apart than this never share a chunk: a chunk rebuilds every
# calendar date between its ends, so bridging a long gap would be wasted work.
MAX_GAP_DAYS_IN_CHUNK = 7

EXIT_OK = 0
EXIT_DBT_FAILED = 1
EXIT_USAGE = 2
EXIT_PREFLIGHT = 3


# ---------------------------------------------------------------------------
# Pure helpers (tested directly)
# ---------------------------------------------------------------------------


def clamp_end_date(end: dt.date, today: dt.date) -> tuple[dt.date, str | None]:
    """Future end dates become yesterday, with a warning (never a silent no-op)."""
    yesterday = today - dt.timedelta(days=1)
    if end > yesterday:
        return yesterday, (
            f"end date {end} is not in the past; clamped to yesterday ({yesterday})"
        )
    return end, None


def chunk_dates(
    dates: Sequence[dt.date],
    chunk_days: int,
    max_gap_days: int = MAX_GAP_DAYS_IN_CHUNK,
) -> list[list[dt.date]]:
    """Group sorted dates into chunks of at most `chunk_days` game dates."""
    chunks: list[list[dt.date]] = []
    for day in sorted(set(dates)):
        if (
            chunks
            and len(chunks[-1]) < chunk_days
            and (day - chunks[-1][-1]).days <= max_gap_days
        ):
            chunks[-1].append(day)
        else:
            chunks.append([day])
    return chunks


WINDOW_VARS = ("start_date", "end_date")


def common_dbt_args(target: str | None, overrides: Mapping[str, Any] | None = None) -> list[str]:
    """dbt arguments of the parse and of every chunk: the user's --vars
    overrides without start_date / end_date (each chunk's window wins, and
    those vars would hide it: they take precedence over the env vars)."""
    kept = {k: v for k, v in dict(overrides or {}).items() if k not in WINDOW_VARS}
    return [*dbt_invoke.vars_args(kept), *dbt_invoke.common_args(target, PROJECT_ROOT)]


def dbt_args(command: str, select: str) -> list[str]:
    """dbt arguments of one chunk (the window is in window_env)."""
    return [command, "--select", *select.split()]


def window_env(chunk: Sequence[dt.date]) -> dict[str, str]:
    """The chunk's date window, as the env vars macros/date_window reads."""
    return {"NBA_WINDOW_START": chunk[0].isoformat(), "NBA_WINDOW_END": chunk[-1].isoformat()}


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def progress_line(
    done: int, total: int, rows: int, elapsed: float, done_this_run: int | None = None,
    width: int = 24,
) -> str:
    """One progress line. The ETA uses this run's pace (`done_this_run`):
    dates finished by an earlier, resumed run cost nothing now."""
    filled = int(width * done / total) if total else width
    bar = "=" * filled + (">" if filled < width else "") + " " * max(0, width - filled - 1)
    paced = done if done_this_run is None else done_this_run
    eta = format_duration(elapsed / paced * (total - done)) if paced else "--:--"
    return (
        f"[{bar}] {done}/{total} dates | {rows:,} rows | "
        f"{format_duration(elapsed)} elapsed | ~{eta} left"
    )


# ---------------------------------------------------------------------------
# Progress state
# ---------------------------------------------------------------------------


@dataclass
class BackfillState:
    path: Path
    dates: list[str]
    select: str
    target: str = ""
    warehouse: str = ""
    warehouse_id: str = ""
    done: list[str] = field(default_factory=list)
    rows_by_date: dict[str, int] = field(default_factory=dict)
    started_at: str = ""
    updated_at: str = ""
    status: str = "running"

    @staticmethod
    def key(dates: Sequence[dt.date], select: str, target: str = "", warehouse_id: str = "") -> str:
        digest = hashlib.sha1(
            "|".join([",".join(d.isoformat() for d in dates), select, target, warehouse_id]).encode()
        ).hexdigest()[:10]
        return f"backfill_{min(dates)}_{max(dates)}_{digest}"

    @classmethod
    def load_or_new(
        cls, state_dir: Path, dates: Sequence[dt.date], select: str, resume: bool,
        target: str = "", warehouse: str = "", warehouse_id: str = "",
    ) -> "BackfillState":
        path = state_dir / f"{cls.key(dates, select, target, warehouse_id)}.json"
        if resume and path.exists():
            data = json.loads(path.read_text())
            if (data.get("target", ""), data.get("warehouse_id", "")) == (target, warehouse_id):
                return cls(path=path, **data)
        now = clock.utc_now().isoformat(timespec="seconds")
        return cls(
            path=path,
            dates=[d.isoformat() for d in sorted(dates)],
            select=select,
            target=target,
            warehouse=warehouse,
            warehouse_id=warehouse_id,
            started_at=now,
        )

    def save(self) -> None:
        self.updated_at = clock.utc_now().isoformat(timespec="seconds")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "dates": self.dates,
            "select": self.select,
            "target": self.target,
            "warehouse": self.warehouse,
            "warehouse_id": self.warehouse_id,
            "done": self.done,
            "rows_by_date": self.rows_by_date,
            "started_at": self.started_at,
            "updated_at": self.updated_at,
            "status": self.status,
        }
        # Write-then-rename: a kill never leaves a half-written state file.
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, indent=1))
        tmp.replace(self.path)

    def pending(self) -> list[dt.date]:
        finished = set(self.done)
        return [dt.date.fromisoformat(d) for d in self.dates if d not in finished]


# ---------------------------------------------------------------------------
# Warehouse reads
# ---------------------------------------------------------------------------


def date_range(dates: Sequence[dt.date]) -> dict[str, dt.date]:
    """Query parameters @first / @last spanning `dates`. Queries read that
    range (a plain range prunes partitions on BigQuery and is the same SQL on
    both engines) and in_dates keeps the listed dates."""
    return {"first": min(dates), "last": max(dates)}


def in_dates(rows: list[dict[str, Any]], dates: Sequence[dt.date]) -> list[dict[str, Any]]:
    wanted = set(dates)
    return [row for row in rows if row["game_date"] in wanted]


def feature_game_filter() -> tuple[str, dict[str, str]]:
    """`game_type in (@game_type_0, ...)` and its parameters: the game types
    that count (var feature_game_types, as dbt's is_feature_game renders it)."""
    params = {f"game_type_{i}": game_type
              for i, game_type in enumerate(contract.threshold("feature_game_types"))}
    return f"game_type in ({', '.join('@' + name for name in params)})", params


def scheduled_game_dates(wh: Warehouse, start: dt.date, end: dt.date) -> list[dt.date]:
    """Dates with games that count (var feature_game_types), not postponed."""
    counted, game_types = feature_game_filter()
    rows = wh.query(
        f"select distinct game_date from {wh.table('staging', 'stg_nba_raw__schedule')}"
        f" where game_date between @start and @end and {counted} and game_status <> 'postponed'"
        " order by game_date",
        {"start": start, "end": end, **game_types},
    )
    return [row["game_date"] for row in rows]


def upstream_coverage(wh: Warehouse, dates: Sequence[dt.date]) -> list[dict[str, Any]]:
    """Per date: final games scheduled vs games present in the analytics models."""
    if not dates:
        return []
    counted, game_types = feature_game_filter()
    rows = wh.query(
        f"""
        with scheduled as (
            select game_date, count(*) as games_scheduled
            from {wh.table('staging', 'stg_nba_raw__schedule')}
            where game_date between @first and @last
              and {counted} and game_status = 'final'
            group by game_date
        ),
        players as (
            select game_date, count(distinct game_id) as games_with_players
            from {wh.table('analytics', 'player_game_summary')}
            where game_date between @first and @last
            group by game_date
        ),
        teams as (
            select game_date, count(distinct game_id) as games_with_teams
            from {wh.table('analytics', 'team_offense_game_summary')}
            where game_date between @first and @last
            group by game_date
        )
        select
            scheduled.game_date,
            scheduled.games_scheduled,
            coalesce(players.games_with_players, 0) as games_with_players,
            coalesce(teams.games_with_teams, 0) as games_with_teams
        from scheduled
        left join players on players.game_date = scheduled.game_date
        left join teams on teams.game_date = scheduled.game_date
        order by scheduled.game_date
        """,
        {**date_range(dates), **game_types},
    )
    rows = in_dates(rows, dates)
    for row in rows:
        covered = min(row["games_with_players"], row["games_with_teams"])
        row["coverage"] = covered / row["games_scheduled"] if row["games_scheduled"] else 1.0
    return rows


def rows_per_date(wh: Warehouse, dates: Sequence[dt.date]) -> dict[str, int]:
    rows = wh.query(
        f"select game_date, count(*) as n"
        f" from {wh.table('predictions', 'ml_feature_store_v2')}"
        " where game_date between @first and @last group by game_date",
        date_range(dates),
    )
    counts = {row["game_date"].isoformat(): int(row["n"]) for row in rows}
    return {d.isoformat(): counts.get(d.isoformat(), 0) for d in dates}


def readiness_per_date(wh: Warehouse, dates: Sequence[dt.date]) -> list[dict[str, Any]]:
    """pct ready per date, as daily_quality_counts (its one definition) has it."""
    rows = wh.query(
        f"select game_date, total_records, quality_ready, pct_ready"
        f" from {wh.table('monitoring', 'daily_quality_counts')}"
        " where game_date between @first and @last order by game_date",
        date_range(dates),
    )
    return in_dates(rows, dates)


def gaps_resolved_since(wh: Warehouse, since: str, dates: Sequence[dt.date]) -> int | None:
    if not wh.table_exists("monitoring", "feature_store_gaps"):
        return None
    rows = wh.query(
        f"select game_date, count(*) as n from {wh.table('monitoring', 'feature_store_gaps')}"
        " where resolved_at >= @since and game_date between @first and @last"
        " group by game_date",
        {"since": dt.datetime.fromisoformat(since).replace(tzinfo=None), **date_range(dates)},
    )
    return sum(int(row["n"]) for row in in_dates(rows, dates))


# ---------------------------------------------------------------------------
# Running dbt
# ---------------------------------------------------------------------------


class ChunkRunner:
    """dbt on warehouse ``db`` (--db reaches dbt as NBA_DUCKDB_PATH), the
    project parsed at the first chunk and reused by every later one."""

    def __init__(self, db: str | None, common: Sequence[str]) -> None:
        self.db = db
        self.common = list(common)
        self.project: dbt_invoke.ParsedProject | None = None

    def __call__(self, args: list[str], env: Mapping[str, str]) -> bool:
        """True when every node passed."""
        try:
            if self.project is None:
                self.project = dbt_invoke.ParsedProject(self.common, db=self.db)
        except dbt_invoke.DbtParseError as exc:
            log.error("%s", exc)
            return False
        result = self.project.invoke(args, env=env)
        if result.exception is not None:
            log.error("dbt raised: %s", result.exception)
        return bool(result.success)


def run_backfill(
    state: BackfillState,
    *,
    db: str,
    chunk_days: int,
    command: str,
    target: str | None,
    dbt: Callable[[list[str], Mapping[str, str]], bool] | None = None,
    out: Any = sys.stderr,
    overrides: Mapping[str, Any] | None = None,
) -> bool:
    """Each pending chunk through dbt (``dbt(args, env)``, default a
    ChunkRunner: one parse for all chunks); a tqdm bar shows dates done, rows
    written and time left (this run's pace: dates an earlier, resumed run
    finished cost nothing now)."""
    from tqdm import tqdm

    run_dbt = dbt or ChunkRunner(db, common_dbt_args(target, overrides))
    pending = state.pending()
    total = len(state.dates)
    started = time.monotonic()
    done_this_run = 0
    with tqdm(total=total, initial=len(state.done), unit="date", file=out, dynamic_ncols=True,
              desc="backfill", mininterval=0) as bar:
        bar.set_postfix_str(f"{sum(state.rows_by_date.values()):,} rows")
        for chunk in chunk_dates(pending, chunk_days):
            if not run_dbt(dbt_args(command, state.select), window_env(chunk)):
                state.status = "failed"
                state.save()
                bar.write(
                    f"chunk {chunk[0]}..{chunk[-1]} failed; fix and re-run the same command"
                    " to resume from this chunk",
                    file=out,
                )
                return False
            with open_warehouse(db, read_only=True) as wh:
                counts = rows_per_date(wh, chunk)
            state.rows_by_date.update(counts)
            state.done.extend(d.isoformat() for d in chunk)
            state.save()
            done_this_run += len(chunk)
            bar.set_postfix_str(f"{sum(state.rows_by_date.values()):,} rows")
            bar.update(len(chunk))
            log.debug(progress_line(len(state.done), total, sum(state.rows_by_date.values()),
                                    time.monotonic() - started, done_this_run))
    state.status = "done"
    state.save()
    return True


# ---------------------------------------------------------------------------
# Command
# ---------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_date_option(parser, "--start-date", help="first date (default: 7 days before the end)")
    options.add_date_option(parser, "--end-date", help="last date (default: yesterday)")
    parser.add_argument("--dates", type=options.parse_dates,
                        help="comma-separated list of dates (" + options.DATE_HELP + ")")
    parser.add_argument("--dry-run", action="store_true", help="show what would run and coverage")
    parser.add_argument("--skip-preflight", action="store_true", help="skip the coverage check")
    parser.add_argument("--status", action="store_true", help="show recorded backfills and exit")
    parser.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="continue a recorded backfill of the same dates (default) or start over",
    )
    parser.add_argument("--chunk-days", type=int, default=DEFAULT_CHUNK_DAYS,
                        help=f"game dates per dbt invocation (default {DEFAULT_CHUNK_DAYS})")
    parser.add_argument("--select", default=DEFAULT_SELECT,
                        help=f"dbt selection to rebuild (default {DEFAULT_SELECT!r})")
    parser.add_argument("--build", action="store_true",
                        help="dbt build (models + tests of the window) instead of dbt run")
    parser.add_argument("--target", default=None,
                        help="dbt target (default: NBA_DBT_TARGET, else the profile's dev)")
    options.add_db_option(parser)
    options.add_vars_option(parser)
    parser.add_argument("--state-dir", default=None,
                        help="where progress is recorded (default: backfill_state beside the DuckDB file)")
    # the run date, for tests; NBA_RUN_DATE is the general way (python_hooks/clock.py)
    parser.add_argument("--today", type=options.parse_date, help=argparse.SUPPRESS)


def target_name(target: str | None) -> str:
    """The dbt target a run uses: --target, else NBA_DBT_TARGET, else the
    profile's default (profiles.yml: dev)."""
    return target or os.environ.get("NBA_DBT_TARGET") or "dev"


def _state_dir(args: argparse.Namespace, db: str) -> Path:
    if args.state_dir:
        return Path(args.state_dir)
    return Path(db).resolve().parent / "backfill_state"


def _state_files(state_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(state_dir.glob("backfill_*.json")) if state_dir.exists() else []:
        try:
            found.append((path, json.loads(path.read_text())))
        except (OSError, ValueError):
            log.warning("unreadable backfill record %s: ignored", path)
    return found


def _current_identity(db: str) -> tuple[str, str | None]:
    """(where, id) of the warehouse now; id None when it has none (yet)."""
    try:
        with open_warehouse(db, read_only=True) as wh:
            return describe(wh), warehouse_identity(wh)
    except Exception:  # noqa: BLE001 - status still lists the records
        return str(Path(db).resolve()), None


def _print_status(state_dir: Path, db: str, target: str) -> int:
    files = _state_files(state_dir)
    if not files:
        print(f"no backfills recorded in {state_dir}")
        return EXIT_OK
    where, identity = _current_identity(db)
    print(f"warehouse now: {where} (id {identity[:8] if identity else 'none yet'}), target {target}")
    print(f"{'backfill':<38} {'status':<10} {'done':>9} {'rows':>9}  {'target':<8} warehouse")
    for path, data in files:
        done = f"{len(data.get('done', []))}/{len(data.get('dates', []))}"
        rows = sum(data.get("rows_by_date", {}).values())
        record_id = data.get("warehouse_id") or ""
        this = " (this one)" if identity and record_id == identity and data.get("target") == target else ""
        print(f"{path.stem:<38} {data.get('status', '?'):<10} {done:>9} {rows:>9,}"
              f"  {data.get('target') or '?':<8} {data.get('warehouse') or '?'}"
              f" id {record_id[:8] or '?'}{this}  {data.get('updated_at', '')}")
    return EXIT_OK


def _supersede(state_dir: Path, where: str, identity: str) -> None:
    """Records of a warehouse at the same place with another id describe a
    warehouse that was rebuilt since: they no longer say what is done."""
    for path, data in _state_files(state_dir):
        if data.get("warehouse") == where and data.get("warehouse_id") not in ("", identity) \
                and data.get("status") != "superseded":
            data["status"] = "superseded"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1))
            tmp.replace(path)
            log.info("%s: warehouse rebuilt since, marked superseded", path.stem)


def _print_coverage_table(rows: Iterable[dict[str, Any]], out: Any) -> None:
    print(f"{'game_date':<12}{'scheduled':>10}{'players':>9}{'teams':>7}{'coverage':>10}", file=out)
    for row in rows:
        print(
            f"{row['game_date'].isoformat():<12}{row['games_scheduled']:>10}"
            f"{row['games_with_players']:>9}{row['games_with_teams']:>7}"
            f"{row['coverage']:>9.0%}",
            file=out,
        )


def resolve_dates(args: argparse.Namespace, wh: Warehouse, today: dt.date) -> list[dt.date]:
    if args.dates:
        requested = sorted(set(args.dates))
        start, end = requested[0], requested[-1]
    else:
        end = args.end_date or today - dt.timedelta(days=1)
        start = args.start_date or end - dt.timedelta(days=6)
    end, warning = clamp_end_date(end, today)
    if warning:
        log.warning(warning)
    if start > end:
        return []
    scheduled = scheduled_game_dates(wh, start, end)
    if args.dates:
        return [d for d in scheduled if d in set(args.dates)]
    return scheduled


def run(args: argparse.Namespace) -> int:
    db = duckdb_path(args.db)
    state_dir = _state_dir(args, db)
    target = target_name(args.target)
    overrides = getattr(args, "vars", None) or {}
    if args.status:
        return _print_status(state_dir, db, target)
    today = args.today or clock.run_date()
    if args.start_date and args.end_date and args.end_date < args.start_date:
        print(f"nba-fs backfill: end date {args.end_date} is before start date {args.start_date}",
              file=sys.stderr)
        return EXIT_USAGE
    with open_warehouse(db, read_only=True) as wh:
        dates = resolve_dates(args, wh, today)
        if not dates:
            print("no scheduled game dates in the requested range: nothing to do")
            return EXIT_OK
        coverage = [] if args.skip_preflight and not args.dry_run else upstream_coverage(wh, dates)
    minimum = contract.threshold("backfill_min_upstream_coverage", overrides)
    short = [row for row in coverage if row["coverage"] < minimum]

    chunks = chunk_dates(dates, args.chunk_days)
    if args.dry_run:
        print(f"would rebuild {len(dates)} game dates ({dates[0]}..{dates[-1]}) in "
              f"{len(chunks)} dbt {'build' if args.build else 'run'}(s) of {args.select!r}")
        _print_coverage_table(coverage, sys.stdout)
        return EXIT_OK
    if short and not args.skip_preflight:
        print(f"preflight failed: {len(short)} date(s) below {minimum:.0%} upstream coverage"
              " (run the analytics layer first, or pass --skip-preflight):", file=sys.stderr)
        _print_coverage_table(short, sys.stderr)
        return EXIT_PREFLIGHT

    with open_warehouse(db, read_only=False) as wh:
        where, identity = describe(wh), warehouse_identity(wh, create=True) or ""
    _supersede(state_dir, where, identity)
    state = BackfillState.load_or_new(state_dir, dates, args.select, args.resume,
                                      target=target, warehouse=where, warehouse_id=identity)
    if state.done:
        log.info("resuming %s (target %s, warehouse %s): %d/%d dates already done",
                 state.path.stem, target, where, len(state.done), len(state.dates))
    if not state.pending():
        print("every date of this backfill is already done (use --no-resume to rebuild)")
        return _summary(state, db)
    ok = run_backfill(
        state,
        db=db,
        chunk_days=args.chunk_days,
        command="build" if args.build else "run",
        target=args.target,
        overrides=overrides,
    )
    _summary(state, db)
    return EXIT_OK if ok else EXIT_DBT_FAILED


def _summary(state: BackfillState, db: str) -> int:
    dates = [dt.date.fromisoformat(d) for d in state.done]
    print(f"\nbackfill {state.path.stem}: {state.status}"
          f" (target {state.target}, warehouse {state.warehouse})")
    print(f"  dates processed: {len(state.done)}/{len(state.dates)}")
    print(f"  rows written:    {sum(state.rows_by_date.values()):,}")
    if not dates:
        return EXIT_OK
    with open_warehouse(db, read_only=True) as wh:
        resolved = gaps_resolved_since(wh, state.started_at, dates)
        readiness = readiness_per_date(wh, dates)
    print(f"  gaps resolved:   {'n/a' if resolved is None else resolved}")
    print("  pct ready per date:")
    cells = [f"{row['game_date'].isoformat()} {row['pct_ready']:5.1f}%" for row in readiness]
    for start in range(0, len(cells), 4):
        print("    " + "   ".join(cells[start:start + 4]))
    return EXIT_OK
