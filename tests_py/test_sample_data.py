"""The sample-data generator: determinism, names, schedule, consistency, defects.

Uses the fast `small` preset (2021-22 up to 2022-01-15), generated through the
real CLI into tmp dirs.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from python_hooks.cli import main as nba_fs
from python_hooks.sample_data.generator import SCHEMAS
from python_hooks.sample_data.names import (
    LOOKUP_CASES,
    STRESS_NAMES,
    normalize_player_lookup,
    variants_for,
)
from python_hooks.sample_data.players import League


def _generate(db: Path, *extra: str) -> None:
    assert nba_fs(["generate", "--db", str(db), "--preset", "small", *extra]) == 0


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("sample_small") / "raw.duckdb"
    _generate(db)
    return db


@pytest.fixture
def con(small_db: Path):
    connection = duckdb.connect(str(small_db), read_only=True)
    yield connection
    connection.close()


def _table_digest(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, str]:
    """Row count and an md5 over every row (as text) in a total order."""
    return con.execute(
        f"select count(*), md5(coalesce(string_agg(cast(t as varchar), chr(10) "
        f"order by cast(t as varchar)), '')) from nba_raw.{table} as t"
    ).fetchone()


# ---------------------------------------------------------------------------
# determinism
# ---------------------------------------------------------------------------
def test_same_seed_gives_identical_tables(small_db: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.duckdb"
    _generate(again)
    other = tmp_path / "other_seed.duckdb"
    _generate(other, "--seed", "7")
    with duckdb.connect(str(small_db), read_only=True) as a, \
            duckdb.connect(str(again), read_only=True) as b, \
            duckdb.connect(str(other), read_only=True) as c:
        for table in SCHEMAS:
            assert _table_digest(a, table) == _table_digest(b, table), table
        # A different seed really changes the data (the digest is not trivial).
        assert _table_digest(a, "gamebook_player_stats") != _table_digest(c, "gamebook_player_stats")


def test_generate_replaces_raw_tables_and_leaves_other_schemas(tmp_path: Path) -> None:
    db = tmp_path / "raw.duckdb"
    with duckdb.connect(str(db)) as setup:
        setup.execute("create schema nba_analytics")
        setup.execute("create table nba_analytics.keep_me as select 1 as x")
        setup.execute("create schema nba_raw")
        setup.execute("create table nba_raw.schedule as select 'stale' as game_id")
    _generate(db)
    with duckdb.connect(str(db), read_only=True) as check:
        assert check.execute("select x from nba_analytics.keep_me").fetchall() == [(1,)]
        assert check.execute(
            "select count(*) from nba_raw.schedule where game_id = 'stale'").fetchone() == (0,)


# ---------------------------------------------------------------------------
# names
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "key"), LOOKUP_CASES)
def test_normalize_player_lookup(name: str, key: str) -> None:
    assert normalize_player_lookup(name) == key


def test_normalize_player_lookup_keeps_null() -> None:
    assert normalize_player_lookup(None) is None


def test_every_source_variant_of_every_player_has_one_key() -> None:
    import numpy as np

    league = League()
    rng = np.random.default_rng(42)
    league.start(rng, 2021)
    league.advance(rng, 2025)
    keys: dict[str, str] = {}
    for player in league.players:
        v = variants_for(player.name)
        variant_keys = {normalize_player_lookup(x) for x in (v.box, v.odds, v.bettingpros)}
        assert len(variant_keys) == 1, v
        key = variant_keys.pop()
        assert key and key.isascii() and key.isalnum()
        assert keys.setdefault(key, player.name) == player.name, "two players share a key"
    # The stress names really are spelled differently across sources.
    differing = [box for box, *_ in STRESS_NAMES
                 if len({variants_for(box).box, variants_for(box).odds, variants_for(box).bettingpros}) > 1]
    assert len(differing) >= 15


def test_every_odds_and_bettingpros_name_matches_a_box_score_player(con) -> None:
    box = {normalize_player_lookup(n) for (n,) in con.execute(
        "select distinct player_name from nba_raw.gamebook_player_stats where player_name is not null"
    ).fetchall()}
    for table in ("odds_api_player_points_props", "bettingpros_player_points_props"):
        names = [n for (n,) in con.execute(
            f"select distinct player_name from nba_raw.{table} where player_name is not null").fetchall()]
        assert names
        assert {normalize_player_lookup(n) for n in names} <= box, table
    # DuckDB's strip_accents agrees with the Python rule on every printed name.
    disagree = [
        (name, sql_key) for name, sql_key in con.execute("""
            select distinct player_name,
                   regexp_replace(strip_accents(lower(player_name)), '[^a-z0-9]', '', 'g')
            from nba_raw.gamebook_player_stats where player_name is not null
        """).fetchall() if normalize_player_lookup(name) != sql_key
    ]
    assert disagree == []
    # Accented box-score names appear as ASCII in the odds feed.
    accented = con.execute(
        "select count(*) from nba_raw.gamebook_player_stats where player_name like '%ć%'").fetchone()[0]
    odds_accented = con.execute(
        "select count(*) from nba_raw.odds_api_player_points_props where player_name like '%ć%'").fetchone()[0]
    assert accented > 0 and odds_accented == 0


def test_cli_options_build_the_config() -> None:
    from python_hooks.cli import build_parser
    from python_hooks.sample_data.cli import build_config

    args = build_parser().parse_args(["generate", "--db", "x.duckdb"])
    config = build_config(args)
    assert config.seasons == (2021, 2024, 2025, 2026) and str(config.as_of) == "2026-11-27"
    assert (config.seed, config.scale) == (42, 1)
    args = build_parser().parse_args(
        ["generate", "--db", "x", "--seasons", "2025,2024", "--as-of", "2025-12-01", "--scale", "3"])
    config = build_config(args)
    assert config.seasons == (2023, 2024, 2025) and config.scale == 3
    assert str(config.as_of_at) == "2025-12-01 19:00:00"  # 2 PM Eastern (EST) in UTC


# ---------------------------------------------------------------------------
# schedule
# ---------------------------------------------------------------------------
def test_schedule_has_1230_regular_games_82_per_team(con) -> None:
    assert con.execute(
        "select count(*) from nba_raw.schedule where game_type = 'regular' "
        "and game_status <> 'postponed'").fetchone() == (1230,)
    per_team = con.execute("""
        with sides as (
            select home_team_abbr as team, 1 as home from nba_raw.schedule
            where game_type = 'regular' and game_status <> 'postponed'
            union all
            select away_team_abbr, 0 from nba_raw.schedule
            where game_type = 'regular' and game_status <> 'postponed'
        )
        select team, count(*), sum(home) from sides group by team
    """).fetchall()
    assert len(per_team) == 30
    assert {(n, h) for _, n, h in per_team} == {(82, 41)}


def test_schedule_calendar_rules(con) -> None:
    # Tipoffs 7:00-10:30 PM Eastern; no team twice a day; postponed game made up.
    bad_tip = con.execute("""
        select count(*) from nba_raw.schedule
        where strftime(timezone('America/New_York', timezone('UTC', tipoff_at)), '%H:%M')
              not between '19:00' and '22:30'
    """).fetchone()[0]
    assert bad_tip == 0
    twice = con.execute("""
        with sides as (
            select game_date, home_team_abbr as team from nba_raw.schedule where game_type <> 'all_star'
            union all
            select game_date, away_team_abbr from nba_raw.schedule where game_type <> 'all_star'
        )
        select count(*) from (select game_date, team from sides group by all having count(*) > 1)
    """).fetchone()[0]
    assert twice == 0
    assert con.execute(
        "select count(*) from nba_raw.schedule where game_status = 'postponed'").fetchone() == (1,)
    assert con.execute(
        "select count(*) from nba_raw.schedule where game_type = 'all_star'").fetchone() == (1,)
    # Games on/after the as-of date are scheduled and have no box scores.
    assert con.execute("""
        select count(*) from nba_raw.gamebook_player_stats g join nba_raw.schedule s using (game_id)
        where s.game_status <> 'final' or s.game_date >= date '2022-01-15'
    """).fetchone() == (0,)


# ---------------------------------------------------------------------------
# consistency of the box scores (defect rows from the manifest excluded)
# ---------------------------------------------------------------------------
DEFECT_ROWS = """
    select split_part(record_key, '|', 1) as game_id from nba_raw.generation_manifest
    where table_name = 'gamebook_player_stats'
      and kind in ('negative_points', 'impossible_minutes', 'unknown_team_code', 'null_player_name')
