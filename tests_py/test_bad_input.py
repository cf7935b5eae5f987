"""The bad-input suite: one copy of the built `small` warehouse, into whose
raw tables the suite injects one row (or a pair) of every defect kind staging
must quarantine and of every production quirk it must handle, each traceable
by a marker of its own; then ONE dbt build of staging and what the feature
store and the volume monitoring need, and per kind:

* the build did not crash (it passes; only warn-level tests may warn),
* the row is in stg_rejected_rows with its expected reason (or, for rows
  that must be parsed and kept, such as '32:15' minutes or a postponed
  game, in its staging model with the right values),
* nothing of it reaches ml_feature_store_v2,

and for every raw table: raw rows = staged rows + rejected rows. One date's
injury report is emptied: the volume test warns and `nba-fs alerts` raises
RAW_SOURCE_VOLUME_LOW.

Markers: the row's `data_hash` (`source_file_path` on the schedule) is
`qa:<kind>`, so a rejected defect is found by its raw record; rows whose
reason keeps no raw record (out-of-scope rows) or whose rejected twin may be
the original row (duplicates) are found by their record key. Player names
of injected rows are invented (`Qa ...`) so no real player is touched.

The table of docs/quarantine.md comes from this suite: set
NBA_QUARANTINE_TABLE=<path> to write it (JSON) after a run; the test prints
it (`-s`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import BuiltWarehouse, preset_run_date

Row = dict[str, Any]
# The Makefile's full-build vars: a build of every date judges the sample's
# injected odds outages too, and the gates report them as warnings.
BUILD_VARS = "{gate_severity: warn}"
# What the build needs: staging, the feature store and the volume model with
# their upstream models, the staging tests and the volume model's tests.
BUILD_SELECTION = [
    "+ml_feature_store_v2", "+raw_source_volume_daily",
    "staging,resource_type:test",
    "path:models/monitoring/raw_source_volume_daily.yml,resource_type:test",
]
STAGING_MODEL = {
    "nbac_schedule": "stg_nba_raw__schedule",
    "nbac_gamebook_player_stats": "stg_nba_raw__gamebook_player_stats",
    "nbac_team_boxscore": "stg_nba_raw__team_box_scores",
    "nbac_injury_report": "stg_nba_raw__injury_report",
    "espn_team_rosters": "stg_nba_raw__rosters",
    "odds_api_player_points_props": "stg_nba_raw__odds_api_player_points_props",
    "bettingpros_player_points_props": "stg_nba_raw__bettingpros_player_points_props",
    "bigdataball_play_by_play": "stg_nba_raw__shot_events",
}
PARTITION_COLUMN = {"nbac_injury_report": "report_date", "espn_team_rosters": "roster_date"}


def lookup(name: str) -> str:
    """The lookup of an invented ASCII name (letters and spaces only)."""
    return "".join(ch for ch in name.lower() if ch.isalpha())


def project_game_id(day: dt.date, away: str, home: str) -> str:
    return f"{day:%Y%m%d}_{away}_{home}"


@dataclass
class Templates:
    """Valid rows of the generated sample that defects are made from."""

    gamebook: list[Row]
    team_box: list[Row]
    schedule: list[Row]
    injury: list[Row]
    odds: list[Row]
    bettingpros: list[Row]
    shots: list[Row]
    roster: list[Row]
    teams: list[str]
    # a date with games and injury reports before it, emptied on purpose
    empty_injury_date: dt.date
    # a past date with games, and two teams without a game that date
    free_date: dt.date
    free_teams: tuple[str, str]


@dataclass(frozen=True)
class DefectKind:
    """One kind of bad (or awkward) raw row and what staging must do with it.

    build: the rows to insert, from the templates (the kind's marker is set
    by the suite). expected_reason: the reject reason, or None when staging
    must keep the row (staged_check then says how it must be staged).
    rejected_key: find the rejected rows by this record_key substring
    instead of the marker (no raw record, or a duplicate pair).
    staged_where / features_where: SQL conditions finding the kind's rows in
    its staging model / in ml_feature_store_v2 (None: not traceable there).
    """

    name: str
    table: str
    build: Callable[[Templates], list[Row]]
    expected_reason: str | None
    staged_where: Callable[[Templates], str] | None = None
    features_where: Callable[[Templates], str] | None = None
    rejected_key: Callable[[Templates], str] | None = None
    expected_rejected: int = 1
    expected_staged: int = 0
    staged_check: str | None = None  # SQL condition every staged row must meet
    is_defect: bool = True
    note: str = ""
    marker_column: str = field(default="data_hash")

    @property
    def marker(self) -> str:
        return f"qa:{self.name}"


# ---------------------------------------------------------------------------
# Row builders.
# ---------------------------------------------------------------------------


def gamebook(index: int, name: str | None = None, **changes: Any) -> Callable[[Templates], list[Row]]:
    """A copy of valid gamebook template `index`, renamed to an invented
    player (unless name is None and the copy keeps the real one), changed."""
    def build(t: Templates) -> list[Row]:
        row = dict(t.gamebook[index])
        if name is not None:
            row.update(player_name=name, player_name_original=name, player_lookup=lookup(name))
        for column, value in changes.items():
            row[column] = value(row) if callable(value) else value
        return [row]
    return build


def gb_name(kind: str) -> str:
    return "Qa " + kind.replace("_", " ").title().replace(" ", "")


def player_is(name: str) -> Callable[[Templates], str]:
    return lambda t: f"player_lookup = '{lookup(name)}'"


def other_team(t: Templates, row: Row, *exclude: str) -> str:
    return next(team for team in t.teams if team not in exclude)


def gamebook_kind(name: str, reason: str | None, index: int, **changes: Any) -> DefectKind:
    player = gb_name(name)
    return DefectKind(
        name, "nbac_gamebook_player_stats", gamebook(index, player, **changes), reason,
        staged_where=player_is(player), features_where=player_is(player),
    )


def copy_of(template: str, index: int, **changes: Any) -> Callable[[Templates], list[Row]]:
    def build(t: Templates) -> list[Row]:
        row = dict(getattr(t, template)[index])
        for column, value in changes.items():
            row[column] = value(row, t) if callable(value) else value
        return [row]
    return build


def shift_date(days: int) -> Callable[[Row, Templates], dt.date]:
    return lambda row, t: row["game_date"] + dt.timedelta(days=days)


def unscheduled_game_id(row: Row, t: Templates) -> str:
    return project_game_id(dt.date(1999, 1, 1), row["away_team_abbr"], row["home_team_abbr"])


def key_of_gamebook(index: int) -> Callable[[Templates], str]:
    def key(t: Templates) -> str:
        row = t.gamebook[index]
        return f"game_id={row['game_id']}|team_abbr={row['team_abbr']}|player_name={row['player_name']}"
    return key


def gamebook_real_player(index: int) -> Callable[[Templates], str]:
    def where(t: Templates) -> str:
        row = t.gamebook[index]
        return f"game_id = '{row['game_id']}' and player_name = '{row['player_name']}'"
    return where


def schedule_new_game(game_id: str, day: Callable[[Templates], dt.date],
                      teams: Callable[[Templates], tuple[str, str]], status: int,
                      scores: tuple[int | None, int | None], season: Callable[[dt.date], int] | None = None
                      ) -> Callable[[Templates], list[Row]]:
    """A schedule row of a game of our own (away, home)."""
    def build(t: Templates) -> list[Row]:
        row = dict(t.schedule[0])
        game_date = day(t)
        away, home = teams(t)
        tipoff = dt.datetime.combine(game_date + dt.timedelta(days=1), dt.time(0, 30))
        row.update(
            game_id=game_id, game_code=f"{game_date:%Y%m%d}/{away}{home}", game_date=game_date,
            game_date_est=tipoff, away_team_tricode=away, home_team_tricode=home,
            season_year=(season or season_of)(game_date), game_status=status,
            game_status_text={1: "Scheduled", 3: "Final"}[status],
            away_team_score=scores[0], home_team_score=scores[1],
            is_regular_season=True, is_playoffs=False, playoff_round=None,
        )
        return [row]
    return build


def season_of(day: dt.date) -> int:
    return day.year if day.month >= 10 else day.year - 1


def schedule_game_is(game_id: str) -> Callable[[Templates], str]:
    return lambda t: f"nba_game_id = '{game_id}'"


def features_of_game(game_id: str, day: Callable[[Templates], dt.date],
                     teams: Callable[[Templates], tuple[str, str]]) -> Callable[[Templates], str]:
    def where(t: Templates) -> str:
        away, home = teams(t)
        return f"game_id = '{project_game_id(day(t), away, home)}'"
    return where


def sched_day(t: Templates) -> dt.date:
    return t.schedule[0]["game_date"]


def sched_teams(t: Templates) -> tuple[str, str]:
    return t.schedule[0]["away_team_tricode"], t.schedule[0]["home_team_tricode"]


def named_copy(template: str, index: int, name_columns: tuple[str, ...], name: str,
               **changes: Any) -> Callable[[Templates], list[Row]]:
    def build(t: Templates) -> list[Row]:
        row = dict(getattr(t, template)[index])
        for column in name_columns:
            row[column] = name
        if "player_lookup" in row:
            row["player_lookup"] = lookup(name)
        for column, value in changes.items():
            row[column] = value(row, t) if callable(value) else value
        return [row]
    return build


def odds_kind(name: str, reason: str | None, **changes: Any) -> DefectKind:
    player = gb_name(name)
    return DefectKind(
        name, "odds_api_player_points_props",
        named_copy("odds", 0, ("player_name",), player, **changes), reason,
        staged_where=player_is(player), features_where=player_is(player),
    )


def bettingpros_kind(name: str, reason: str, is_defect: bool = True, **changes: Any) -> DefectKind:
    player = gb_name(name)
    return DefectKind(
        name, "bettingpros_player_points_props",
        named_copy("bettingpros", 0, ("player_name",), player, **changes), reason,
        staged_where=player_is(player), features_where=player_is(player),
        rejected_key=None if is_defect else (lambda t, p=player: f"player_name={p}|"),
        is_defect=is_defect,
    )


def shot_kind(name: str, reason: str, event_number: int, is_defect: bool = True,
              **changes: Any) -> DefectKind:
    player = gb_name(name)

    def build(t: Templates) -> list[Row]:
        row = dict(t.shots[0])
        row.update(player_1_name=player, player_1_lookup=lookup(player), event_sequence=event_number)
        for column, value in changes.items():
            row[column] = value(row, t) if callable(value) else value
        row["event_id"] = f"{row['game_id']}_{event_number}"
        return [row]

    return DefectKind(
        name, "bigdataball_play_by_play", build, reason,
        staged_where=lambda t: f"event_num = {event_number}",
        features_where=player_is(player),
        rejected_key=None if is_defect else (lambda t: f"event_num={event_number}"),
        is_defect=is_defect,
    )


def injury_kind(name: str, reason: str, null_name: bool = False, **changes: Any) -> DefectKind:
    player = gb_name(name)
    original = f"{player.split()[1]}, Qa"

    def build(t: Templates) -> list[Row]:
        row = dict(t.injury[0])
        row.update(player_full_name=None if null_name else player,
                   player_name_original=None if null_name else original,
                   player_lookup=None if null_name else lookup(player))
        for column, value in changes.items():
            row[column] = value(row, t) if callable(value) else value
        return [row]

    return DefectKind(name, "nbac_injury_report", build, reason,
                      staged_where=None if null_name else player_is(player),
                      features_where=None if null_name else player_is(player))


TEAM_BOX = "nbac_team_boxscore"


def team_box_where(t: Templates, condition: str) -> str:
    row = t.team_box[0]
    return f"game_id = '{row['game_id']}' and ({condition})"


KINDS: list[DefectKind] = [
    # --- player box scores: impossible even when self-consistent --------
    gamebook_kind("points_nine_ninety_nine", "impossible_points", 0, points=999,
                  field_goals_made=499, field_goals_attempted=499, three_pointers_made=0,
                  three_pointers_attempted=0, free_throws_made=1, free_throws_attempted=1),
    gamebook_kind("points_int_max", "impossible_points", 1, points=2147483647),
    gamebook_kind("points_in_zero_minutes", "stats_without_minutes", 2, minutes="0:00",
                  minutes_decimal=0.0, points=24, field_goals_made=12, field_goals_attempted=12,
                  three_pointers_made=0, three_pointers_attempted=0, free_throws_made=0,
                  free_throws_attempted=0),
    gamebook_kind("minutes_eighty", "impossible_minutes", 3, minutes="80:00", minutes_decimal=80.0),
    gamebook_kind("points_negative", "negative_points", 4, points=-5),
    gamebook_kind("made_exceeds_attempted", "made_exceeds_attempted", 5,
                  field_goals_attempted=lambda r: r["field_goals_made"] - 1),
    gamebook_kind("threes_exceed_field_goals", "threes_exceed_field_goals", 6,
                  three_pointers_made=lambda r: r["field_goals_made"] + 1,
                  three_pointers_attempted=lambda r: max(r["three_pointers_attempted"],
                                                         r["field_goals_made"] + 1),
                  field_goals_attempted=lambda r: max(r["field_goals_attempted"],
                                                      r["three_pointers_attempted"],
                                                      r["field_goals_made"] + 1)),
    gamebook_kind("points_inconsistent", "points_inconsistent", 7, points=lambda r: r["points"] + 1),
    gamebook_kind("minutes_non_finite", "non_finite_number", 8, minutes_decimal=math.inf),
    # --- text in a number column (raw columns are typed: the text ones) --
    gamebook_kind("minutes_text", "unparseable_minutes", 9, minutes="abc", minutes_decimal=None),
    gamebook_kind("minutes_malformed_clock", "unparseable_minutes", 10, minutes="3x:15",
                  minutes_decimal=None),
    # --- parsed, not rejected ------------------------------------------
    DefectKind(
        "minutes_clock_parsed", "nbac_gamebook_player_stats",
        gamebook(11, gb_name("minutes_clock_parsed"), minutes="32:15", minutes_decimal=None), None,
        staged_where=player_is(gb_name("minutes_clock_parsed")), expected_rejected=0,
        expected_staged=1, staged_check="abs(minutes - 32.25) < 1e-9 and is_starter",
        note="staged with minutes 32.25 (is_starter: over 20 minutes)",
    ),
    # --- missing or unknown values --------------------------------------
    DefectKind("player_name_null", "nbac_gamebook_player_stats",
               gamebook(12, None, player_name=None, player_lookup=None,
                        player_name_original="Qa Nameless"), "null_player_name"),
    gamebook_kind("team_unknown", "unknown_team_abbr", 13, team_abbr="XYZ"),
    # --- referentially wrong -------------------------------------------
    DefectKind(
        "team_not_in_game", "nbac_gamebook_player_stats",
        lambda t: gamebook(14, gb_name("team_not_in_game"), team_abbr=lambda r: other_team(
            t, r, r["home_team_abbr"], r["away_team_abbr"]))(t),
        "team_not_in_game", staged_where=player_is(gb_name("team_not_in_game")),
        features_where=player_is(gb_name("team_not_in_game")),
    ),
    DefectKind(
        "game_not_in_schedule", "nbac_gamebook_player_stats",
        lambda t: gamebook(15, gb_name("game_not_in_schedule"),
                           game_id=lambda r: unscheduled_game_id(r, t))(t),
        "game_not_in_schedule", staged_where=player_is(gb_name("game_not_in_schedule")),
        features_where=player_is(gb_name("game_not_in_schedule")),
    ),
    gamebook_kind("game_date_differs", "game_date_mismatch", 16,
                  game_date=lambda r: r["game_date"] + dt.timedelta(days=1)),
    # --- duplicates ----------------------------------------------------
    DefectKind(
        "conflicting_duplicate_same_load", "nbac_gamebook_player_stats",
        gamebook(17, None, assists=lambda r: (r["assists"] or 0) + 3), "conflicting_duplicate",
        rejected_key=key_of_gamebook(17), staged_where=gamebook_real_player(17), expected_staged=1,
        note="a pair with the same key and processed_at, other assists: one kept by the"
             " documented order, the other rejected",
    ),
    DefectKind(
        "exact_duplicate", "nbac_gamebook_player_stats", gamebook(18, None), "duplicate",
        rejected_key=key_of_gamebook(18), staged_where=gamebook_real_player(18), expected_staged=1,
        note="an exact repeat of a real row: one kept, one rejected",
    ),
    # --- team box scores ------------------------------------------------
    DefectKind(
        "team_box_team_not_in_game", TEAM_BOX,
        copy_of("team_box", 0, team_abbr=lambda r, t: other_team(
            t, r, *r["game_id"].split("_")[1:])), "team_not_in_game",
        staged_where=lambda t: team_box_where(
            t, "team_abbr not in ('" + "', '".join(t.team_box[0]["game_id"].split("_")[1:]) + "')"),
    ),
    DefectKind(
        "team_box_game_not_in_schedule", TEAM_BOX,
        copy_of("team_box", 1, game_id=lambda r, t: project_game_id(
            dt.date(1999, 1, 1), *r["game_id"].split("_")[1:])), "game_not_in_schedule",
        staged_where=lambda t: "game_id like '19990101_%'",
    ),
    DefectKind(
        "team_box_minutes_text", TEAM_BOX, copy_of("team_box", 2, minutes="abc"),
        "unparseable_minutes",
    ),
    DefectKind(
        "team_box_made_exceeds_attempted", TEAM_BOX,
        copy_of("team_box", 3, fg_made=lambda r, t: r["fg_attempted"] + 1), "made_exceeds_attempted",
        staged_where=lambda t: "fg_made > fg_attempted",
    ),
    # --- schedule --------------------------------------------------------
    DefectKind(
        "schedule_home_equals_away", "nbac_schedule",
        schedule_new_game("0029900001", sched_day, lambda t: (sched_teams(t)[1],) * 2, 1, (None, None)),
        "same_home_and_away_team", staged_where=schedule_game_is("0029900001"),
        marker_column="source_file_path",
    ),
    DefectKind(
        "schedule_season_mismatch", "nbac_schedule",
        schedule_new_game("0029900002", lambda t: t.free_date, lambda t: t.free_teams, 1, (None, None),
                          season=lambda day: season_of(day) - 3),
        "season_mismatch", staged_where=schedule_game_is("0029900002"),
        features_where=features_of_game("0029900002", lambda t: t.free_date, lambda t: t.free_teams),
        marker_column="source_file_path",
    ),
    DefectKind(
        "schedule_final_in_2099", "nbac_schedule",
        schedule_new_game("0029900003", lambda t: dt.date(2099, 1, 15), sched_teams, 3, (101, 99)),
        "final_after_run_date", staged_where=schedule_game_is("0029900003"),
        marker_column="source_file_path",
    ),
    DefectKind(
        "schedule_unknown_team", "nbac_schedule",
        schedule_new_game("0029900004", lambda t: t.free_date, lambda t: ("XYZ", t.free_teams[1]), 1,
                          (None, None)),
        "unknown_team_abbr", staged_where=schedule_game_is("0029900004"),
        marker_column="source_file_path",
    ),
    # production quirks of the schedule
    DefectKind(
        "schedule_status_conflict", "nbac_schedule",
        copy_of("schedule", 0, game_status=1, game_status_text="Scheduled", home_team_score=None,
                away_team_score=None), "conflicting_duplicate",
        staged_where=lambda t: f"nba_game_id = '{t.schedule[0]['game_id']}'"
                               f" and game_date = date '{t.schedule[0]['game_date']}'",
        expected_staged=1, staged_check="game_status = 'final'",
        marker_column="source_file_path",
        note="the same game with status 1 beside its final row: the final one is kept",
    ),
    DefectKind(
        "schedule_postponed", "nbac_schedule",
        schedule_new_game("0029900005", lambda t: t.free_date, lambda t: t.free_teams[::-1], 3,
                          (None, None)),
        None, staged_where=schedule_game_is("0029900005"),
        features_where=features_of_game("0029900005", lambda t: t.free_date,
                                        lambda t: t.free_teams[::-1]),
        expected_rejected=0, expected_staged=1, staged_check="game_status = 'postponed'",
        marker_column="source_file_path",
        note="status 3 without scores: staged as postponed, no feature rows",
    ),
    # --- injury report ---------------------------------------------------
    injury_kind("injury_unknown_team", "unknown_team_abbr", team="UNKNOWN"),
    injury_kind("injury_player_name_null", "null_player_name", null_name=True),
    injury_kind("injury_report_hour", "impossible_report_hour", report_hour=27),
    # --- odds API ----------------------------------------------------------
    odds_kind("odds_line_zero", "line_out_of_range", points_line=0.0),
    odds_kind("odds_line_two_fifty", "line_out_of_range", points_line=250.0),
    odds_kind("odds_line_nan", "non_finite_number", points_line=math.nan),
    odds_kind("odds_line_infinite", "non_finite_number", points_line=math.inf),
    odds_kind("odds_game_date_differs", "game_date_mismatch", game_date=shift_date(1)),
    # production quirk: a snapshot after tipoff is staged, never used
    DefectKind(
        "odds_in_game_snapshot", "odds_api_player_points_props",
        copy_of("odds", 1, snapshot_timestamp=lambda r, t: r["game_start_time"] + dt.timedelta(minutes=30),
                minutes_before_tipoff=-30, points_line=77.5,
                bookmaker_last_update=lambda r, t: r["game_start_time"] + dt.timedelta(minutes=29)),
        None,
        staged_where=lambda t: f"player_name = '{t.odds[1]['player_name']}' and points_line = 77.5",
        features_where=lambda t: "feature_25_value = 77.5 or feature_26_value = 77.5",
        expected_rejected=0, expected_staged=1, staged_check="not is_pre_tipoff",
        note="staged with is_pre_tipoff false; its line (77.5) is in no feature row",
    ),
    # --- BettingPros -----------------------------------------------------
    bettingpros_kind("bettingpros_other_market", "other_market", is_defect=False,
                     market_type="assists", market_id=151),
    bettingpros_kind("bettingpros_under_side", "under_side", is_defect=False, bet_side="under"),
    bettingpros_kind("bettingpros_line_zero", "line_out_of_range", points_line=0.0),
    # --- play-by-play ------------------------------------------------------
    shot_kind("shot_not_a_shot", "not_a_shot", 990001, is_defect=False, event_type="rebound",
              event_subtype="defensive rebound", shot_made=None, shot_type=None),
    shot_kind("shot_game_not_in_schedule", "game_not_in_schedule", 990002,
              game_id=lambda r, t: project_game_id(dt.date(1999, 1, 1), r["away_team_abbr"],
                                                   r["home_team_abbr"])),
    shot_kind("shot_distance_negative", "impossible_shot_distance", 990003, shot_distance=-5.0),
    shot_kind("shot_distance_nan", "non_finite_number", 990004, shot_distance=math.nan),
    shot_kind("shot_team_not_in_game", "team_not_in_game", 990005,
              player_1_team_abbr=lambda r, t: other_team(t, r, r["home_team_abbr"], r["away_team_abbr"])),
    # --- rosters -------------------------------------------------------------
    DefectKind(
        "roster_unknown_team", "espn_team_rosters",
        named_copy("roster", 0, ("player_full_name",), gb_name("roster_unknown_team"), team_abbr="XYZ"),
        "unknown_team_abbr", staged_where=player_is(gb_name("roster_unknown_team")),
        features_where=player_is(gb_name("roster_unknown_team")),
    ),
]


# ---------------------------------------------------------------------------
# Templates and injection.
# ---------------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[Row]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


FINAL_GAMES = """
    with games as (
        select
            *,
            strftime(game_date, '%Y%m%d') || '_' || away_team_tricode || '_' || home_team_tricode
                as project_game_id,
            count(*) over (partition by game_date, away_team_tricode, home_team_tricode) as copies
        from nba_raw.nbac_schedule
    )
    select * from games
    where copies = 1 and game_status = 3 and home_team_score is not null
        and game_date between ? and ?
