"""No feature of game date D reads data from on or after D (features.md).

Build the `small` preset, snapshot every feature value and source label of D,
then change the raw data on and after D: D's box scores, team box scores and
shot events; later games' stats; injury reports published after tipoff;
odds API snapshots and BettingPros records taken after tipoff with absurd
lines. After a full rebuild (and after an incremental rebuild of D's window)
no value or label of D may have changed, while later dates must have changed
(proof that the edits reached the models).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import duckdb
import pytest

import shutil

from conftest import BuiltWarehouse

DAY = dt.date(2021, 12, 15)
FEATURE_COUNT = 39
TOLERANCE = 1e-9
SELECT = "+int_player_features_computed"

Snapshot = dict[tuple[str, dt.date], tuple[Any, ...]]

# Raw edits on and after DAY (DuckDB SQL on the raw tables only).
RAW_EDITS = (
    # DAY's box scores and every later game: other points, minutes, makes
    # (kept consistent, so staging does not reject the rows)
    """
    update nba_raw.gamebook_player_stats
    set
        fg_made = fg_made + 1, fg_attempted = fg_attempted + 2,
        ft_made = ft_made + 1, ft_attempted = ft_attempted + 2,
        points = points + 3, minutes = least(minutes + 2, 60)
    where game_date >= date '{day}' and player_status = 'active'
    """,
    """
    update nba_raw.team_box_scores
    set
        fg_made = fg_made + 3, fg_attempted = fg_attempted + 10,
        points = points + 6, turnovers = turnovers + 6
    where game_date >= date '{day}'
    """,
    """
    update nba_raw.shot_events
    set shot_zone = 'three', is_made = true
    where game_id in (
        select game_id from nba_raw.schedule where game_date >= date '{day}'
    )
    """,
    # injury reports published after tipoff: everybody out
    """
    insert into nba_raw.injury_report (
        report_at, game_date, team_abbr, player_name, injury_status, reason,
        loaded_at
    )
    select
        schedule.tipoff_at + interval 1 minute,
        box.game_date,
        box.team_abbr,
        box.player_name,
        'Out',
        'published after tipoff',
        schedule.tipoff_at + interval 2 minute
    from nba_raw.gamebook_player_stats as box
    inner join nba_raw.schedule as schedule on box.game_id = schedule.game_id
    where box.game_date = date '{day}' and box.player_name is not null
    """,
    # in-game odds snapshots with absurd lines, in the top-priority book
    """
    insert into nba_raw.odds_api_player_points_props
    select * replace (
        commence_at + interval 40 minute as snapshot_at,
        'draftkings' as bookmaker,
        71.5 as points_line,
        commence_at + interval 41 minute as loaded_at
    )
    from nba_raw.odds_api_player_points_props
    where game_date = date '{day}'
    """,
    """
    insert into nba_raw.bettingpros_player_points_props
    select * replace (
        cast(game_date + 1 as timestamp) + interval 6 hour as created_at,
        66.5 as line,
        cast(game_date + 1 as timestamp) + interval 7 hour as loaded_at
    )
    from nba_raw.bettingpros_player_points_props
    where game_date = date '{day}'
    """,
)


def feature_columns() -> list[str]:
    columns = ["cache_miss_fallback_used"]
    for index in range(FEATURE_COUNT):
        columns += [f"f{index}_value", f"f{index}_raw_source"]
    return columns


def snapshot(db: Path, where: str) -> Snapshot:
    columns = ", ".join(feature_columns())
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            f"select player_lookup, game_date, {columns} "
            f"from nba_predictions.int_player_features_computed where {where}"
        ).fetchall()
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def same(old: Any, new: Any) -> bool:
    """Equal; floats within 1e-9 (parallel sums may differ in the last bit)."""
    if isinstance(old, float) and isinstance(new, float):
        return math.isclose(old, new, rel_tol=0.0, abs_tol=TOLERANCE)
    return bool(old == new)


def differences(before: Snapshot, after: Snapshot) -> list[tuple[Any, ...]]:
    names = feature_columns()
    found: list[tuple[Any, ...]] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old is None or new is None:
            found.append((key, "row only on one side", old is None, new is None))
            continue
        for name, old_value, new_value in zip(names, old, new):
            if not same(old_value, new_value):
                found.append((key, name, old_value, new_value))
    return found


def apply_raw_edits(db: Path, day: dt.date) -> None:
    with duckdb.connect(str(db)) as con:
        for statement in RAW_EDITS:
            con.execute(statement.format(day=day.isoformat()))


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory,
            small_warehouse_template: BuiltWarehouse,
            ) -> tuple[BuiltWarehouse, Snapshot, Snapshot]:
    # Start from a private copy of the session's full build of `small`.
    work = tmp_path_factory.mktemp("point_in_time")
    db = work / "nba.duckdb"
    shutil.copyfile(small_warehouse_template.db, db)
    warehouse = BuiltWarehouse(db=db, work=work)
    day_before = snapshot(db, f"game_date = date '{DAY}'")
    later_before = snapshot(db, f"game_date > date '{DAY}'")
    apply_raw_edits(db, DAY)
    warehouse.dbt("run", "--full-refresh", "--select", SELECT)
    later_after = snapshot(db, f"game_date > date '{DAY}'")
    assert differences(later_before, later_after), "raw edits changed nothing later"
    return warehouse, day_before, snapshot(db, f"game_date = date '{DAY}'")


def test_the_day_has_rows_with_lines_and_history(
        rebuilt: tuple[BuiltWarehouse, Snapshot, Snapshot]) -> None:
    _, before, _ = rebuilt
    names = feature_columns()
    line = names.index("f25_value")
    history = names.index("f0_raw_source")
    assert len(before) > 100
    assert any(values[line] is not None for values in before.values())
    assert any(values[history] == "phase4" for values in before.values())


def test_full_rebuild_leaves_the_day_unchanged(
        rebuilt: tuple[BuiltWarehouse, Snapshot, Snapshot]) -> None:
    _, before, after = rebuilt
    changed = differences(before, after)
    assert not changed, f"{len(changed)} changes on {DAY}, first: {changed[:10]}"


def test_incremental_window_rebuild_leaves_the_day_unchanged(
        rebuilt: tuple[BuiltWarehouse, Snapshot, Snapshot]) -> None:
    warehouse, before, _ = rebuilt
    window = f"{{start_date: '{DAY}', end_date: '{DAY}'}}"
    warehouse.dbt("run", "--select", SELECT, "--vars", window)
    changed = differences(before, snapshot(warehouse.db, f"game_date = date '{DAY}'"))
    assert not changed, f"{len(changed)} changes on {DAY}, first: {changed[:10]}"


# --------------------------------------------------------------------------
# The cut-offs themselves (docs/features.md, "Point in time"): tipoff is the
# schedule's. An odds snapshot counts only at or before the earlier of that
# tipoff and the feed's own start time; an injury report only if published
# strictly before tipoff.
# --------------------------------------------------------------------------
CUT_OFF_LINE = 66.5
CUT_OFF_EDITS = (
    # in-game snapshots (30 minutes after the schedule's tipoff) from a feed
    # whose own start time is 3 hours late, in the top-priority book: before
    # the feed's start, after the real tipoff
    f"""
    insert into nba_raw.odds_api_player_points_props
    select odds.* replace (
        schedule.tipoff_at + interval 30 minute as snapshot_at,
        schedule.tipoff_at + interval 3 hour as commence_at,
        'draftkings' as bookmaker,
        {CUT_OFF_LINE} as points_line,
        schedule.tipoff_at + interval 31 minute as loaded_at
    )
    from nba_raw.odds_api_player_points_props as odds
    inner join nba_raw.schedule as schedule
        on odds.game_date = schedule.game_date
        and odds.home_team_abbr = schedule.home_team_abbr
        and odds.away_team_abbr = schedule.away_team_abbr
    where odds.game_date = date '{{day}}'
    """,
    # an injury report published exactly at tipoff: everybody out
    """
    insert into nba_raw.injury_report (
        report_at, game_date, team_abbr, player_name, injury_status, reason,
        loaded_at
    )
    select distinct
        schedule.tipoff_at,
        box.game_date,
        box.team_abbr,
        box.player_name,
        'Out',
        'published at tipoff',
        schedule.tipoff_at + interval 1 minute
    from nba_raw.gamebook_player_stats as box
    inner join nba_raw.schedule as schedule on box.game_id = schedule.game_id
    where box.game_date = date '{day}' and box.player_name is not null
    """,
)


@pytest.fixture(scope="module")
def cut_off_rebuilt(tmp_path_factory: pytest.TempPathFactory,
                    small_warehouse_template: BuiltWarehouse,
                    ) -> tuple[BuiltWarehouse, Snapshot, Snapshot]:
    work = tmp_path_factory.mktemp("cut_offs")
    db = work / "nba.duckdb"
    shutil.copyfile(small_warehouse_template.db, db)
    warehouse = BuiltWarehouse(db=db, work=work)
    before = snapshot(db, f"game_date = date '{DAY}'")
    with duckdb.connect(str(db)) as con:
        for statement in CUT_OFF_EDITS:
            con.execute(statement.format(day=DAY.isoformat()))
    warehouse.dbt("run", "--full-refresh", "--select", SELECT)
    return warehouse, before, snapshot(db, f"game_date = date '{DAY}'")


def test_cut_off_edits_reach_the_models(
        cut_off_rebuilt: tuple[BuiltWarehouse, Snapshot, Snapshot]) -> None:
    warehouse, before, _ = cut_off_rebuilt
    names = feature_columns()
    assert any(values[names.index("f25_value")] is not None for values in before.values())
    with duckdb.connect(str(warehouse.db), read_only=True) as con:
        odds, injuries = con.execute(
            f"""
            select
                (select count(*) from nba_staging.stg_nba_raw__odds_api_player_points_props
                 where game_date = date '{DAY}' and points_line = {CUT_OFF_LINE}
                   and snapshot_at <= commence_at),
                (select count(*) from nba_staging.stg_nba_raw__injury_report
                 where game_date = date '{DAY}' and injury_reason = 'published at tipoff')
            """
        ).fetchone()
    assert odds > 50 and injuries > 50


def test_odds_after_the_schedules_tipoff_never_count(
        cut_off_rebuilt: tuple[BuiltWarehouse, Snapshot, Snapshot]) -> None:
    _, before, after = cut_off_rebuilt
    names = feature_columns()
    vegas = [f"f{index}_{part}" for index in (25, 26, 27, 28)
             for part in ("value", "raw_source")]
    changed = [change for change in differences(before, after) if change[1] in vegas]
    assert not changed, f"{len(changed)} vegas changes on {DAY}, first: {changed[:10]}"
    line = names.index("f25_value")
    assert not [v for v in after.values() if v[line] == CUT_OFF_LINE]


def test_a_report_published_at_tipoff_does_not_count(
        cut_off_rebuilt: tuple[BuiltWarehouse, Snapshot, Snapshot]) -> None:
    """Everything but the vegas features (the odds test's): injury risk
    (10), the injured-teammates inputs of 8 and 37, who gets a row."""
    _, before, after = cut_off_rebuilt
    vegas = {f"f{index}_{part}" for index in (25, 26, 27, 28)
             for part in ("value", "raw_source")}
    changed = [change for change in differences(before, after) if change[1] not in vegas]
    assert not changed, f"{len(changed)} changes on {DAY}, first: {changed[:10]}"
