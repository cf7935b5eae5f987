"""feature_store_gaps on a real build: gaps appear with their reason when
upstream rows disappear, resolve per player when they come back, and are
never duplicated by reruns (docs/monitoring.md).

Works on a private copy of the session's built `small` warehouse; every
rebuild is limited to one past date with the start_date / end_date vars,
so the gap model merges that date only (detected_by / resolved_by =
backfill) and must leave the other dates untouched.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
import pytest

from python_hooks.warehouse import schema_name

pytestmark = pytest.mark.dbt

GAP_DATE = dt.date(2021, 12, 15)
BROKEN_PLAYERS = 3

GAPS = f"{schema_name('monitoring')}.feature_store_gaps"
FEATURES = f"{schema_name('predictions')}.ml_feature_store_v2"
COMPOSITE = f"{schema_name('precompute')}.player_composite_factors"

Row = tuple[Any, ...]


def window_vars(day: dt.date) -> str:
    return json.dumps({"start_date": day.isoformat(), "end_date": day.isoformat()})


def query(db: Any, sql: str, params: list[Any] | None = None) -> list[Row]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def execute(db: Any, sql: str, params: list[Any] | None = None) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute(sql, params or [])


def gaps_by_player(db: Any, day: dt.date) -> dict[str, Row]:
    rows = query(
        db,
        f"select player_lookup, reason, reason_detail, attempt_count, detected_by,"
        f" resolved_at, resolved_by, detected_at from {GAPS} where game_date = ?",
        [day],
    )
    return {row[0]: row[1:] for row in rows}


def other_dates_snapshot(db: Any, day: dt.date) -> list[Row]:
    return query(
        db,
        f"select * from {GAPS} where game_date != ? order by player_lookup, game_date",
        [day],
    )


def duplicate_keys(db: Any) -> list[Row]:
    return query(
        db,
        f"select player_lookup, game_date, count(*) from {GAPS}"
        " group by all having count(*) > 1",
    )


def ready_players(db: Any, day: dt.date, limit: int) -> list[str]:
    """Players with a quality-ready row and a composite-factors row on `day`."""
    rows = query(
        db,
        f"select f.player_lookup from {FEATURES} as f"
        f" join {COMPOSITE} as c using (player_lookup, game_date)"
        " where f.game_date = ? and f.is_quality_ready"
        " order by f.player_lookup limit ?",
        [day, limit],
    )
    return [row[0] for row in rows]


def test_gaps_appear_with_reason_and_resolve_per_player(small_warehouse) -> None:
    db = small_warehouse.db
    players = ready_players(db, GAP_DATE, BROKEN_PLAYERS)
    assert len(players) == BROKEN_PLAYERS, "the fixture date needs ready players"
    before = gaps_by_player(db, GAP_DATE)
    assert not set(players) & set(before), "ready players cannot be gaps yet"
    untouched = other_dates_snapshot(db, GAP_DATE)
    assert untouched, "the full build should have found gaps on other dates"

    # Break: the players' composite factors (features 5-8) vanish for the
    # date; rebuild everything downstream of that table for the date only.
    placeholders = ", ".join("?" for _ in players)
    execute(
        db,
        f"delete from {COMPOSITE} where game_date = ?"
        f" and player_lookup in ({placeholders})",
        [GAP_DATE, *players],
    )
    downstream = ["--select", "player_composite_factors+", "--exclude", "player_composite_factors"]
    small_warehouse.dbt("run", *downstream, "--vars", window_vars(GAP_DATE))

    broken = gaps_by_player(db, GAP_DATE)
    for player in players:
        reason, detail, attempts, detected_by, resolved_at, resolved_by, _ = broken[player]
        assert reason == "missing_phase4"
        assert detail.startswith("absent: player_composite_factors;")
        assert "5,6,7,8" in detail
        assert (attempts, detected_by, resolved_at, resolved_by) == (1, "backfill", None, None)
    # The gaps that were open before were seen once more, nothing else moved.
    for player, row in before.items():
        if row[4] is None:
            assert broken[player][2] == row[2] + 1
    assert other_dates_snapshot(db, GAP_DATE) == untouched

    # Rerun on the same data: the same gaps, one more attempt, no duplicate.
    small_warehouse.dbt("run", "--select", "feature_store_gaps", "--vars", window_vars(GAP_DATE))
    rerun = gaps_by_player(db, GAP_DATE)
    assert set(rerun) == set(broken)
    for player in players:
        assert rerun[player][2] == 2
        assert rerun[player][6] == broken[player][6], "detection time is kept"
    assert duplicate_keys(db) == []

    # Restore: rebuilding composite factors for the date brings the rows
    # back; each broken player's gap resolves, the date's other gaps do not.
    small_warehouse.dbt("run", "--select", "player_composite_factors+", "--vars",
                        window_vars(GAP_DATE))
    restored = gaps_by_player(db, GAP_DATE)
    for player in players:
        reason, _, attempts, _, resolved_at, resolved_by, _ = restored[player]
        assert reason == "missing_phase4", "a resolved gap keeps its last reason"
        assert resolved_at is not None and resolved_by == "backfill"
        assert attempts == 2
    # Gaps of other players on the date that are still gaps stay open.
    still_open = [p for p, row in rerun.items() if p not in players and row[4] is None]
    assert still_open, "the date should keep some unrelated open gaps"
    assert all(restored[p][4] is None for p in still_open)
    assert duplicate_keys(db) == []
    assert other_dates_snapshot(db, GAP_DATE) == untouched


def test_missing_feature_row_and_insufficient_data(small_warehouse) -> None:
    db = small_warehouse.db
    players = ready_players(db, GAP_DATE, 1)
    execute(
        db,
        f"delete from {FEATURES} where game_date = ? and player_lookup = ?",
        [GAP_DATE, players[0]],
    )
    small_warehouse.dbt("run", "--select", "feature_store_gaps", "--vars", window_vars(GAP_DATE))
    gaps = gaps_by_player(db, GAP_DATE)
    assert gaps[players[0]][:2] == ("missing_row", "no ml_feature_store_v2 row")

    # Early in the season most gaps are expected, not faults.
    early = query(
        db,
        f"select reason, is_fault, count(*) from {GAPS}"
        " where game_date = date '2021-10-20' group by all",
    )
    assert ("insufficient_data", False) in {(r[0], r[1]) for r in early}
    assert all(r[1] == (r[0] != "insufficient_data") for r in early)