"""


def load_templates(con: duckdb.DuckDBPyConnection, run_date: dt.date) -> Templates:
    start, end = run_date - dt.timedelta(days=40), run_date - dt.timedelta(days=3)
    finals = f"({FINAL_GAMES})"
    gamebook = _rows(con, f"""
        select g.* from nba_raw.nbac_gamebook_player_stats as g
        inner join {finals} as s on g.game_id = s.project_game_id and g.game_date = s.game_date
        where g.player_status = 'active' and regexp_full_match(g.minutes, '[0-9]+:[0-9]{{2}}')
            and g.minutes_decimal between 21 and 40 and g.points between 4 and 90
            and g.field_goals_made between 2 and g.field_goals_attempted
            and g.three_pointers_made <= g.three_pointers_attempted
            and g.free_throws_made <= g.free_throws_attempted
            and g.three_pointers_made <= g.field_goals_made
            and g.three_pointers_attempted < g.field_goals_attempted
            and g.points = 2 * g.field_goals_made + g.three_pointers_made + g.free_throws_made
            and g.team_abbr in (g.home_team_abbr, g.away_team_abbr)
            and regexp_full_match(g.player_name, '[A-Za-z ]+')
        qualify count(*) over (partition by g.game_id, g.player_name) = 1
        order by g.game_date, g.game_id, g.player_name
    """, start, end)
    # one template per kind that needs its own row, each of another game
    seen: set[str] = set()
    distinct_games = [r for r in gamebook if not (r["game_id"] in seen or seen.add(r["game_id"]))]
    team_box = _rows(con, f"""
        select b.* from nba_raw.nbac_team_boxscore as b
        inner join {finals} as s on b.game_id = s.project_game_id and b.game_date = s.game_date
        where b.fg_made < b.fg_attempted and b.points > 0
        qualify count(*) over (partition by b.game_id, b.team_abbr) = 1
        order by b.game_date, b.game_id, b.team_abbr
    """, start, end)[::2]
    schedule = _rows(con, f"select * exclude (project_game_id, copies) from {finals} order by game_date, game_id",
                     start, end)
    injury = _rows(con, """
        select * from nba_raw.nbac_injury_report
        where game_date between ? and ? and team = home_team
        order by game_date, report_date, report_hour, player_full_name limit 5
    """, start, end)
    odds = _rows(con, f"""
        select o.* from nba_raw.odds_api_player_points_props as o
        inner join {finals} as s on o.game_date = s.game_date
            and o.home_team_abbr = s.home_team_tricode and o.away_team_abbr = s.away_team_tricode
        where o.snapshot_timestamp < o.game_start_time and o.points_line between 10 and 40
        order by o.game_date desc, o.points_line desc, o.player_name, o.bookmaker limit 5
    """, start, end)
    bettingpros = _rows(con, """
        select * from nba_raw.bettingpros_player_points_props
        where market_type = 'points' and bet_side = 'over' and game_date between ? and ?
        order by game_date, player_name, bookmaker limit 5
    """, start, end)
    shots = _rows(con, f"""
        select p.* from nba_raw.bigdataball_play_by_play as p
        inner join {finals} as s on p.game_id = s.project_game_id and p.game_date = s.game_date
        where p.event_type = 'shot' and p.shot_distance between 1 and 30
            and p.player_1_team_abbr in (p.home_team_abbr, p.away_team_abbr)
        order by p.game_date, p.game_id, p.event_sequence limit 5
    """, start, end)
    roster = _rows(con, "select * from nba_raw.espn_team_rosters order by roster_date desc, team_abbr,"
                        " player_full_name limit 5")
    teams = [r[0] for r in con.execute("select team_abbr from nba_reference.nba_teams order by 1").fetchall()]
    # a date with games whose injury reports exist, with reports on earlier dates
    empty_day = con.execute("""
        select game_date from nba_raw.nbac_injury_report
        where game_date between ? and ?
        group by game_date order by game_date desc limit 1 offset 5
    """, [start, end]).fetchone()[0]
    # a past date with games, before the templates' dates, and two idle teams
    free_day = schedule[0]["game_date"] - dt.timedelta(days=1)
    busy = {team for row in _rows(con, "select home_team_tricode, away_team_tricode from"
                                       " nba_raw.nbac_schedule where game_date = ?", free_day)
            for team in row.values()}
    idle = [team for team in teams if team not in busy]
    assert len(distinct_games) >= 19 and len(team_box) >= 4 and schedule and injury and len(odds) >= 2
    assert bettingpros and shots and roster and len(idle) >= 2, "the sample lacks template rows"
    return Templates(distinct_games, team_box, schedule, injury, odds, bettingpros, shots, roster,
                     teams, empty_day, free_day, (idle[0], idle[1]))


def inject(con: duckdb.DuckDBPyConnection, kind: DefectKind, t: Templates) -> int:
    rows = kind.build(t)
    for row in rows:
        row[kind.marker_column] = kind.marker
        columns = list(row)
        con.execute(
            f"insert into nba_raw.{kind.table} ({', '.join(columns)})"
            f" values ({', '.join('?' for _ in columns)})",
            [row[c] for c in columns],
        )
    return len(rows)


# ---------------------------------------------------------------------------
# The one build.
# ---------------------------------------------------------------------------


@dataclass
class Outcome:
    warehouse: BuiltWarehouse
    templates: Templates
    injected: dict[str, int]
    build_stdout: str
    build_rc: int


@pytest.fixture(scope="module")
def outcome(small_warehouse_template: BuiltWarehouse,
            tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    work = tmp_path_factory.mktemp("bad_input")
    db = work / "nba.duckdb"
    shutil.copyfile(small_warehouse_template.db, db)
    wh = BuiltWarehouse(db=db, work=work, run_date=small_warehouse_template.run_date)
    run_date = dt.date.fromisoformat(wh.run_date or preset_run_date("small"))
    with duckdb.connect(str(db)) as con:
        templates = load_templates(con, run_date)
        injected = {kind.name: inject(con, kind, templates) for kind in KINDS}
        # the volume incident: one date's injury report never arrived
        con.execute("delete from nba_raw.nbac_injury_report where game_date = ?",
                    [templates.empty_injury_date])
    result = wh.dbt("build", "--full-refresh", "--vars", BUILD_VARS, "--indirect-selection", "empty",
                    "--select", *BUILD_SELECTION, check=False)
    return Outcome(wh, templates, injected, result.stdout + result.stderr, result.returncode)


def query(outcome: Outcome, sql: str) -> list[tuple]:
    with duckdb.connect(str(outcome.warehouse.db), read_only=True) as con:
        return con.execute(sql).fetchall()


def schema_of(outcome: Outcome, name: str) -> str:
    rows = query(outcome, f"select table_schema from information_schema.tables where table_name = '{name}'")
    assert rows, f"{name} was not built"
    return rows[0][0]


def test_build_passes(outcome: Outcome) -> None:
    """No crash: the build of all the bad rows succeeds; the volume
    incident is a warning, not an error."""
    assert outcome.build_rc == 0, outcome.build_stdout[-6000:]
    assert "WARN" in outcome.build_stdout and "raw_source_volume_incident" in outcome.build_stdout


def kind_counts(outcome: Outcome, kind: DefectKind) -> dict[str, Any]:
    t = outcome.templates
    staging = schema_of(outcome, "stg_rejected_rows")
    trace = (f"record_key like '%{kind.rejected_key(t)}%'" if kind.rejected_key
             else f"raw_record like '%\"{kind.marker}\"%'")
    rejected = query(outcome, f"""
        select reject_reason, is_defect, count(*) from {staging}.stg_rejected_rows
        where source_table = '{kind.table}' and {trace} group by all order by 1""")
    staged = staged_bad = None
    if kind.staged_where:
        model = STAGING_MODEL[kind.table]
        staged = query(outcome, f"select count(*) from {staging}.{model} where {kind.staged_where(t)}")[0][0]
        if kind.staged_check:
            staged_bad = query(outcome, f"select count(*) from {staging}.{model}"
                                        f" where ({kind.staged_where(t)}) and not ({kind.staged_check})")[0][0]
    features = None
    if kind.features_where:
        store = schema_of(outcome, "ml_feature_store_v2")
        features = query(outcome, f"select count(*) from {store}.ml_feature_store_v2"
                                  f" where {kind.features_where(t)}")[0][0]
    return {"rejected": rejected, "staged": staged, "staged_bad": staged_bad, "features": features}


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_defect_kind(outcome: Outcome, kind: DefectKind) -> None:
    counts = kind_counts(outcome, kind)
    reasons = {reason: (defect, n) for reason, defect, n in counts["rejected"]}
    if kind.expected_reason is None:
        assert reasons == {}, f"{kind.name} must be staged, not rejected: {reasons}"
    else:
        assert set(reasons) == {kind.expected_reason}, (
            f"{kind.name}: expected reason {kind.expected_reason}, got {reasons}")
        defect, n = reasons[kind.expected_reason]
        assert n == kind.expected_rejected and defect == kind.is_defect, (kind.name, reasons)
    if counts["staged"] is not None:
        assert counts["staged"] == kind.expected_staged, (kind.name, counts)
    if counts["staged_bad"] is not None:
        assert counts["staged_bad"] == 0, f"{kind.name} staged wrongly (not {kind.staged_check})"
    if counts["features"] is not None:
        assert counts["features"] == 0, f"{kind.name} reached ml_feature_store_v2"


def test_raw_rows_are_staged_or_rejected(outcome: Outcome) -> None:
    staging = schema_of(outcome, "stg_rejected_rows")
    for table, model in STAGING_MODEL.items():
        raw = query(outcome, f"select count(*) from nba_raw.{table}")[0][0]
        staged = query(outcome, f"select count(*) from {staging}.{model}")[0][0]
        rejected = query(outcome, f"select count(*) from {staging}.stg_rejected_rows"
                                  f" where source_table = '{table}'")[0][0]
        assert raw == staged + rejected, f"{table}: raw {raw} != staged {staged} + rejected {rejected}"


def test_empty_injury_report_is_a_volume_incident(outcome: Outcome) -> None:
    day = outcome.templates.empty_injury_date
    monitoring = schema_of(outcome, "raw_source_volume_daily")
    rows = query(outcome, f"""
        select source_table, volume_status, rows_delivered from {monitoring}.raw_source_volume_daily
        where game_date = date '{day}' order by 1""")
    status = {table: (state, n) for table, state, n in rows}
    assert status["nbac_injury_report"] == ("empty", 0), status
    # the other sources of that date were fine
    assert all(state == "ok" for table, (state, _) in status.items() if table != "nbac_injury_report"), status
    result = outcome.warehouse.nba_fs(
        "alerts", "--date", day.isoformat(), "--db", str(outcome.warehouse.db), "--skip-freshness",
        "--audit-file", str(outcome.warehouse.work / "alerts.jsonl"), check=False)
    text = result.stdout + result.stderr
    assert result.returncode in (1, 2), text
    assert "RAW_SOURCE_VOLUME_LOW" in text and "nbac_injury_report" in text, text


def quarantine_table(outcome: Outcome) -> list[dict[str, Any]]:
    """One entry per kind: what was injected, where its rows ended up."""
    table = []
    for kind in KINDS:
        counts = kind_counts(outcome, kind)
        table.append({
            "kind": kind.name,
            "raw_table": kind.table,
            "expected_reason": kind.expected_reason,
            "is_defect": kind.is_defect if kind.expected_reason else None,
            "rows_injected": outcome.injected[kind.name],
            "rows_rejected": sum(n for _, _, n in counts["rejected"]),
            "reasons_found": sorted(reason for reason, _, _ in counts["rejected"]),
            "rows_staged": counts["staged"],
            "rows_in_features": counts["features"],
            "note": kind.note,
        })
    return table


def render_markdown(table: list[dict[str, Any]]) -> str:
    """The suite's table as docs/quarantine.md shows it."""
    def cell(value: Any) -> str:
        return "-" if value is None else str(value)

    lines = ["| defect kind | raw table | reason | rows injected | rows rejected | rows reaching"
             " features | note |", "|---|---|---|---:|---:|---:|---|"]
    for r in table:
        reason = f"`{r['expected_reason']}`" if r["expected_reason"] else "(staged)"
        lines.append(f"| {r['kind']} | {r['raw_table']} | {reason} | {r['rows_injected']}"
                     f" | {r['rows_rejected']} | {cell(r['rows_in_features'])} | {r['note']} |")
    return "\n".join(lines) + "\n"


