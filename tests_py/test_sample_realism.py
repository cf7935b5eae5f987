"""Realism of the DEFAULT preset: line coverage, scorers, rest, in-game data, outages.

Generated once per session into a tmp dir, or, when ``NBA_CI_WAREHOUSE`` points
to an existing DuckDB file (``make test`` builds one), its ``nba_raw`` schema is
read read-only instead. The raw tables are the production ones; the temp
views read them with staging's rules (one schedule row per game, the newest
load of a box score, lookups recomputed from the printed names).
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
        create temp view schedule as
        select strftime(game_date, '%Y%m%d') || '_' || away_team_tricode || '_' || home_team_tricode
                   as game_id,
               game_id as nba_game_id, game_date, game_date_est as tipoff_at, season_year,
               case when is_playoffs then 'playoffs' when is_regular_season then 'regular' end as game_type,
               home_team_tricode as home_team_abbr, away_team_tricode as away_team_abbr,
               case when game_status = 3 and home_team_score is null then 'postponed'
                    when game_status = 3 then 'final' else 'scheduled' end as game_status
        from nba_raw.nbac_schedule
        qualify row_number() over (partition by game_id, game_date
                                   order by game_status desc, processed_at desc) = 1
    """)
    connection.execute("""
        create temp view gamebook as
        select * exclude (minutes), minutes_decimal as minutes
        from nba_raw.nbac_gamebook_player_stats
        where name_resolution_status in ('original', 'resolved')
        qualify processed_at = max(processed_at) over (partition by game_id)
    """)
    connection.execute("""
        create temp view played as
        select g.* exclude (season_year, home_team_abbr, away_team_abbr), s.season_year, s.home_team_abbr,
               s.away_team_abbr, s.tipoff_at, lookup_key(g.player_name) as lookup
        from gamebook as g join schedule as s using (game_id)
        where s.game_type = 'regular' and g.player_status = 'active' and g.minutes > 0
          and g.player_name is not null
    """)
    connection.execute("""
        create temp view pre_tip_lines as
        select distinct o.game_date, o.home_team_abbr, o.away_team_abbr,
               lookup_key(o.player_name) as lookup
        from nba_raw.odds_api_player_points_props as o
        where o.snapshot_timestamp <= o.game_start_time and o.points_line > 0
        union
        select distinct s.game_date, s.home_team_abbr, s.away_team_abbr, lookup_key(b.player_name)
        from nba_raw.bettingpros_player_points_props as b
        join schedule as s on s.game_date = b.game_date
         and b.player_team in (s.home_team_abbr, s.away_team_abbr)
        where strptime(regexp_extract(b.source_file_path, '([0-9]{8}_[0-9]{6})\\.json$', 1),
                       '%Y%m%d_%H%M%S') <= s.tipoff_at
          and b.points_line > 0 and b.market_type = 'points' and b.bet_side = 'over'
    """)
    yield connection
    connection.close()


def test_share_of_played_games_with_a_pre_tipoff_line(con) -> None:
    rows = con.execute("""
        select p.season_year, avg((l.lookup is not null)::int) as share, count(*) as n
        from played as p
        left join pre_tip_lines as l using (game_date, home_team_abbr, away_team_abbr, lookup)
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
                   lookup_key(g.player_name) as lookup
            from gamebook as g join schedule as s using (game_id)
            where s.game_type = 'regular' and g.player_status in ('active', 'dnp')
              and g.player_name is not null
              and g.game_date not in (select game_date from nba_raw.generation_manifest
                                      where kind like 'odds_api_%')
        )
        select f.season_year, avg((l.lookup is not null)::int)
        from feature_rows as f
        left join pre_tip_lines as l using (game_date, home_team_abbr, away_team_abbr, lookup)
        group by 1
    """).fetchall()
    for season, share in rows:
        assert share >= 0.35, (season, share)


