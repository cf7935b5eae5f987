"""`nba-fs dispatch`: gate the day's candidates and publish prediction requests.

Flow (one DuckDB writer at a time, see docs/python_layer.md):

0. take the dispatch lock of the warehouse (one dispatcher at a time; a
   second one exits with status 3 and says who holds it);
1. read (read-only connection, then closed): feature rows of the date, players
   with an active prediction, players already dispatched (the ledger, and the
   fallback file a previous run may have left);
2. gate each candidate (:mod:`python_hooks.gate`) - pure;
3. record every request in the ledger ``<predictions>.prediction_requests`` as
   ``pending`` (one short write), *then* publish them one by one through the
   sink, with retry, appending the outcomes in short writes (an outcome a
   second old is written before the next publish starts; all are written at
   the end and on SIGTERM/SIGINT) (``published``,
   ``failed`` with the error, or ``not_sent`` when the run stopped first: a
   deadline, the circuit breaker, SIGTERM/SIGINT). The ledger is append-only:
   the status of a request is its final row, else its pending row.

Exit status: 0 all requests published (or nothing to do; a date without
scheduled games); 1 at least one request failed or was not sent (it is in the
ledger and the next run sends it again), or the ledger could not be written
(its rows then go to ``dispatch_ledger_fallback.jsonl`` beside the DuckDB file,
read back by the next run); 2 the date, the arguments or the warehouse are
unusable (missing, unreadable, not DuckDB, locked, no feature store, no feature
rows for a date with scheduled games, an unreachable worker URL); 3 another
dispatch holds the lock; 130/143 interrupted by SIGINT/SIGTERM (the ledger is
flushed first).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import errno
import fcntl
import json
import logging
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from python_hooks import clock, contract, gate, options, warehouse
from python_hooks.predictor import SYSTEM_ID
from python_hooks.redact import redact
from python_hooks.sinks import (
    DEFAULT_DELAYS,
    DEFAULT_OUTBOX,
    PublishResult,
    Sink,
    describe_error,
    make_sink,
    publish_with_retry,
)

log = logging.getLogger("nba_fs.dispatch")

LINE_OFFSETS = (-2.0, -1.0, 0.0, 1.0, 2.0)
LEDGER_LOCK_ATTEMPTS = 40  # x 0.5 s: a worker busy with another batch
LEDGER_FALLBACK_NAME = "dispatch_ledger_fallback.jsonl"  # beside the DuckDB file
LOCK_SUFFIX = ".dispatch.lock"  # beside the DuckDB file
LEDGER_FLUSH_S = 1.0  # outcomes reach the ledger at least this often
LEDGER_FLUSH_ROWS = 200
DEFAULT_DEADLINE_S = 1800.0  # the whole publishing phase of one run
DEFAULT_MAX_CONSECUTIVE_FAILURES = 5  # then the circuit opens: the rest is not sent
EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE, EXIT_BUSY = 0, 1, 2, 3

PENDING, PUBLISHED, FAILED, NOT_SENT = "pending", "published", "failed", "not_sent"
FINAL_STATUSES = (PUBLISHED, FAILED, NOT_SENT)


def line_values(line: float | None) -> list[float]:
    """The current line and the line +-1 and +-2 (ascending); [] without line."""
    if line is None:
        return []
    return [round(float(line) + offset, 1) for offset in LINE_OFFSETS]


def build_request(
    row: Mapping[str, Any],
    decision: gate.Decision,
    *,
    mode: gate.Mode,
    batch_id: str,
    now: dt.datetime,
    correlation_id: str | None = None,
) -> dict[str, Any]:
    """The request message (docs/python_layer.md), JSON-serialisable."""
    line = row.get("feature_25_value")
    has_line = line is not None
    game_date = row["game_date"]
    return {
        "player_lookup": row["player_lookup"],
        "game_date": game_date.isoformat() if hasattr(game_date, "isoformat") else str(game_date),
        "game_id": row.get("game_id"),
        "team_abbr": row.get("team_abbr"),
        "opponent_team_abbr": row.get("opponent_team_abbr"),
        "is_home": None if row.get("is_home") is None else bool(row["is_home"]),
        "line_values": line_values(line),
        "has_prop_line": has_line,
        "actual_prop_line": _float(line),
        "line_source": "ACTUAL_PROP" if has_line else "NO_PROP_LINE",
        "sportsbook": row.get("vegas_sportsbook") if has_line else None,
        "feature_quality_score": _float(row.get("feature_quality_score")),
        "low_quality_flag": decision.low_quality_flag,
        "prediction_attempt": mode.value,
        "batch_id": batch_id,
        "correlation_id": correlation_id or str(uuid.uuid4()),
        "timestamp": now.astimezone(dt.timezone.utc).isoformat(),
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def make_batch_id(game_date: dt.date, now: dt.datetime) -> str:
    return f"batch_{game_date.isoformat()}_{int(now.timestamp())}"


@dataclass
class Outcome:
    player_lookup: str
    decision: gate.Decision
    tier: str | None
    score: float | None


@dataclass
class Plan:
    """The gate applied to a date: what to send and why the rest is not sent."""

    game_date: dt.date
    mode: gate.Mode
    feature_rows: int
    outcomes: list[Outcome] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


def plan_dispatch(
    rows: Sequence[Mapping[str, Any]],
    *,
    game_date: dt.date,
    mode: gate.Mode,
    active_players: set[str],
    dispatched_players: set[str],
    now: dt.datetime,
    overrides: Mapping[str, Any] | None = None,
) -> Plan:
    """Pure: candidates -> gate decisions -> request messages."""
    thresholds = gate.Thresholds.for_mode(mode, overrides)
    min_minutes = float(contract.threshold("candidate_min_minutes_last_7_days", overrides))
    batch_id = make_batch_id(game_date, now)
    plan = Plan(game_date=game_date, mode=mode, feature_rows=len(rows))
    for row in rows:
        if not gate.is_candidate(row, min_minutes):
            continue
        player = row["player_lookup"]
        if player in dispatched_players and player not in active_players:
            decision = gate.Decision(False, "already_dispatched", gate.SKIPPED_EXISTING)
        else:
            decision = gate.decide(
                row, has_active_prediction=player in active_players, thresholds=thresholds
            )
        plan.outcomes.append(
            Outcome(player, decision, row.get("quality_tier"), _float(row.get("feature_quality_score")))
        )
        if decision.dispatch:
            plan.requests.append(
                build_request(row, decision, mode=mode, batch_id=batch_id, now=now)
            )
    return plan


# ---------------------------------------------------------------------------
# The ledger: append-only, one row per status of a request
# ---------------------------------------------------------------------------

def _utc_naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def ledger_row(
    request: Mapping[str, Any],
    request_id: str,
    sink_name: str,
    status: str,
    at: dt.datetime,
    result: PublishResult | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "batch_id": request["batch_id"],
        "correlation_id": request["correlation_id"],
        "game_date": dt.date.fromisoformat(request["game_date"]),
        "player_lookup": request["player_lookup"],
        "game_id": request["game_id"],
        "prediction_attempt": request["prediction_attempt"],
        "sink": sink_name,
        "status": status,
        "attempts": 0 if result is None else result.attempts,
        "error": redact(error if error is not None else (result.error if result else None) or "")
        or None,
        "request_json": json.dumps(request, sort_keys=True),
        "created_at": _utc_naive(at),
    }


def _status_rank(row: Mapping[str, Any]) -> tuple[int, str]:
    return (0 if row.get("status") == PENDING else 1, str(row.get("created_at") or ""))


def latest_status(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """request_id -> its status row: the final one (published, failed,
    not_sent) when there is one, else pending; the latest of equals."""
    latest: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=_status_rank):
        latest[str(row["request_id"])] = dict(row)
    return latest


def fallback_path(db: str | None) -> Path:
    return Path(warehouse.duckdb_path(db)).parent / LEDGER_FALLBACK_NAME


def read_fallback(path: Path) -> list[dict[str, Any]]:
    """The rows a run could not write to the ledger (malformed lines skipped)."""
    if not path.exists():
        return []
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            try:
                row = json.loads(line)
                if not isinstance(row, dict) or "request_id" not in row:
                    raise ValueError("not a ledger row")
            except ValueError:
                log.warning("%s line %d is not a ledger row: skipped", path, number)
                continue
            rows.append(row)
    return rows


def _typed(row: Mapping[str, Any]) -> dict[str, Any]:
    """A fallback (JSON) row with the ledger's column types."""
    out = dict(row)
    if isinstance(out.get("game_date"), str):
        out["game_date"] = dt.date.fromisoformat(out["game_date"])
    if isinstance(out.get("created_at"), str):
        out["created_at"] = dt.datetime.fromisoformat(out["created_at"])
    out["attempts"] = int(out.get("attempts") or 0)
    return out


