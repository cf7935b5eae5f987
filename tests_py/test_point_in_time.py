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

from python_hooks import contract

DAY = dt.date(2021, 12, 15)
FEATURE_COUNT = len(contract.features())
TOLERANCE = 1e-9
SELECT = "+int_player_features_computed"

Snapshot = dict[tuple[str, dt.date], tuple[Any, ...]]

# The schedule as staging reads it: one row per (game_id, game_date), the
# highest status, then the newest load; tipoff_at is the UTC tipoff.
SCHEDULE = """
    (
        select
            game_date,
            home_team_tricode,
            away_team_tricode,
            game_date_est as tipoff_at
        from nba_raw.nbac_schedule
        qualify row_number() over (
            partition by game_id, game_date
            order by game_status desc, processed_at desc
        ) = 1
    )
"""

# An Eastern report hour as a naive UTC instant, and back.
EASTERN_WALL = "timezone('America/New_York', timezone('UTC', {ts}))"
UTC_INSTANT = "timezone('UTC', timezone('America/New_York', {ts}))"

# An injury-report line per player of DAY's box scores (production columns:
# `Last, First` as printed, `First Last` rebuilt, lowercase status), published
# at the Eastern wall time `{report}` (a whole hour) and loaded a minute later.
INJURY_INSERT = """
    insert into nba_raw.nbac_injury_report (
        report_date, report_hour, game_date, game_time, game_id, matchup,
        away_team, home_team, team, player_name_original, player_full_name,
        player_lookup, injury_status, reason, reason_category,
        confidence_score, season, processed_at
    )
    select distinct
        cast(reported.report_local as date),
        hour(reported.report_local),
        box.game_date,
        strftime({eastern_tipoff}, '%I:%M'),
        box.game_id,
        box.away_team_abbr || '@' || box.home_team_abbr,
        box.away_team_abbr,
        box.home_team_abbr,
        box.team_abbr,
        regexp_replace(box.player_name, '^(\\S+)\\s+(.*)$', '\\2, \\1'),
        box.player_name,
        lower(regexp_replace(box.player_name, '[^A-Za-z]', '', 'g')),
        'out',
        '{reason}',
        'injury',
        1.0,
        '2021-22',
        {report_utc} + interval 1 minute
    from nba_raw.nbac_gamebook_player_stats as box
    inner join (
        select
            schedule.*,
            {report} as report_local
        from {schedule} as schedule
    ) as reported
        on box.game_date = reported.game_date
        and box.home_team_abbr = reported.home_team_tricode
        and box.away_team_abbr = reported.away_team_tricode
    where box.game_date = date '{{day}}' and box.player_name is not null
        and {where}
"""

# Raw edits on and after DAY (DuckDB SQL on the raw tables only).
RAW_EDITS = (
    # DAY's box scores and every later game: other points, minutes, makes
    # (kept consistent, so staging does not reject the rows); minutes are
    # `MM:SS` strings with their decimal twin
    """
    update nba_raw.nbac_gamebook_player_stats
    set
        field_goals_made = field_goals_made + 1,
        field_goals_attempted = field_goals_attempted + 2,
        free_throws_made = free_throws_made + 1,
        free_throws_attempted = free_throws_attempted + 2,
        points = points + 3,
        minutes = case
            when minutes_decimal + 2 >= 60 then '60:00'
            else cast(cast(split_part(minutes, ':', 1) as integer) + 2 as varchar)
                || ':' || split_part(minutes, ':', 2)
        end,
        minutes_decimal = least(minutes_decimal + 2, 60)
    where game_date >= date '{day}' and player_status = 'active'
        and minutes like '%:%'
    """,
    """
    update nba_raw.nbac_team_boxscore
    set
        fg_made = fg_made + 3, fg_attempted = fg_attempted + 10,
        points = points + 6, turnovers = turnovers + 6
    where game_date >= date '{day}'
    """,
    # every shot a made three (the zone is derived from distance and subtype)
    """
    update nba_raw.bigdataball_play_by_play
    set
        event_subtype = '3pt jump shot', shot_type = '3PT', shot_distance = 25.0,
        shot_made = true
    where game_date >= date '{day}' and event_type = 'shot'
    """,
    # injury reports published after tipoff (the first whole Eastern hour
    # after it): everybody out
    INJURY_INSERT.format(
        report="date_trunc('hour', " + EASTERN_WALL.format(ts="schedule.tipoff_at + interval 1 hour")
        + ")",
        report_utc=UTC_INSTANT.format(ts="reported.report_local"),
        eastern_tipoff=EASTERN_WALL.format(ts="reported.tipoff_at"),
        reason="published after tipoff", schedule=SCHEDULE, where="true"),
    # in-game odds snapshots with absurd lines, in the top-priority book
    """
    insert into nba_raw.odds_api_player_points_props
    select * replace (
        game_start_time + interval 40 minute as snapshot_timestamp,
        -40 as minutes_before_tipoff,
        'draftkings' as bookmaker,
        71.5 as points_line,
        game_start_time + interval 41 minute as processed_at
    )
    from nba_raw.odds_api_player_points_props
    where game_date = date '{day}'
    """,
    # BettingPros records scraped the next morning (the scrape time is in the
    # file name; created_at and processed_at are the load's)
    """
    insert into nba_raw.bettingpros_player_points_props
    select * replace (
        66.5 as points_line,
        cast(game_date + 1 as timestamp) + interval 6 hour as bookmaker_last_update,
        regexp_replace(
            source_file_path, '[0-9]{{8}}_[0-9]{{6}}',
            strftime(game_date + 1, '%Y%m%d') || '_060000'
        ) as source_file_path,
        cast(game_date + 1 as timestamp) + interval 6 hour as created_at,
        cast(game_date + 1 as timestamp) + interval 7 hour as processed_at
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
    # the feed's start (so its minutes_before_tipoff is positive), after the
    # real tipoff
    f"""
    insert into nba_raw.odds_api_player_points_props
    select odds.* replace (
        schedule.tipoff_at + interval 30 minute as snapshot_timestamp,
        schedule.tipoff_at + interval 3 hour as game_start_time,
        150 as minutes_before_tipoff,
        'draftkings' as bookmaker,
        {CUT_OFF_LINE} as points_line,
        schedule.tipoff_at + interval 31 minute as processed_at
    )
    from nba_raw.odds_api_player_points_props as odds
    inner join {SCHEDULE} as schedule
        on odds.game_date = schedule.game_date
        and odds.home_team_abbr = schedule.home_team_tricode
        and odds.away_team_abbr = schedule.away_team_tricode
    where odds.game_date = date '{{day}}'
    """,
    # an injury report published exactly at tipoff: everybody out. A report
    # has a whole Eastern hour, so only games tipping off on the hour can
    # have one (a report at the hour before a 7:30 tipoff counts, rightly)
    INJURY_INSERT.format(
        report=EASTERN_WALL.format(ts="schedule.tipoff_at"),
        report_utc=UTC_INSTANT.format(ts="reported.report_local"),
        eastern_tipoff=EASTERN_WALL.format(ts="reported.tipoff_at"),
        reason="published at tipoff", schedule=SCHEDULE,
        where="minute(reported.tipoff_at) = 0 and second(reported.tipoff_at) = 0"),
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
