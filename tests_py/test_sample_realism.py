"""Realism of the DEFAULT preset: line coverage, scorers, rest, in-game data, outages.

Generated once per session into a tmp dir, or, when ``NBA_CI_WAREHOUSE`` points
to an existing DuckDB file (``make test`` builds one), its ``nba_raw`` schema is
read read-only instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from python_hooks.cli import main as nba_fs

COMPLETE_SEASONS = (2021, 2024, 2025)


@pytest.fixture(scope="module")
def default_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    existing = os.environ.get("NBA_CI_WAREHOUSE")
    if existing and Path(existing).exists():
        return Path(existing)
    db = tmp_path_factory.mktemp("sample_default") / "raw.duckdb"
    assert nba_fs(["generate", "--db", str(db), "--preset", "default"]) == 0
    return db


@pytest.fixture(scope="module")
def con(default_raw: Path):
    connection = duckdb.connect(str(default_raw), read_only=True)
    connection.execute("""
        create or replace temp macro lookup_key(n) as
            regexp_replace(lower(strip_accents(n)), '[^a-z0-9]', '', 'g')
    """)
    connection.execute("""
        create temp view played as
        select g.*, s.season_year, s.home_team_abbr, s.away_team_abbr, s.tipoff_at,
               lookup_key(g.player_name) as player_lookup
        from nba_raw.gamebook_player_stats as g join nba_raw.schedule as s using (game_id)
        where s.game_type = 'regular' and g.player_status = 'active' and g.minutes > 0
          and g.player_name is not null
    """)
    connection.execute("""
        create temp view pre_tip_lines as
        select distinct o.game_date, o.home_team_abbr, o.away_team_abbr,
               lookup_key(o.player_name) as player_lookup
        from nba_raw.odds_api_player_points_props as o
        where o.snapshot_at <= o.commence_at and o.points_line > 0
        union
        select distinct s.game_date, s.home_team_abbr, s.away_team_abbr, lookup_key(b.player_name)
        from nba_raw.bettingpros_player_points_props as b
        join nba_raw.schedule as s on s.game_date = b.game_date
         and b.team_abbr in (s.home_team_abbr, s.away_team_abbr)
        where b.created_at <= s.tipoff_at and b.line > 0
    """)
    yield connection
    connection.close()


def test_share_of_played_games_with_a_pre_tipoff_line(con) -> None:
    rows = con.execute("""
        select p.season_year, avg((l.player_lookup is not null)::int) as share, count(*) as n
        from played as p
        left join pre_tip_lines as l using (game_date, home_team_abbr, away_team_abbr, player_lookup)
        group by 1 order by 1
    """).fetchall()
    assert {season for season, _, _ in rows} >= set(COMPLETE_SEASONS)
    for season, share, n in rows:
        assert n > 1000
        assert 0.35 <= share <= 0.45, (season, share)


def test_feature_rows_are_healthy_on_normal_dates(con) -> None:
    """Vegas coverage over the feature store's rows (active or DNP players) is
    in the healthy band (>= 35%) on dates without an odds outage."""
    rows = con.execute("""
        with feature_rows as (
            select g.game_date, s.season_year, s.home_team_abbr, s.away_team_abbr,
                   lookup_key(g.player_name) as player_lookup
            from nba_raw.gamebook_player_stats as g join nba_raw.schedule as s using (game_id)
            where s.game_type = 'regular' and g.player_status in ('active', 'dnp')
              and g.player_name is not null
              and g.game_date not in (select game_date from nba_raw.generation_manifest
                                      where kind like 'odds_api_%')
        )
        select f.season_year, avg((l.player_lookup is not null)::int)
        from feature_rows as f
        left join pre_tip_lines as l using (game_date, home_team_abbr, away_team_abbr, player_lookup)
        group by 1
    """).fetchall()
    for season, share in rows:
        assert share >= 0.35, (season, share)


def test_scorers_distribution_per_complete_season(con) -> None:
    rows = dict((season, (p20, p25)) for season, p20, p25 in con.execute("""
        with per_player as (
            select season_year, player_lookup, avg(points) as ppg, count(*) as games
            from played group by all
        )
        select season_year, count(*) filter (where ppg >= 20), count(*) filter (where ppg >= 25)
        from per_player where games >= 20 group by 1
    """).fetchall())
    for season in COMPLETE_SEASONS:
        p20, p25 = rows[season]
        assert 15 <= p20 <= 35, (season, p20)
        assert 2 <= p25 <= 12, (season, p25)
    # A long bench tail: most players who played average under 10 points.
    bench_share = con.execute("""
        select avg((ppg < 10)::int) from (
            select player_lookup, avg(points) as ppg from played where season_year = 2025 group by 1)
    """).fetchone()[0]
    assert bench_share > 0.5


def test_back_to_backs_are_realistic(con) -> None:
    rows = con.execute("""
        with sides as (
            select season_year, game_date, home_team_abbr as team from nba_raw.schedule
            where game_type = 'regular' and game_status <> 'postponed'
            union all
            select season_year, game_date, away_team_abbr from nba_raw.schedule
            where game_type = 'regular' and game_status <> 'postponed'
        ),
        flagged as (
            select *, lag(game_date) over (partition by season_year, team order by game_date)
                      = game_date - 1 as is_b2b
            from sides
        )
        select season_year, avg(n) from (
            select season_year, team, count(*) filter (where is_b2b) as n from flagged group by all
        ) group by 1
    """).fetchall()
    for season, mean_b2b in rows:
        assert 8 <= mean_b2b <= 18, (season, mean_b2b)


def test_after_tipoff_snapshots_present(con) -> None:
    per_season = dict(con.execute("""
        select s.season_year, count(*) from nba_raw.odds_api_player_points_props as o
        join nba_raw.schedule as s on s.game_date = o.game_date
         and s.home_team_abbr = o.home_team_abbr and s.away_team_abbr = o.away_team_abbr
        where o.snapshot_at > o.commence_at group by 1
    """).fetchall())
    for season in COMPLETE_SEASONS:
        assert per_season.get(season, 0) > 100


def test_outage_dates_have_no_pre_tipoff_odds(con) -> None:
    outages = con.execute("""
        select m.game_date, count(o.snapshot_at)
        from nba_raw.generation_manifest as m
        left join nba_raw.odds_api_player_points_props as o
          on o.game_date = m.game_date and o.snapshot_at <= o.commence_at
        where m.kind = 'odds_api_outage_date' group by 1
    """).fetchall()
    assert len(outages) >= 2 * len(COMPLETE_SEASONS)
    assert all(n == 0 for _, n in outages), outages


def test_stars_have_lines_except_on_outages(con) -> None:
    """Every star (>= 20 ppg, >= 10 games, not inactive) has a line on normal
    dates; on outage / missed-game dates some stars have none at all."""
    rows = con.execute("""
        with history as (
            select g.game_date, s.home_team_abbr, s.away_team_abbr, g.player_status,
                   lookup_key(g.player_name) as player_lookup,
                   avg(case when g.player_status = 'active' and g.minutes > 0 then g.points end)
                       over w as prior_avg,
                   count(case when g.player_status = 'active' and g.minutes > 0 then 1 end)
                       over w as prior_games
            from nba_raw.gamebook_player_stats as g join nba_raw.schedule as s using (game_id)
            where s.game_type in ('regular', 'playoffs') and g.player_name is not null
            window w as (partition by s.season_year, lookup_key(g.player_name)
                         order by g.game_date rows between unbounded preceding and 1 preceding)
        ),
        outage_dates as (
            select distinct game_date from nba_raw.generation_manifest
            where kind in ('odds_api_outage_date', 'odds_api_missed_game')
        )
        select h.game_date in (select game_date from outage_dates) as is_outage_date,
               count(*) filter (where l.player_lookup is null) as without_line, count(*)
        from history as h
        left join pre_tip_lines as l using (game_date, home_team_abbr, away_team_abbr, player_lookup)
        where h.prior_avg >= 20 and h.prior_games >= 10 and h.player_status <> 'inactive'
        group by 1
    """).fetchall()
    result = {flag: (missing, total) for flag, missing, total in rows}
    assert result[False][0] == 0 and result[False][1] > 1000
    assert result[True][0] > 0