class Ledger:
    """Appends ledger rows as the run goes; falls back to a JSONL file (0600)
    beside the DuckDB file when the table cannot be written.

    Outcomes are buffered for at most ``flush_s`` seconds (or
    LEDGER_FLUSH_ROWS rows): one DuckDB write per request would cost ~0.1 s
    each. A request whose outcome is still buffered when the process is
    killed outright (SIGKILL) stays ``pending`` and is sent again by the next
    run; SIGTERM/SIGINT flush the buffer first."""

    def __init__(self, open_writer: Callable[[], warehouse.Warehouse], fallback: Path, *,
                 sleep: Callable[[float], None] = time.sleep,
                 attempts: int = LEDGER_LOCK_ATTEMPTS,
                 flush_s: float = LEDGER_FLUSH_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.open_writer = open_writer
        self.fallback = fallback
        self.sleep = sleep
        self.attempts = attempts
        self.flush_s = flush_s
        self.monotonic = monotonic
        self.error: str | None = None
        self.saved_to_fallback = 0
        self.buffer: list[dict[str, Any]] = []
        self.last_flush = monotonic()
        self._table_ready = False

    def _insert(self, rows: Sequence[Mapping[str, Any]]) -> None:
        def write() -> None:
            wh = self.open_writer()
            try:
                if not self._table_ready:
                    warehouse.ensure_table(wh, "predictions", warehouse.LEDGER_TABLE,
                                           warehouse.LEDGER_DDL)
                    self._table_ready = True
                wh.insert_rows("predictions", warehouse.LEDGER_TABLE, list(rows))
            finally:
                wh.close()

        warehouse.retry_on_lock(write, attempts=self.attempts, sleep=self.sleep)

    def record(self, row: Mapping[str, Any]) -> None:
        """Buffer an outcome; write the buffer when it is due."""
        self.buffer.append(dict(row))
        if len(self.buffer) >= LEDGER_FLUSH_ROWS:
            self.flush()
        else:
            self.flush_if_due()

    def flush_if_due(self) -> None:
        """Write buffered outcomes older than flush_s. Called before each
        publish too, so a slow sink never keeps an outcome in memory long."""
        if self.buffer and self.monotonic() - self.last_flush >= self.flush_s:
            self.flush()

    def flush(self) -> None:
        """Write the buffer (a signal meanwhile waits until it is written)."""
        with _critical():
            rows = list(self.buffer)
            self.append(rows)
            del self.buffer[:len(rows)]
            self.last_flush = self.monotonic()

    def append(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Write ``rows`` now (to the table, else to the fallback file)."""
        if not rows:
            return
        if self.error is None:
            try:
                with _critical():
                    self._insert(rows)
                return
            except Interrupted:
                raise
            except Exception as exc:  # noqa: BLE001 - reported, rows kept in a file
                self.error = (f"could not write the dispatch ledger: {describe_error(exc)};"
                              f" ledger rows saved to {self.fallback}")
                log.error("%s", self.error)
        with _critical():
            self.fallback.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.fallback, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.fchmod(fd, 0o600)  # also a file an earlier version created
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(json.dumps(row, default=str, sort_keys=True) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        self.saved_to_fallback += len(rows)

    def import_fallback(self, rows: Sequence[Mapping[str, Any]]) -> bool:
        """Move a previous run's fallback rows into the table; True when done
        (the file is then removed)."""
        if not rows:
            return True
        try:
            with _critical():
                self._insert([_typed(row) for row in rows])
                self.fallback.unlink(missing_ok=True)
        except Interrupted:
            raise
        except Exception as exc:  # noqa: BLE001 - the file stays and is read again
            log.warning("the ledger fallback %s could not be imported (%s): kept, and read"
                        " by this run", self.fallback, describe_error(exc))
            return False
        log.info("imported %d ledger rows from %s", len(rows), self.fallback)
        return True


# ---------------------------------------------------------------------------
# One dispatcher per warehouse; signals
# ---------------------------------------------------------------------------

class DispatchError(RuntimeError):
    """The warehouse cannot be used for this date (exit status 2)."""


class DispatchBusy(DispatchError):
    """Another dispatch holds the warehouse's dispatch lock (exit status 3)."""


class Interrupted(BaseException):
    """SIGTERM / SIGINT during a dispatch (not an Exception: never retried)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def lock_path(db: str | None) -> Path:
    if os.environ.get("NBA_WAREHOUSE", "duckdb").lower() == "bigquery":
        project = os.environ.get("NBA_BQ_PROJECT", "default")
        return Path(tempfile.gettempdir()) / f"nba-fs-dispatch-{project}{LOCK_SUFFIX}"
    path = Path(warehouse.duckdb_path(db))
    return path.with_name(path.name + LOCK_SUFFIX)


@contextlib.contextmanager
def dispatch_lock(path: Path) -> Iterator[None]:
    """An exclusive, non-blocking lock (flock) on ``path``; DispatchBusy if held.
    The kernel releases it when the process dies, so a crash never leaves it
    held; the file itself is removed when the lock is released."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(10):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise DispatchBusy(
                f"another dispatch is running on this warehouse ({holder}; lock {path});"
                " nothing sent - run again when it has finished") from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed the file meanwhile: lock the new one
    else:
        raise DispatchBusy(f"could not take the dispatch lock {path}")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {clock.utc_now():%Y-%m-%dT%H:%M:%SZ}".encode(), 0)
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class _SignalState:
    depth = 0  # > 0 while writing the ledger: a signal waits for the write
    deferred: int | None = None


@contextlib.contextmanager
def _critical() -> Iterator[None]:
    _SignalState.depth += 1
    try:
        yield
    finally:
        _SignalState.depth -= 1
    if _SignalState.depth == 0 and _SignalState.deferred is not None:
        signum, _SignalState.deferred = _SignalState.deferred, None
        raise Interrupted(signum)


def _on_signal(signum: int, frame: Any) -> None:
    if _SignalState.depth:
        _SignalState.deferred = signum
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGINT raise :class:`Interrupted` (after a ledger write in
    progress), so the dispatch records what it did before exiting."""
    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------

def summarise(plan: Plan, results: Sequence[PublishResult | str | None]) -> dict[str, Any]:
    """``results[i]``: the PublishResult of request i, or the status it was left
    in (``not_sent``, ``pending``) when the run stopped before its outcome."""
    published_players: set[str] = set()
    final: Counter[str] = Counter()
    for request, result in zip(plan.requests, results):
        if isinstance(result, PublishResult):
            status = PUBLISHED if result.ok else FAILED
        else:
            status = result or NOT_SENT
        final[status] += 1
        if status == PUBLISHED:
            published_players.add(request["player_lookup"])
    for request in plan.requests[len(results):]:
        final[NOT_SENT] += 1
    sent_players = {r["player_lookup"] for r in plan.requests}
    reasons: Counter[str] = Counter()
    for outcome in plan.outcomes:
        reason = outcome.decision.reason
        if outcome.decision.dispatch and outcome.player_lookup in sent_players:
            reason = "published" if outcome.player_lookup in published_players else "not_published"
        reasons[reason] += 1
    counts = Counter(outcome.decision.category for outcome in plan.outcomes)
    scores = [o.score for o in plan.outcomes if o.score is not None]
    published = final[PUBLISHED]
    return {
        "game_date": plan.game_date.isoformat(),
        "mode": plan.mode.value,
        "feature_rows": plan.feature_rows,
        "total": len(plan.outcomes),
        "requests": len(plan.requests),
        "dispatched": published,
        "publish_failed": final[FAILED],
        "not_sent": final[NOT_SENT],
        "unconfirmed": final[PENDING],
        "skipped_existing": counts[gate.SKIPPED_EXISTING],
        "skipped_low_quality": counts[gate.SKIPPED_LOW_QUALITY],
        "hard_blocked": counts[gate.HARD_BLOCKED],
        "no_features": counts[gate.NO_FEATURES],
        "low_quality_flagged": sum(1 for r in plan.requests if r["low_quality_flag"]),
        "mean_score": round(sum(scores) / len(scores), 2) if scores else None,
        "by_reason": dict(reasons.most_common()),
        "by_tier": dict(Counter(o.tier or "none" for o in plan.outcomes).most_common()),
        "expected_count": published,
        "batch_id": plan.requests[0]["batch_id"] if plan.requests else None,
        "stopped": None,
        "interrupted": None,
        "ledger_error": None,
    }


def format_summary(summary: Mapping[str, Any]) -> str:
    """The one-screen summary a person reads at 8 AM."""
    lines = [
        f"Prediction dispatch {summary['game_date']}  mode {summary['mode']}"
        f"  batch {summary['batch_id'] or '-'}",
        f"  feature rows {summary['feature_rows']}, candidates {summary['total']}"
        f", mean score {summary['mean_score'] if summary['mean_score'] is not None else '-'}",
        f"  dispatched          {summary['dispatched']:>5}"
        f"   published of {summary.get('requests', summary['dispatched'])} requests"
        f" (low-quality flag {summary['low_quality_flagged']}; expected count"
        f" {summary['expected_count']})",
        f"  skipped_existing    {summary['skipped_existing']:>5}",
        f"  skipped_low_quality {summary['skipped_low_quality']:>5}",
        f"  hard_blocked        {summary['hard_blocked']:>5}",
    ]
    if summary["no_features"]:
        lines.append(f"  no_features         {summary['no_features']:>5}")
    if summary["publish_failed"]:
        lines.append(
            f"  PUBLISH FAILED      {summary['publish_failed']:>5}"
            "   (recorded as failed in the ledger; re-run to retry)"
        )
    if summary.get("not_sent"):
        lines.append(
            f"  NOT SENT            {summary['not_sent']:>5}"
            f"   ({summary.get('stopped') or 'run stopped'}; re-run to send)"
        )
    if summary.get("unconfirmed"):
        lines.append(
            f"  UNCONFIRMED         {summary['unconfirmed']:>5}"
            "   (interrupted while publishing; pending in the ledger, re-sent next run)"
        )
    lines.append("  by reason: " + _inline(summary["by_reason"]))
    lines.append("  by tier:   " + _inline(summary["by_tier"]))
    return "\n".join(lines)


def _inline(counts: Mapping[str, int], limit: int = 8) -> str:
    items = list(counts.items())
    text = ", ".join(f"{key} {value}" for key, value in items[:limit])
    if len(items) > limit:
        text += f", ... (+{len(items) - limit})"
    return text or "-"


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

def read_state(
    wh: warehouse.Warehouse, game_date: dt.date, system_id: str
) -> tuple[list[dict[str, Any]], set[str], set[str]]:
    if not wh.table_exists("predictions", "ml_feature_store_v2"):
        raise DispatchError(
            f"no {wh.table('predictions', 'ml_feature_store_v2')} table: build the"
            " feature store first (dbt build)"
        )
    rows = warehouse.feature_rows_for_date(wh, game_date)
    active = warehouse.active_prediction_players(wh, game_date, system_id)
    dispatched = warehouse.dispatched_players(wh, game_date)
    if not rows:
        games = scheduled_games(wh, game_date)
        if games is None or games > 0:
            scheduled = ("no schedule to tell whether games are scheduled" if games is None
                         else f"{games} games are scheduled")
            raise DispatchError(
                f"no feature rows for {game_date.isoformat()} ({scheduled}): build the feature"
                f" store for that date (nba-fs backfill --dates {game_date.isoformat()})")
    return rows, active, dispatched


def scheduled_games(wh: warehouse.Warehouse, game_date: dt.date) -> int | None:
    """Games that count on ``game_date`` (None without a schedule table)."""
    if not wh.table_exists("staging", "stg_nba_raw__schedule"):
        return None
    from python_hooks.backfill import feature_game_filter

    counted, params = feature_game_filter()
    rows = wh.query(
        f"select count(*) as n from {wh.table('staging', 'stg_nba_raw__schedule')}"
        f" where game_date = @game_date and {counted} and game_status <> 'postponed'",
        {"game_date": game_date, **params},
    )
    return int(rows[0]["n"])


def _open_problem(exc: BaseException, db: str | None) -> str:
    text = describe_error(exc)
    if warehouse.is_lock_message(text):
        return (f"the warehouse {warehouse.duckdb_path(db)} is locked by another process"
                " (a dbt run or a worker): try again when it is free")
    return text.split(": ", 1)[-1] if isinstance(exc, FileNotFoundError) else text


def dispatch(
    *,
    game_date: dt.date,
    mode: gate.Mode,
    sink: Sink,
    db: str | None = None,
    system_id: str = SYSTEM_ID,
    now: dt.datetime | None = None,
    delays: Sequence[float] = DEFAULT_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
    overrides: Mapping[str, Any] | None = None,
    deadline_s: float | None = DEFAULT_DEADLINE_S,
    max_consecutive_failures: int | None = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    monotonic: Callable[[], float] = time.monotonic,
    progress: bool = False,
    ledger_flush_s: float = LEDGER_FLUSH_S,
) -> dict[str, Any]:
    """Run one dispatch; returns the summary (see :func:`summarise`)."""
    with dispatch_lock(lock_path(db)):
        return _dispatch_locked(
            game_date=game_date, mode=mode, sink=sink, db=db, system_id=system_id,
            now=now or clock.utc_now(), delays=delays, sleep=sleep, overrides=overrides,
            deadline_s=deadline_s, max_failures=max_consecutive_failures,
            monotonic=monotonic, progress=progress, ledger_flush_s=ledger_flush_s)


def _dispatch_locked(*, game_date, mode, sink, db, system_id, now, delays, sleep, overrides,
                     deadline_s, max_failures, monotonic, progress,
                     ledger_flush_s) -> dict[str, Any]:
    started = monotonic()
    effective = gate.effective_mode(mode, game_date, clock.run_date(now=now))
    ledger = Ledger(lambda: warehouse.open_warehouse(db, read_only=False), fallback_path(db),
                    sleep=sleep, flush_s=ledger_flush_s, monotonic=monotonic)

    def read() -> tuple[list[dict[str, Any]], set[str], set[str]]:
        reader = warehouse.open_warehouse(db, read_only=True)
        try:
            return read_state(reader, game_date, system_id)
        finally:
            reader.close()

    try:
        rows, active, dispatched = warehouse.retry_on_lock(read, sleep=sleep)
    except DispatchError:
        raise
    except Exception as exc:  # noqa: BLE001 - one line for the operator
        raise DispatchError(_open_problem(exc, db)) from exc
    # what a previous run could not write to the ledger counts as written
    leftover = read_fallback(ledger.fallback)
    for row in latest_status(leftover).values():
        if row.get("status") == PUBLISHED and str(row.get("game_date")) == game_date.isoformat():
            dispatched.add(row["player_lookup"])
    plan = plan_dispatch(
        rows,
        game_date=game_date,
        mode=effective,
        active_players=active,
        dispatched_players=dispatched,
        now=now,
        overrides=overrides,
    )
    if plan.requests and hasattr(sink, "probe"):
        try:
            sink.probe()
        except Exception as exc:  # noqa: BLE001 - nothing sent yet
            raise DispatchError(describe_error(exc)) from exc
    imported = ledger.import_fallback(leftover) if leftover else True
    ids = [str(uuid.uuid4()) for _ in plan.requests]
    results: list[PublishResult | str | None] = []
    deadline = None if deadline_s is None else started + deadline_s
    stopped: str | None = None
    interrupted: str | None = None
    consecutive = 0
    bar = _progress(len(plan.requests), progress)
    try:
        # every request is in the ledger before the first one is published
        ledger.append([ledger_row(r, i, sink.name, PENDING, now)
                       for r, i in zip(plan.requests, ids)])
        for request, request_id in zip(plan.requests, ids):
            if deadline is not None and monotonic() >= deadline:
                stopped = f"deadline of {deadline_s:g} s reached"
                break
            if max_failures and consecutive >= max_failures:
                stopped = f"circuit open after {consecutive} consecutive failed requests"
                break
            ledger.flush_if_due()
            results.append(PENDING)  # in flight: unknown until the sink answers
            result = publish_with_retry(sink, request, delays=delays, sleep=sleep,
                                        deadline=deadline, clock=monotonic)
            results[-1] = result
            consecutive = 0 if result.ok else consecutive + 1
            if not result.ok:
                log.warning("%s: not published after %d attempts: %s",
                            request["player_lookup"], result.attempts, result.error)
            ledger.record(ledger_row(request, request_id, sink.name,
                                     PUBLISHED if result.ok else FAILED, clock.utc_now(), result))
            bar.update(1)
    except Interrupted as exc:
        interrupted = str(exc)
        stopped = f"interrupted by {interrupted}"
    finally:
        bar.close()
    done = len(results)
    if stopped:
        log.warning("dispatch stopped: %s; %d requests not sent", stopped, len(plan.requests) - done)
        ledger.buffer.extend(ledger_row(r, i, sink.name, NOT_SENT, clock.utc_now(), error=stopped)
                             for r, i in zip(plan.requests[done:], ids[done:]))
    for _ in range(3):  # a second signal during the final write: write again
        try:
            ledger.flush()
            break
        except Interrupted as exc:
            interrupted = interrupted or str(exc)
    summary = summarise(plan, results)
    summary["stopped"] = stopped
    summary["interrupted"] = interrupted
    notes = [ledger.error] if ledger.error else []
    if not imported:
        notes.append(f"earlier ledger rows remain in {ledger.fallback}")
    summary["ledger_error"] = "; ".join(notes) or None
    summary["requested_mode"] = gate.Mode(mode).value
    return summary


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, enabled: bool) -> Any:
    if not enabled or total < 2:
        return _NoBar()
    from tqdm import tqdm

    # disable=None: shown on a terminal only (cron logs stay clean)
    return tqdm(total=total, unit="req", desc="publishing", file=sys.stderr, disable=None,
                leave=False)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_date_option(parser, "--date", default="today", help="the game date")
    parser.add_argument("--mode", default="FIRST", choices=[m.value for m in gate.Mode])
    parser.add_argument("--sink", default="local", choices=["local", "http", "pubsub"])
    parser.add_argument("--worker-url", help="worker endpoint for --sink http (or NBA_WORKER_URL)")
    parser.add_argument("--outbox", help=f"JSONL outbox of --sink local (default {DEFAULT_OUTBOX})")
    options.add_db_option(parser)
    parser.add_argument("--system-id", default=SYSTEM_ID, help="prediction system checked for rule (1)")
    parser.add_argument("--deadline", type=float, default=DEFAULT_DEADLINE_S, metavar="SECONDS",
                        help="stop publishing after this long; the rest is recorded as not_sent"
                        f" (default {DEFAULT_DEADLINE_S:g})")
    parser.add_argument("--max-consecutive-failures", type=int,
                        default=DEFAULT_MAX_CONSECUTIVE_FAILURES, metavar="N",
                        help="open the circuit after N requests failed in a row"
                        f" (default {DEFAULT_MAX_CONSECUTIVE_FAILURES}; 0 = never)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_vars = getattr(options, "add_vars_option", None)
    if add_vars is not None:
        add_vars(parser)


def check_warehouse(db: str | None) -> str | None:
    """Why the configured warehouse cannot be used, in one line, or None."""
    if os.environ.get("NBA_WAREHOUSE", "duckdb").lower() == "bigquery":
        if not os.environ.get("NBA_BQ_PROJECT"):
            return "NBA_WAREHOUSE=bigquery needs NBA_BQ_PROJECT (the Google Cloud project)"
        return None
    from python_hooks.worker import check_duckdb_file

    path = warehouse.duckdb_path(db)
    problem = check_duckdb_file(path)
    if problem and "locked" in problem:
        # a worker or dbt may hold it for a moment: wait as the read would
        for _ in range(10):
            time.sleep(0.5)
            problem = check_duckdb_file(path)
            if not problem or "locked" not in problem:
                break
    return problem


def run(args: argparse.Namespace) -> int:
    game_date = args.date if isinstance(args.date, dt.date) else clock.resolve_date(args.date)
    try:
        sink = make_sink(args.sink, worker_url=args.worker_url, outbox=args.outbox)
    except ValueError as exc:
        print(f"dispatch: {redact(exc)}", file=sys.stderr)
        return EXIT_UNUSABLE
    problem = check_warehouse(args.db)
    if problem:
        print(f"dispatch: {problem}", file=sys.stderr)
        sink.close()
        return EXIT_UNUSABLE
    quiet = getattr(args, "quiet", False)
    try:
        with signals_interrupt():
            summary = dispatch(
                game_date=game_date,
                mode=gate.Mode(args.mode),
                sink=sink,
                db=args.db,
                system_id=args.system_id,
                overrides=getattr(args, "vars", None) or None,
                deadline_s=args.deadline if args.deadline and args.deadline > 0 else None,
                max_consecutive_failures=args.max_consecutive_failures or None,
                progress=not quiet and args.sink != "local",
            )
    except DispatchBusy as exc:
        print(f"dispatch: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except DispatchError as exc:
        print(f"dispatch: {redact(exc)}", file=sys.stderr)
        return EXIT_UNUSABLE
    except Interrupted as exc:  # before any request was recorded
        print(f"dispatch: interrupted by {exc}; nothing sent", file=sys.stderr)
        return 128 + exc.signum
    finally:
        sink.close()
    if summary["requested_mode"] != summary["mode"]:
        print(f"note: {summary['requested_mode']} applies to past dates only; using {summary['mode']}")
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary), flush=True)
    if summary["ledger_error"]:
        print(f"dispatch: {summary['ledger_error']}", file=sys.stderr)
    if summary["interrupted"]:
        signum = getattr(signal, str(summary["interrupted"]), None)
        return 128 + int(signum) if signum is not None else 130
    failed = summary["publish_failed"] or summary["not_sent"] or summary["unconfirmed"]
    return EXIT_FAILED if failed or summary["ledger_error"] else EXIT_OK