def test_write_quarantine_table(outcome: Outcome) -> None:
    """The table of docs/quarantine.md, printed and, with
    NBA_QUARANTINE_TABLE=<file>.json set, written as JSON and as Markdown
    (<file>.md)."""
    table = quarantine_table(outcome)
    assert len(table) >= 25
    assert all(r["reasons_found"] == ([r["expected_reason"]] if r["expected_reason"] else [])
               for r in table)
    markdown = render_markdown(table)
    print(markdown)
    target = os.environ.get("NBA_QUARANTINE_TABLE")
    if target:
        Path(target).write_text(json.dumps(table, indent=1, default=str) + "\n")
        Path(target).with_suffix(".md").write_text(markdown)


def test_volume_rule_raises_one_warning_per_date() -> None:
    """The alert rule reads the model's decision (volume_status): incidents
    give one WARNING naming each source, other statuses nothing."""
    from python_hooks.alerting.rules import Severity, raw_volume_alerts

    day = dt.date(2022, 1, 10)
    rows = [
        {"source_table": "nbac_injury_report", "volume_status": "empty", "rows_delivered": 0,
         "games_counted": 5, "usual_rows": 410.0, "pct_of_usual": 0.0},
        {"source_table": "odds_api_player_points_props", "volume_status": "low", "rows_delivered": 90,
         "games_counted": 5, "usual_rows": 1500.0, "pct_of_usual": 6.0},
        {"source_table": "nbac_team_boxscore", "volume_status": "ok", "rows_delivered": 10,
         "games_counted": 5, "usual_rows": 10.0, "pct_of_usual": 100.0},
        {"source_table": "nbac_gamebook_player_stats", "volume_status": "not_due", "rows_delivered": 0},
        {"source_table": "bettingpros_player_points_props", "volume_status": "not_live",
         "rows_delivered": 0},
    ]
    (alert,) = raw_volume_alerts(rows, day)
    assert alert.severity is Severity.WARNING and alert.alert_type == "RAW_SOURCE_VOLUME_LOW"
    assert alert.game_date == "2022-01-10"
    assert alert.key == "nbac_injury_report,odds_api_player_points_props"
    assert alert.details[0].startswith("nbac_injury_report: empty, 0 row(s) for 5 game(s)")
    assert "nba-fs backfill --dates 2022-01-10" in (alert.fix_command or "")
    assert raw_volume_alerts(rows[2:], day) == []
