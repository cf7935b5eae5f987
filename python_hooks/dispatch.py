"""`nba-fs dispatch`: gate the day's candidates and publish prediction requests.

Flow (one DuckDB writer at a time, see docs/python_layer.md):

1. read (read-only connection, then closed): feature rows of the date, players
   with an active prediction, players already dispatched (the ledger);
2. gate each candidate (:mod:`python_hooks.gate`) - pure;
3. publish each request through the sink, with retry;
4. write the ledger ``<predictions>.prediction_requests`` (one row per request,
   ``published`` or ``failed`` with the error) in one short write.

Exit status: 0 all requests published (or nothing to do); 1 at least one
request failed to publish (it is in the ledger as ``failed`` and is retried by
the next run), or the ledger could not be written (its rows then go to
``dispatch_ledger_fallback.jsonl`` beside the DuckDB file); 2 the date or the warehouse is
unusable (no feature store).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

from python_hooks import contract, gate, warehouse
from python_hooks.predictor import SYSTEM_ID
from python_hooks.sinks import (
    DEFAULT_DELAYS,
    DEFAULT_OUTBOX,
    PublishResult,
    Sink,
    make_sink,
    publish_with_retry,
)

EASTERN = ZoneInfo("America/New_York")
LINE_OFFSETS = (-2.0, -1.0, 0.0, 1.0, 2.0)
LEDGER_LOCK_ATTEMPTS = 40  # x 0.5 s: a worker busy with another batch
LEDGER_FALLBACK_NAME = "dispatch_ledger_fallback.jsonl"  # beside the DuckDB file


def resolve_date(value: str, now: dt.datetime | None = None) -> dt.date:
    """`today` / `tomorrow` in US Eastern time, or an ISO date."""
    now = now or dt.datetime.now(dt.timezone.utc)
    today = now.astimezone(EASTERN).date()
    if value == "today":
        return today
    if value == "tomorrow":
        return today + dt.timedelta(days=1)
    return dt.date.fromisoformat(value)


def eastern_today(now: dt.datetime | None = None) -> dt.date:
    return resolve_date("today", now)


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
    """The request message (python-layer.md), JSON-serialisable."""
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
        "actual_prop_line": float(line) if has_line else None,
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


def ledger_rows(
    requests: Sequence[Mapping[str, Any]],
    results: Sequence[PublishResult],
    sink_name: str,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    created = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return [
        {
            "request_id": str(uuid.uuid4()),
            "batch_id": request["batch_id"],
            "correlation_id": request["correlation_id"],
            "game_date": dt.date.fromisoformat(request["game_date"]),
            "player_lookup": request["player_lookup"],
            "game_id": request["game_id"],
            "prediction_attempt": request["prediction_attempt"],
            "sink": sink_name,
            "status": "published" if result.ok else "failed",
            "attempts": result.attempts,
            "error": result.error,
            "request_json": json.dumps(request, sort_keys=True),
            "created_at": created,
        }
        for request, result in zip(requests, results)
    ]


def summarise(plan: Plan, results: Sequence[PublishResult]) -> dict[str, Any]:
    counts = Counter(outcome.decision.category for outcome in plan.outcomes)
    published = sum(1 for result in results if result.ok)
    scores = [o.score for o in plan.outcomes if o.score is not None]
    return {
        "game_date": plan.game_date.isoformat(),
        "mode": plan.mode.value,
        "feature_rows": plan.feature_rows,
        "total": len(plan.outcomes),
        "dispatched": published,
        "publish_failed": len(results) - published,
        "skipped_existing": counts[gate.SKIPPED_EXISTING],
        "skipped_low_quality": counts[gate.SKIPPED_LOW_QUALITY],
        "hard_blocked": counts[gate.HARD_BLOCKED],
        "no_features": counts[gate.NO_FEATURES],
        "low_quality_flagged": sum(1 for r in plan.requests if r["low_quality_flag"]),
        "mean_score": round(sum(scores) / len(scores), 2) if scores else None,
        "by_reason": dict(Counter(o.decision.reason for o in plan.outcomes).most_common()),
        "by_tier": dict(Counter(o.tier or "none" for o in plan.outcomes).most_common()),
        "expected_count": published,
        "batch_id": plan.requests[0]["batch_id"] if plan.requests else None,
    }


def format_summary(summary: Mapping[str, Any]) -> str:
    """The one-screen summary a person reads at 8 AM."""
    lines = [
        f"Prediction dispatch {summary['game_date']}  mode {summary['mode']}"
        f"  batch {summary['batch_id'] or '-'}",
        f"  feature rows {summary['feature_rows']}, candidates {summary['total']}"
        f", mean score {summary['mean_score'] if summary['mean_score'] is not None else '-'}",
        f"  dispatched          {summary['dispatched']:>5}"
        f"   (low-quality flag {summary['low_quality_flagged']}; expected count"
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
    lines.append("  by reason: " + _inline(summary["by_reason"]))
    lines.append("  by tier:   " + _inline(summary["by_tier"]))
    return "\n".join(lines)


def _inline(counts: Mapping[str, int], limit: int = 8) -> str:
    items = list(counts.items())
    text = ", ".join(f"{key} {value}" for key, value in items[:limit])
    if len(items) > limit:
        text += f", ... (+{len(items) - limit})"
    return text or "-"


class DispatchError(RuntimeError):
    """The warehouse cannot be read for this date."""


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
    return rows, active, dispatched


def write_ledger(
    open_writer: Callable[[], Any],
    rows: Sequence[Mapping[str, Any]],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Append ledger rows; waits briefly if another process holds the file."""
    if not rows:
        return

    def write() -> None:
        wh = open_writer()
        try:
            warehouse.ensure_table(wh, "predictions", warehouse.LEDGER_TABLE, warehouse.LEDGER_DDL)
            wh.insert_rows("predictions", warehouse.LEDGER_TABLE, list(rows))
        finally:
            wh.close()

    try:
        warehouse.retry_on_lock(write, attempts=LEDGER_LOCK_ATTEMPTS, sleep=sleep)
    except Exception as exc:  # noqa: BLE001 - reported, rows kept in a file
        raise RuntimeError(f"could not write the dispatch ledger: {exc}") from exc


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
) -> dict[str, Any]:
    """Run one dispatch; returns the summary (see :func:`summarise`)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    effective = gate.effective_mode(mode, game_date, eastern_today(now))

    def read() -> tuple[list[dict[str, Any]], set[str], set[str]]:
        reader = warehouse.open_warehouse(db, read_only=True)
        try:
            return read_state(reader, game_date, system_id)
        finally:
            reader.close()

    rows, active, dispatched = warehouse.retry_on_lock(read, sleep=sleep)
    plan = plan_dispatch(
        rows,
        game_date=game_date,
        mode=effective,
        active_players=active,
        dispatched_players=dispatched,
        now=now,
        overrides=overrides,
    )
    results = [publish_with_retry(sink, r, delays=delays, sleep=sleep) for r in plan.requests]
    ledger = ledger_rows(plan.requests, results, sink.name, now)
    ledger_error = None
    try:
        write_ledger(lambda: warehouse.open_warehouse(db, read_only=False), ledger, sleep=sleep)
    except RuntimeError as exc:
        # never lose the record: keep it in a JSONL file beside the outbox
        fallback = Path(warehouse.duckdb_path(db)).parent / LEDGER_FALLBACK_NAME
        ledger_error = f"{exc}; ledger rows saved to {fallback}"
        fallback.parent.mkdir(parents=True, exist_ok=True)
        with fallback.open("a", encoding="utf-8") as handle:
            for row in ledger:
                handle.write(json.dumps(row, default=str, sort_keys=True) + "\n")
    summary = summarise(plan, results)
    summary["ledger_error"] = ledger_error
    summary["requested_mode"] = gate.Mode(mode).value
    return summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", default="today", help="today, tomorrow (US Eastern) or YYYY-MM-DD")
    parser.add_argument("--mode", default="FIRST", choices=[m.value for m in gate.Mode])
    parser.add_argument("--sink", default="local", choices=["local", "http", "pubsub"])
    parser.add_argument("--worker-url", help="worker endpoint for --sink http (or NBA_WORKER_URL)")
    parser.add_argument("--outbox", help=f"JSONL outbox of --sink local (default {DEFAULT_OUTBOX})")
    parser.add_argument("--db", help="DuckDB file (default NBA_DUCKDB_PATH or warehouse/nba.duckdb)")
    parser.add_argument("--system-id", default=SYSTEM_ID, help="prediction system checked for rule (1)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        game_date = resolve_date(args.date)
        sink = make_sink(args.sink, worker_url=args.worker_url, outbox=args.outbox)
    except ValueError as exc:
        print(f"dispatch: {exc}", file=sys.stderr)
        return 2
    try:
        summary = dispatch(
            game_date=game_date,
            mode=gate.Mode(args.mode),
            sink=sink,
            db=args.db,
            system_id=args.system_id,
        )
    except (DispatchError, FileNotFoundError) as exc:
        print(f"dispatch: {exc}", file=sys.stderr)
        return 2
    finally:
        sink.close()
    if summary["requested_mode"] != summary["mode"]:
        print(f"note: {summary['requested_mode']} applies to past dates only; using {summary['mode']}")
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    if summary["ledger_error"]:
        print(f"dispatch: {summary['ledger_error']}", file=sys.stderr)
    return 1 if summary["publish_failed"] or summary["ledger_error"] else 0
