"""Feature values of `int_player_features_computed` against a plain-Python oracle.

The oracle reads the analytics and staging rows as plain records and computes
features 0-4, 13, 14, 22, 23, 25, 29, 31 and 32 with loops over played
games (no SQL, no window functions), straight from features.md. A real dbt
build of the `small` preset must give the same values (within 1e-9) and the
same raw source labels on a sample of player-dates that includes players
with fewer than `min_history_games` played games.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import duckdb
import pytest

from conftest import BuiltWarehouse
from python_hooks import contract

TOLERANCE = 1e-9
SAMPLE_SIZE = 200
SHORT_HISTORY_SAMPLE = 30
BOOK_PRIORITY = {"draftkings": 1, "fanduel": 2}

Record = dict[str, Any]


# --------------------------------------------------------------------------
# The oracle: pure functions over plain records
# --------------------------------------------------------------------------
def season_of(day: dt.date) -> int:
    return day.year if day.month >= 10 else day.year - 1


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


@dataclass(frozen=True)
class OracleData:
    played_by_player: dict[str, list[Record]]
    team_games: dict[str, list[Record]]
    odds_by_key: dict[tuple[str, dt.date], list[Record]]
    bettingpros_by_key: dict[tuple[str, dt.date], list[Record]]
    tipoffs: dict[tuple[dt.date, str], dt.datetime]
    min_history: int
    appearances_by_player: dict[str, list[Record]]


def player_history(data: OracleData, player: str, day: dt.date
                   ) -> dict[int, float | None]:
    """Features 0-4, 31, 32 (None = absent: fewer than min history games)."""
    season_games = [
        game for game in data.played_by_player.get(player, [])
        if game["game_date"] < day and season_of(game["game_date"]) == season_of(day)
    ]
    season_games.sort(key=lambda game: (game["game_date"], game["game_id"]))
    if len(season_games) < data.min_history:
        return {index: None for index in (0, 1, 2, 3, 4, 31, 32)}
    last_5 = [float(game["points"]) for game in season_games[-5:]]
    last_10 = season_games[-10:]
    points_10 = [float(game["points"]) for game in last_10]
    minutes_10 = [float(game["minutes"]) for game in last_10]
    week_start = day - dt.timedelta(days=7)
    games_last_7 = sum(
        1 for game in data.played_by_player[player]
        if week_start <= game["game_date"] < day
    )
    return {
        0: mean(last_5),
        1: mean(points_10),
        2: mean([float(game["points"]) for game in season_games]),
        3: statistics.stdev(points_10),
        4: float(games_last_7),
        31: mean(minutes_10),
        32: sum(points_10) / sum(minutes_10),
    }


def team_window(data: OracleData, team: str, day: dt.date, size: int
                ) -> list[Record]:
    games = [
        game for game in data.team_games.get(team, [])
        if game["game_date"] < day and season_of(game["game_date"]) == season_of(day)
    ]
    games.sort(key=lambda game: (game["game_date"], game["game_id"]))
    return games[-size:]


def mean_or_none(values: Iterable[float | None]) -> float | None:
    present = [float(value) for value in values if value is not None]
    return mean(present) if present else None


def opponent_defense(data: OracleData, opponent: str, day: dt.date
                     ) -> dict[int, float | None]:
    """Features 13, 14: opponent's last 15 games this season."""
    games = team_window(data, opponent, day, 15)
    return {
        13: mean_or_none(game["defensive_rating"] for game in games),
        14: mean_or_none(game["pace"] for game in games),
    }


def team_context(data: OracleData, team: str, day: dt.date) -> dict[int, float | None]:
    """Features 22, 23: the player's team, its last 10 games this season."""
    games = team_window(data, team, day, 10)
    return {
        22: mean_or_none(game["pace"] for game in games),
        23: mean_or_none(game["offensive_rating"] for game in games),
    }


def newest(records: list[Record], time_key: str, line_key: str) -> Record:
    """Latest record; equal times are broken by the higher line."""
    best = records[0]
    for record in records[1:]:
        if (record[time_key], record[line_key]) > (best[time_key], best[line_key]):
            best = record
    return best


