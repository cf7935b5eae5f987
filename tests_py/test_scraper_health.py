"""scraper_health_star_lines on generated data (docs/monitoring.md).

The generator records every injected odds outage in
nba_raw.generation_manifest (kind odds_api_outage_date: the odds API scraped
nothing that date; odds_api_missed_game: it missed one game; BettingPros is
missing too in both). The stars of those dates / games, found here
independently from player_game_summary (season ppg >= star_tier2_min_ppg
over >= star_min_games played games before the date, expected and not out),
must be exactly the model's rows, with both sources named; every other
played date must report nobody.

Dates after the sample's as-of date are left out: their games lie in the
generated world's future (no lines yet) but in the past of the build clock.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import duckdb
import pytest

from python_hooks import contract
from python_hooks.warehouse import schema_name

pytestmark = pytest.mark.dbt

RAW = schema_name("raw")
ANALYTICS = schema_name("analytics")
STAR_LINES = f"{schema_name('monitoring')}.scraper_health_star_lines"

Key = tuple[dt.date, str]


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
          ) -> list[tuple[Any, ...]]:
    return con.execute(sql, params or []).fetchall()


def last_played_date(con: duckdb.DuckDBPyConnection) -> dt.date:
    # status 3 with scores: final (status 3 without scores is a postponement)
    return fetch(con, f"select max(game_date) from {RAW}.nbac_schedule"
                      " where game_status = 3 and home_team_score is not null")[0][0]


def outage_games(con: duckdb.DuckDBPyConnection) -> dict[dt.date, set[str] | None]:
    """Manifest outages: date -> game ids missed (None = the whole date)."""
    outages: dict[dt.date, set[str] | None] = {}
    for kind, key, game_date in fetch(
        con,
        f"select kind, record_key, game_date from {RAW}.generation_manifest"
        " where kind in ('odds_api_outage_date', 'odds_api_missed_game')",
    ):
        if kind == "odds_api_outage_date":
            outages[game_date] = None
            continue
        _, team_a, team_b = key.split("|")
        # the project's game id (YYYYMMDD_AWAY_HOME), not the schedule's
        # NBA.com id
        games = {
            row[0]
            for row in fetch(
                con,
                "select distinct strftime(game_date, '%Y%m%d') || '_' || away_team_tricode"
                f" || '_' || home_team_tricode from {RAW}.nbac_schedule where game_date = ?"
                " and ? in (home_team_tricode, away_team_tricode)"
                " and ? in (home_team_tricode, away_team_tricode)",
                [game_date, team_a, team_b],
            )
        }
        assert len(games) == 1, f"manifest game {key} not in the schedule"
        current = outages.get(game_date, set())
        if current is not None:
            outages[game_date] = current | games
    return outages


def oracle_stars(con: duckdb.DuckDBPyConnection, last_date: dt.date) -> dict[Key, str]:
    """(date, player) -> game_id of every star expected to play, from box scores."""
    min_ppg = contract.threshold("star_tier2_min_ppg")
    min_games = contract.threshold("star_min_games")
    rows = fetch(
        con,
        f"""
        select ctx.game_date, ctx.player_lookup, ctx.game_id
        from {ANALYTICS}.upcoming_player_game_context as ctx
        join {ANALYTICS}.player_game_summary as pgs
            on pgs.player_lookup = ctx.player_lookup
            and pgs.season_year = ctx.season_year
            and pgs.game_date < ctx.game_date
            and pgs.is_played
        where ctx.game_date <= ?
            and coalesce(ctx.injury_status, '') != 'out'
        group by all
        having count(*) >= ? and avg(pgs.points) >= ?
        """,
        [last_date, min_games, min_ppg],
    )
    return {(row[0], row[1]): row[2] for row in rows}


def test_outages_are_exactly_the_dates_with_stars_without_lines(small_warehouse_template) -> None:
    with duckdb.connect(str(small_warehouse_template.db), read_only=True) as con:
        last_date = last_played_date(con)
        outages = outage_games(con)
        stars = oracle_stars(con, last_date)
        listed = fetch(
            con,
            f"select game_date, player_lookup, game_id, missing_sources,"
            f" missing_odds_api, missing_bettingpros, is_game_level_outage"
            f" from {STAR_LINES} where game_date <= ?",
            [last_date],
        )
    assert outages, "the sample should inject odds outages"

    expected: set[Key] = set()
    stars_per_outage: dict[dt.date, int] = defaultdict(int)
    for (game_date, player), game_id in stars.items():
        games = outages.get(game_date, set())
        if game_date in outages and (games is None or game_id in games):
            expected.add((game_date, player))
            stars_per_outage[game_date] += 1

    # Not vacuous: outages hit stars. An outage early in a season can hit
    # none (no player has star_min_games games yet), nor a missed game
    # without a star; by the section 5 definition it is then invisible to
    # this check (the vegas coverage gate sees it instead).
    assert len(stars_per_outage) >= 1
    assert sum(stars_per_outage.values()) >= 3

    assert {(row[0], row[1]) for row in listed} == expected
    for row in listed:
        assert row[3] == "odds_api,bettingpros"
        assert row[4] and row[5]
        assert row[6], "BettingPros missed the same games: a game-level outage"

    # Normal dates report nobody.
    assert {row[0] for row in listed} <= set(outages)