"""


def test_team_box_equals_sum_of_players(con) -> None:
    mismatches = con.execute(f"""
        with players as (
            select game_id, team_abbr, sum(points) as points, sum(fg_made) as fg_made,
                   sum(fg_attempted) as fga, sum(three_made) as tpm, sum(ft_attempted) as fta,
                   sum(off_rebounds) as oreb, sum(def_rebounds) as dreb, sum(turnovers) as tov,
                   sum(minutes) as minutes
            from nba_raw.gamebook_player_stats
            where game_id not in ({DEFECT_ROWS})
            group by all
        )
        select count(*) as n,
               count(*) filter (where p.points <> t.points or p.fg_made <> t.fg_made
                   or p.fga <> t.fg_attempted or p.tpm <> t.three_made or p.fta <> t.ft_attempted
                   or p.oreb <> t.off_rebounds or p.dreb <> t.def_rebounds
                   or p.tov <> t.turnovers or p.minutes <> t.minutes) as bad,
               count(*) filter (where t.minutes not in (240, 265, 290, 315)) as bad_minutes
        from players as p join nba_raw.team_box_scores as t using (game_id, team_abbr)
    """).fetchone()
    n, bad, bad_minutes = mismatches
    assert n > 1000 and bad == 0 and bad_minutes == 0
    # Winners match the schedule's final score.
    assert con.execute("""
        select count(*) from nba_raw.schedule s
        join nba_raw.team_box_scores h on h.game_id = s.game_id and h.team_abbr = s.home_team_abbr
        where s.home_score <> h.points
    """).fetchone() == (0,)


def test_player_lines_are_internally_consistent(con) -> None:
    bad = con.execute(f"""
        select count(*) filter (where points <> 2 * fg_made + three_made + ft_made),
               count(*) filter (where fg_made > fg_attempted or three_made > three_attempted
                                or ft_made > ft_attempted or three_attempted > fg_attempted),
               count(*) filter (where player_status <> 'active' and minutes <> 0),
               count(*) filter (where player_status = 'dnp' and dnp_reason is null),
               count(*) filter (where minutes > 48 + 5 * 3)
        from nba_raw.gamebook_player_stats where game_id not in ({DEFECT_ROWS})
    """).fetchone()
    assert bad == (0, 0, 0, 0, 0)


def test_shot_events_match_box_score_attempts(con) -> None:
    diff = con.execute(f"""
        with shots as (
            select game_id, player_name, count(*) as fga, count(*) filter (where is_made) as fgm,
                   count(*) filter (where shot_zone = 'three') as tpa
            from nba_raw.shot_events group by all
        )
        select count(*) filter (where coalesce(s.fga, 0) <> g.fg_attempted
                                or coalesce(s.fgm, 0) <> g.fg_made
                                or coalesce(s.tpa, 0) <> g.three_attempted)
        from nba_raw.gamebook_player_stats g
        left join shots s using (game_id, player_name)
        where g.player_name is not null and g.game_id not in ({DEFECT_ROWS})
    """).fetchone()[0]
    assert diff == 0
    # Bigs take most shots in the paint, shooters from three: zone shares vary.
    spread = con.execute("""
        select max(share) - min(share) from (
            select player_name, avg((shot_zone = 'paint')::int) as share
            from nba_raw.shot_events group by 1 having count(*) >= 100)
    """).fetchone()[0]
    assert spread > 0.4


# ---------------------------------------------------------------------------
# defects, outages and in-game data
# ---------------------------------------------------------------------------
DEFECT_CHECKS = {
    "late_box_score": """select count(*) from nba_raw.gamebook_player_stats g
        where g.game_id = $key and g.loaded_at >= g.game_date + interval 1 day + interval 12 hour""",
    "missing_team_box": """select (select count(*) from nba_raw.team_box_scores
            where game_id = split_part($key, '|', 1) and team_abbr = split_part($key, '|', 2)) = 0
        and (select count(*) from nba_raw.gamebook_player_stats
            where game_id = split_part($key, '|', 1) and team_abbr = split_part($key, '|', 2)) > 0""",
    "null_player_name": """select case when $table = 'gamebook_player_stats' then
            (select count(*) from nba_raw.gamebook_player_stats where player_name is null
             and game_id = split_part($key, '|', 1))
        else (select count(*) from nba_raw.odds_api_player_points_props where player_name is null
             and event_id = split_part($key, '|', 1)) end""",
    "unknown_team_code": """select count(*) from nba_raw.gamebook_player_stats
        where team_abbr = 'XXX' and game_id = split_part($key, '|', 1)""",
    "negative_points": """select count(*) from nba_raw.gamebook_player_stats
        where points < 0 and game_id = split_part($key, '|', 1)""",
    "impossible_minutes": """select count(*) from nba_raw.gamebook_player_stats
        where minutes = 80 and game_id = split_part($key, '|', 1)""",
    "line_zero": """select count(*) from nba_raw.odds_api_player_points_props
        where points_line = 0 and event_id = split_part($key, '|', 1)""",
    "line_too_high": """select count(*) from nba_raw.odds_api_player_points_props
        where points_line = 250 and event_id = split_part($key, '|', 1)""",
    "duplicate_snapshot": """select max(n) >= 2 from (select count(*) as n
        from nba_raw.odds_api_player_points_props
        where event_id = split_part($key, '|', 1) and bookmaker = split_part($key, '|', 2)
          and player_name = split_part($key, '|', 3)
        group by all_columns_placeholder)""",
    "postponed_game": """select count(*) from nba_raw.schedule
        where game_id = $key and game_status = 'postponed' and home_score is null""",
    "odds_api_outage_date": """select count(*) = 0 from nba_raw.odds_api_player_points_props
        where game_date = cast($key as date)""",
    "odds_api_missed_game": """select count(*) = 0 from nba_raw.odds_api_player_points_props
        where game_date = cast(split_part($key, '|', 1) as date)
          and home_team_abbr = split_part($key, '|', 2)""",
}
ODDS_COLUMNS = ", ".join(c for c, _ in SCHEMAS["odds_api_player_points_props"])


def test_every_defect_in_the_manifest_is_in_the_raw_tables(con) -> None:
    rows = con.execute(
        "select kind, table_name, record_key from nba_raw.generation_manifest").fetchall()
    kinds = {kind for kind, _, _ in rows}
    assert set(DEFECT_CHECKS) <= kinds, set(DEFECT_CHECKS) - kinds
    for kind, table, key in rows:
        if kind not in DEFECT_CHECKS:
            continue
        sql = DEFECT_CHECKS[kind].replace("all_columns_placeholder", ODDS_COLUMNS)
        (found,) = con.execute(sql, {"key": key, "table": table} if "$table" in sql
                               else {"key": key}).fetchone()
        assert found, (kind, key)


def test_defects_are_few(con) -> None:
    counts = dict(con.execute("""
        select kind, count(*) from nba_raw.generation_manifest group by kind""").fetchall())
    for kind in DEFECT_CHECKS:
        assert 1 <= counts[kind] <= 40, kind


def test_snapshots_and_reports_after_tipoff_exist(con) -> None:
    after_odds = con.execute("""select count(*) from nba_raw.odds_api_player_points_props
        where snapshot_at > commence_at""").fetchone()[0]
    before_odds = con.execute("""select count(*) from nba_raw.odds_api_player_points_props
        where snapshot_at <= commence_at""").fetchone()[0]
    after_bp = con.execute("""select count(*) from nba_raw.bettingpros_player_points_props b
        join nba_raw.schedule s on s.game_date = b.game_date
         and b.team_abbr in (s.home_team_abbr, s.away_team_abbr)
        where b.created_at > s.tipoff_at""").fetchone()[0]
    after_injury = con.execute("""select count(*) from nba_raw.injury_report r
        join nba_raw.schedule s on s.game_date = r.game_date
         and r.team_abbr in (s.home_team_abbr, s.away_team_abbr)
        where r.report_at > s.tipoff_at""").fetchone()[0]
    assert 0 < after_odds < before_odds / 10
    assert after_bp > 0 and after_injury > 0
    # In-game lines differ wildly from the pre-game ones for the same player.
    moved = con.execute("""
        with pre as (select event_id, bookmaker, player_name, max(points_line) as line
                     from nba_raw.odds_api_player_points_props where snapshot_at <= commence_at
                       and points_line between 1 and 100 group by all),
             post as (select event_id, bookmaker, player_name, max(points_line) as line
                      from nba_raw.odds_api_player_points_props where snapshot_at > commence_at
                      group by all)
        select avg(abs(post.line - pre.line)) from pre join post using (event_id, bookmaker, player_name)
    """).fetchone()[0]
    assert moved > 3


def test_every_table_has_loaded_at_and_interface_columns(con) -> None:
    for table, columns in SCHEMAS.items():
        actual = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'nba_raw' "
            "and table_name = ? order by ordinal_position", [table]).fetchall()]
        assert actual == [c for c, _ in columns], table
        assert "loaded_at" in actual


# ---------------------------------------------------------------------------
# rosters, trades, injuries
# ---------------------------------------------------------------------------
def test_traded_players_switch_teams_on_the_trade_date(con) -> None:
    trades = con.execute("""
        select record_key, game_date, split_part(detail, ' -> ', 1), split_part(detail, ' -> ', 2)
        from nba_raw.generation_manifest where kind = 'trade'
    """).fetchall()
    assert len(trades) >= 4
    for player, day, old, new in trades:
        teams = con.execute("""
            select bool_and(team_abbr = $old) filter (where roster_date < $day),
                   bool_and(team_abbr = $new) filter (where roster_date >= $day),
                   count(*) filter (where roster_date >= $day)
            from nba_raw.rosters where player_name = $player
        """, {"player": player, "day": day, "old": old, "new": new}).fetchone()
        assert teams[0] is not False and teams[1] is True and teams[2] > 0, (player, day)
        box_teams = con.execute("""
            select count(*) filter (where game_date < $day and team_abbr <> $old),
                   count(*) filter (where game_date >= $day and team_abbr <> $new)
            from nba_raw.gamebook_player_stats where player_name = $player and team_abbr <> 'XXX'
        """, {"player": player, "day": day, "old": old, "new": new}).fetchone()
        assert box_teams == (0, 0), (player, day)


def test_rosters_have_15_to_18_players_with_two_way(con) -> None:
    sizes = con.execute("""
        select min(n), max(n), min(tw), max(tw) from (
            select roster_date, team_abbr, count(*) as n,
                   count(*) filter (where roster_status = 'two_way') as tw
            from nba_raw.rosters group by all)
    """).fetchone()
    assert sizes[0] >= 15 and sizes[1] <= 18 and sizes[2] >= 1 and sizes[3] <= 3


def test_injured_players_are_out_on_the_pre_tipoff_report(con) -> None:
    rows = con.execute("""
        with latest as (
            select r.game_date, r.team_abbr, r.player_name,
                   arg_max(r.injury_status, r.report_at) as status
            from nba_raw.injury_report r
            join nba_raw.schedule s on s.game_date = r.game_date
             and r.team_abbr in (s.home_team_abbr, s.away_team_abbr)
            where r.report_at < s.tipoff_at
            group by all
        )
        select count(*) filter (where g.dnp_reason like 'Injury/Illness%' and l.status is distinct from 'Out'),
               count(*) filter (where g.dnp_reason like 'Injury/Illness%'),
               count(*) filter (where g.player_status = 'active' and g.minutes > 0
                                and l.status = 'Questionable'),
               count(*) filter (where g.player_status = 'active' and g.minutes > 0 and l.status = 'Out')
        from nba_raw.gamebook_player_stats g
        join nba_raw.schedule s using (game_id)
        left join latest l on l.game_date = g.game_date and l.team_abbr = g.team_abbr
         and l.player_name = g.player_name
        where s.game_type in ('regular', 'playoffs')
    """).fetchone()
    not_out, injured, questionable_played, out_played = rows
    assert injured > 100 and not_out == 0
    assert out_played == 0
    # Questionable (in the morning or until tipoff), then played.
    morning_q = con.execute("""
        select count(*) from nba_raw.injury_report r
        join nba_raw.gamebook_player_stats g on g.game_date = r.game_date
         and g.player_name = r.player_name
        where r.injury_status = 'Questionable' and g.player_status = 'active' and g.minutes > 0
    """).fetchone()[0]
    assert morning_q > 20 and questionable_played > 0


def test_scale_multiplies_snapshot_density() -> None:
    import datetime as dt

    from python_hooks.sample_data.generator import Config, generate

    def snapshots_per_line(scale: int) -> float:
        built = generate(Config(seasons=(2021,), as_of=dt.date(2021, 11, 1), scale=scale))
        odds = built.tables["odds_api_player_points_props"]
        pre = odds["snapshot_at"] <= odds["commence_at"]
        keys = {(e, b, p) for e, b, p in zip(odds["event_id"][pre], odds["bookmaker"][pre],
                                             odds["player_name"][pre])}
        return pre.sum() / len(keys)

    one, three = snapshots_per_line(1), snapshots_per_line(3)
    assert 4 <= one <= 7
    assert three > 2.5 * one