def vegas_line(data: OracleData, player: str, day: dt.date) -> float | None:
    """Feature 25: best book's latest pre-tipoff odds API line, else BettingPros."""
    usable = [
        snap for snap in data.odds_by_key.get((player, day), [])
        if snap["snapshot_at"] <= snap["commence_at"] and snap["points_line"] > 0
    ]
    if usable:
        books = sorted({snap["bookmaker"] for snap in usable},
                       key=lambda book: (BOOK_PRIORITY.get(book, 3), book))
        chosen = [snap for snap in usable if snap["bookmaker"] == books[0]]
        return float(newest(chosen, "snapshot_at", "points_line")["points_line"])
    records = []
    for record in data.bettingpros_by_key.get((player, day), []):
        tipoff = data.tipoffs.get((day, record["team_abbr"]))
        if tipoff is not None and record["created_at"] < tipoff and record["points_line"] > 0:
            records.append(record)
    if not records:
        return None
    latest_time = max(record["created_at"] for record in records)
    latest = [record for record in records if record["created_at"] == latest_time]
    latest.sort(key=lambda record: (BOOK_PRIORITY.get(record["book"], 3), record["book"]))
    return float(latest[0]["points_line"])


def points_vs_opponent(data: OracleData, player: str, opponent: str, day: dt.date
                       ) -> float | None:
    """Mean points vs this opponent in [d-365, d), None without such games."""
    start = day - dt.timedelta(days=365)
    points = [
        float(game["points"]) for game in data.played_by_player.get(player, [])
        if game["opponent_team_abbr"] == opponent and start <= game["game_date"] < day
    ]
    return mean(points) if points else None


def expected_features(data: OracleData, row: Record) -> dict[int, tuple[float | None, str]]:
    """(value, raw source) of each oracle feature for one context row."""
    player, day = row["player_lookup"], row["game_date"]
    history = player_history(data, player, day)
    values: dict[int, float | None] = {
        **history,
        **opponent_defense(data, row["opponent_team_abbr"], day),
        **team_context(data, row["team_abbr"], day),
        25: vegas_line(data, player, day),
    }
    present = {index: "phase4" for index in (0, 1, 2, 3, 4, 13, 14, 22, 23)}
    # The daily cache holds the team of the player's latest box-score row
    # before the day; traded that day, the game's team is recomputed.
    earlier = [a for a in data.appearances_by_player.get(player, []) if a["game_date"] < day]
    if earlier and max(earlier, key=lambda a: a["game_date"])["team_abbr"] != row["team_abbr"]:
        present.update({22: "phase3", 23: "phase3"})
    present.update({25: "vegas", 31: "minutes_ppm", 32: "minutes_ppm"})
    absent = {index: "default" for index in (0, 1, 2, 3, 4, 13, 14, 22, 23)}
    absent.update({25: "missing", 31: "fallback", 32: "fallback"})
    expected = {
        index: (value, present[index] if value is not None else absent[index])
        for index, value in values.items()
    }
    versus = points_vs_opponent(data, player, row["opponent_team_abbr"], day)
    # without games vs the opponent the value is absent (`fallback`); the
    # vector carries the season average (tests_py/test_feature_stand_in.py)
    expected[29] = (versus, "opponent_history") if versus is not None else (
        None, "fallback")
    return expected