def test_scorers_distribution_per_complete_season(con) -> None:
    rows = dict((season, (p20, p25)) for season, p20, p25 in con.execute("""
        with per_player as (
            select season_year, lookup, avg(points) as ppg, count(*) as games
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
            select lookup, avg(points) as ppg from played where season_year = 2025 group by 1)
    """).fetchone()[0]
    assert bench_share > 0.5


def test_back_to_backs_are_realistic(con) -> None:
    rows = con.execute("""
        with sides as (
            select season_year, game_date, home_team_abbr as team from schedule
            where game_type = 'regular' and game_status <> 'postponed'
            union all
            select season_year, game_date, away_team_abbr from schedule
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
        join schedule as s on s.game_date = o.game_date
         and s.home_team_abbr = o.home_team_abbr and s.away_team_abbr = o.away_team_abbr
        where o.snapshot_timestamp > o.game_start_time group by 1
    """).fetchall())
    for season in COMPLETE_SEASONS:
        assert per_season.get(season, 0) > 100


def test_outage_dates_have_no_pre_tipoff_odds(con) -> None:
    outages = con.execute("""
        select m.game_date, count(o.snapshot_timestamp)
        from nba_raw.generation_manifest as m
        left join nba_raw.odds_api_player_points_props as o
          on o.game_date = m.game_date and o.snapshot_timestamp <= o.game_start_time
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
                   lookup_key(g.player_name) as lookup,
                   avg(case when g.player_status = 'active' and g.minutes > 0 then g.points end)
                       over w as prior_avg,
                   count(case when g.player_status = 'active' and g.minutes > 0 then 1 end)
                       over w as prior_games
            from gamebook as g join schedule as s using (game_id)
            where s.game_type in ('regular', 'playoffs') and g.player_name is not null
            window w as (partition by s.season_year, lookup_key(g.player_name)
                         order by g.game_date rows between unbounded preceding and 1 preceding)
        ),
        outage_dates as (
            select distinct game_date from nba_raw.generation_manifest
            where kind in ('odds_api_outage_date', 'odds_api_missed_game')
        )
        select h.game_date in (select game_date from outage_dates) as is_outage_date,
               count(*) filter (where l.lookup is null) as without_line, count(*)
        from history as h
        left join pre_tip_lines as l using (game_date, home_team_abbr, away_team_abbr, lookup)
        where h.prior_avg >= 20 and h.prior_games >= 10 and h.player_status <> 'inactive'
        group by 1
    """).fetchall()
    result = {flag: (missing, total) for flag, missing, total in rows}
    assert result[False][0] == 0 and result[False][1] > 1000
    assert result[True][0] > 0


def test_production_formats_over_the_seasons(con) -> None:
    """Formats that changed on a date: the odds API game_id (NBA.com id from
    2025-12-28), the BigDataBall lookup prefix (autumn 2024), the suffix in
    BettingPros and ESPN lookups (kept from 2026-01-11)."""
    odds = dict(con.execute("""
        select game_date >= date '2025-12-28',
               count(*) filter (where not regexp_full_match(game_id, '[0-9]{10}'))
        from nba_raw.odds_api_player_points_props group by 1""").fetchall())
    assert odds == {False: con.execute("""select count(*) from nba_raw.odds_api_player_points_props
                                          where game_date < date '2025-12-28'""").fetchone()[0], True: 0}
    matched = con.execute("""
        select count(*) from nba_raw.odds_api_player_points_props o
        where o.game_date >= date '2025-12-28'
          and o.game_id not in (select nba_game_id from schedule)""").fetchone()[0]
    assert matched == 0
    prefixed = dict(con.execute("""
        select season_year, avg(regexp_matches(player_1_lookup, '^[0-9]')::int)
        from nba_raw.bigdataball_play_by_play where player_1_lookup is not null group by 1""").fetchall())
    assert prefixed[2021] == 0 and prefixed[2025] == 0 and 0 < prefixed[2024] < 1
    for table, name in (("espn_team_rosters", "player_full_name"),
                        ("bettingpros_player_points_props", "player_name")):
        kept = dict(con.execute(f"""
            select cast(processed_at as date) >= date '2026-01-11', bool_and(player_lookup like '%jr')
            from nba_raw.{table} where {name} like '% Jr.' group by 1""").fetchall())
        assert kept == {False: False, True: True}, table