# --------------------------------------------------------------------------
# I/O: build the warehouse, read records
# --------------------------------------------------------------------------
def records(con: duckdb.DuckDBPyConnection, query: str) -> list[Record]:
    cursor = con.execute(query)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def load_oracle_data(con: duckdb.DuckDBPyConnection) -> OracleData:
    played: dict[str, list[Record]] = defaultdict(list)
    appearances: dict[str, list[Record]] = defaultdict(list)
    for game in records(con, "select * from nba_analytics.player_game_summary"):
        appearances[game["player_lookup"]].append(game)
        if game["is_played"]:
            played[game["player_lookup"]].append(game)
    defense = {
        (game["game_id"], game["defending_team_abbr"]): game
        for game in records(con, "select * from nba_analytics.team_defense_game_summary")
    }
    team_games: dict[str, list[Record]] = defaultdict(list)
    for game in records(con, "select * from nba_analytics.team_offense_game_summary"):
        defended = defense.get((game["game_id"], game["team_abbr"]), {})
        team_games[game["team_abbr"]].append(
            {**game, "defensive_rating": defended.get("defensive_rating")})
    odds: dict[tuple[str, dt.date], list[Record]] = defaultdict(list)
    for snap in records(
            con, "select * from nba_staging.stg_nba_raw__odds_api_player_points_props"):
        odds[(snap["player_lookup"], snap["game_date"])].append(snap)
    bettingpros: dict[tuple[str, dt.date], list[Record]] = defaultdict(list)
    for record in records(
            con, "select * from nba_staging.stg_nba_raw__bettingpros_player_points_props"):
        bettingpros[(record["player_lookup"], record["game_date"])].append(record)
    tipoffs: dict[tuple[dt.date, str], dt.datetime] = {}
    for game in records(con, "select * from nba_staging.stg_nba_raw__schedule"):
        for team in (game["home_team_abbr"], game["away_team_abbr"]):
            tipoffs[(game["game_date"], team)] = game["tipoff_at"]
    return OracleData(
        played_by_player=dict(played), team_games=dict(team_games),
        odds_by_key=dict(odds), bettingpros_by_key=dict(bettingpros),
        tipoffs=tipoffs, min_history=int(contract.threshold("min_history_games")),
        appearances_by_player=dict(appearances),
    )


def sample_rows(rows: list[Record], min_history: int) -> list[Record]:
    rng = random.Random(20211102)
    short = [row for row in rows if row["games_played_season"] < min_history]
    longer = [row for row in rows if row["games_played_season"] >= min_history]
    picked = rng.sample(short, min(SHORT_HISTORY_SAMPLE, len(short)))
    return picked + rng.sample(longer, SAMPLE_SIZE - len(picked))


def close(actual: float | None, expected: float | None) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    return math.isclose(actual, expected, rel_tol=0.0, abs_tol=TOLERANCE)


@pytest.fixture(scope="module")
def built(small_warehouse_template: BuiltWarehouse) -> BuiltWarehouse:
    # The session's full build of `small` (read only here).
    return small_warehouse_template


@pytest.fixture(scope="module")
def model_and_oracle(built: BuiltWarehouse) -> tuple[list[Record], OracleData]:
    with duckdb.connect(str(built.db), read_only=True) as con:
        rows = records(con, "select * from nba_predictions.int_player_features_computed")
        data = load_oracle_data(con)
    return rows, data


def test_sample_covers_short_histories(model_and_oracle: tuple[list[Record], OracleData]
                                       ) -> None:
    rows, data = model_and_oracle
    sample = sample_rows(rows, data.min_history)
    assert len(sample) == SAMPLE_SIZE
    assert sum(row["games_played_season"] < data.min_history for row in sample) >= 10
    assert any(row["f25_value"] is not None for row in sample)
    assert any(row["f29_raw_source"] == "opponent_history" for row in sample)


def test_model_values_equal_the_oracle(model_and_oracle: tuple[list[Record], OracleData]
                                       ) -> None:
    rows, data = model_and_oracle
    mismatches = []
    for row in sample_rows(rows, data.min_history):
        for index, (value, source) in expected_features(data, row).items():
            actual_value = row[f"f{index}_value"]
            actual_source = row[f"f{index}_raw_source"]
            if not close(actual_value, value) or actual_source != source:
                mismatches.append(
                    (row["player_lookup"], row["game_date"], index,
                     actual_value, actual_source, value, source))
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:10]}"


def test_no_cache_misses_on_built_dates(model_and_oracle: tuple[list[Record], OracleData]
                                        ) -> None:
    rows, _ = model_and_oracle
    assert rows
    assert not [row for row in rows if row["cache_miss_fallback_used"]]
