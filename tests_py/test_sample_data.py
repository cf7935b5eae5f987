"""The sample-data generator: determinism, names, schedule, consistency,
production quirks, defects.

Uses the fast `small` preset (2021-22 up to 2022-01-15), generated through the
real CLI into tmp dirs. The tables are the production raw tables; the temp
views below read them with the rules staging applies (one schedule row per
game, the newest load of a reloaded box score), so the checks read as checks
of the game data and not of the load history.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from python_hooks import raw_contract
from python_hooks.cli import main as nba_fs
from python_hooks.sample_data.generator import SCHEMAS
from python_hooks.sample_data.names import (
    LOOKUP_CASES,
    STRESS_NAMES,
    injury_report_lookup,
    normalize_player_lookup,
    suffix_stripped_lookup,
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


VIEWS = """
    create temp view games as
    select game_id as nba_game_id, game_date,
           strftime(game_date, '%Y%m%d') || '_' || away_team_tricode || '_' || home_team_tricode as game_id,
           game_date_est as tipoff_at, season_year,
           case when is_playoffs then 'playoffs' when is_regular_season then 'regular' end as game_type,
           home_team_tricode as home_team_abbr, away_team_tricode as away_team_abbr,
           case when game_status = 3 and home_team_score is null then 'postponed'
                when game_status = 3 then 'final' when game_status = 2 then 'live'
                else 'scheduled' end as game_status,
           home_team_score as home_score, away_team_score as away_score
    from nba_raw.nbac_schedule
    qualify row_number() over (partition by game_id, game_date
                               order by game_status desc, processed_at desc) = 1;
    create temp view gamebook as
    select * from nba_raw.nbac_gamebook_player_stats
    qualify processed_at = max(processed_at) over (partition by game_id);
    create temp view team_box as
    select * from nba_raw.nbac_team_boxscore
    qualify processed_at = max(processed_at) over (partition by game_id);
    create temp view shots as
    select * from nba_raw.bigdataball_play_by_play where event_type = 'shot';
"""


@pytest.fixture
def con(small_db: Path):
    connection = duckdb.connect(str(small_db), read_only=True)
    connection.execute(VIEWS)
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
        assert _table_digest(a, "nbac_gamebook_player_stats") != _table_digest(c, "nbac_gamebook_player_stats")


def test_generate_replaces_raw_tables_and_leaves_other_schemas(tmp_path: Path) -> None:
    db = tmp_path / "raw.duckdb"
    with duckdb.connect(str(db)) as setup:
        setup.execute("create schema nba_analytics")
        setup.execute("create table nba_analytics.keep_me as select 1 as x")
        setup.execute("create schema nba_raw")
        setup.execute("create table nba_raw.nbac_schedule as select 'stale' as game_id")
        # A table of the sample's former layout.
        setup.execute("create table nba_raw.schedule as select 'stale' as game_id")
    _generate(db)
    with duckdb.connect(str(db), read_only=True) as check:
        assert check.execute("select x from nba_analytics.keep_me").fetchall() == [(1,)]
        assert check.execute(
            "select count(*) from nba_raw.nbac_schedule where game_id = 'stale'").fetchone() == (0,)
        tables = {t for (t,) in check.execute(
            "select table_name from information_schema.tables where table_schema = 'nba_raw'").fetchall()}
        assert tables == set(SCHEMAS)


def test_an_as_of_date_before_any_game_is_refused(tmp_path: Path, capsys) -> None:
    db = tmp_path / "early.duckdb"
    assert nba_fs(["generate", "--db", str(db), "--seasons", "2021", "--as-of", "2021-10-01"]) == 2
    assert "as-of date with games" in capsys.readouterr().err
    assert not db.exists()


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
        "select distinct player_name from nba_raw.nbac_gamebook_player_stats where player_name is not null"
        " and name_resolution_status in ('original', 'resolved')"
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
            from nba_raw.nbac_gamebook_player_stats where player_name is not null
        """).fetchall() if normalize_player_lookup(name) != sql_key
    ]
    assert disagree == []
    # Accented box-score names appear as ASCII in the odds feed.
    accented = con.execute(
        "select count(*) from nba_raw.nbac_gamebook_player_stats where player_name like '%ć%'").fetchone()[0]
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
# the raw interface: tables, columns, types, NOT NULL
# ---------------------------------------------------------------------------
def test_every_table_has_exactly_the_contract_columns_and_types(con) -> None:
    contract = raw_contract.tables()
    assert set(SCHEMAS) == set(contract) | {"generation_manifest"}
    for table, columns in contract.items():
        actual = con.execute(
            "select column_name, data_type from information_schema.columns where table_schema = 'nba_raw' "
            "and table_name = ? order by ordinal_position", [table]).fetchall()
        assert actual == [(c.name, raw_contract.duckdb_type(c.bq_type)) for c in columns], table
    manifest = [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'nba_raw' "
        "and table_name = 'generation_manifest' order by ordinal_position").fetchall()]
    assert manifest == ["kind", "table_name", "record_key", "game_date", "detail", "loaded_at"]


def test_not_null_columns_hold_no_nulls_but_the_injected_ones(con) -> None:
    injected = dict(con.execute("""
        select table_name, count(*) from nba_raw.generation_manifest
        where kind = 'null_player_name' group by 1""").fetchall())
    for table, columns in raw_contract.tables().items():
        nn = [c.name for c in columns if c.not_null]
        counts = con.execute(
            "select count(*), " + ", ".join(f"count(*) - count({c})" for c in nn)
            + f" from nba_raw.{table}").fetchone()
        assert counts[0] > 0, table
        nulls = {c: n for c, n in zip(nn, counts[1:]) if n}
        expected = {"player_name": injected[table]} if table in injected and "player_name" in nn else {}
        assert nulls == expected, table
    # data_hash: 16 hex digits, distinct for distinct content.
    bad, distinct = con.execute("""select count(*) filter (where not regexp_full_match(data_hash, '[0-9a-f]{16}')),
                                   count(distinct data_hash) = count(*)
                                   from nba_raw.bigdataball_play_by_play""").fetchone()
    assert bad == 0 and distinct


# ---------------------------------------------------------------------------
# schedule
# ---------------------------------------------------------------------------
def test_schedule_has_1230_regular_games_82_per_team(con) -> None:
    assert con.execute(
        "select count(*) from games where game_type = 'regular' "
        "and game_status <> 'postponed'").fetchone() == (1230,)
    per_team = con.execute("""
        with sides as (
            select home_team_abbr as team, 1 as home from games
            where game_type = 'regular' and game_status <> 'postponed'
            union all
            select away_team_abbr, 0 from games
            where game_type = 'regular' and game_status <> 'postponed'
        )
        select team, count(*), sum(home) from sides group by team
    """).fetchall()
    assert len(per_team) == 30
    assert {(n, h) for _, n, h in per_team} == {(82, 41)}


def test_schedule_calendar_rules(con) -> None:
    # Tipoffs 7:00-10:30 PM Eastern; no team twice a day; postponed game made up.
    bad_tip = con.execute("""
        select count(*) from games
        where strftime(timezone('America/New_York', timezone('UTC', tipoff_at)), '%H:%M')
              not between '19:00' and '22:30'
    """).fetchone()[0]
    assert bad_tip == 0
    twice = con.execute("""
        with sides as (
            select game_date, home_team_abbr as team from games
            union all
            select game_date, away_team_abbr from games
        )
        select count(*) from (select game_date, team from sides group by all having count(*) > 1)
    """).fetchone()[0]
    assert twice == 0
    # Production loads regular-season and playoff games only.
    assert con.execute("""select count(*) from nba_raw.nbac_schedule
        where is_all_star or not (is_regular_season or is_playoffs)""").fetchone() == (0,)
    assert con.execute("select count(*) from games where game_type is null").fetchone() == (0,)
    # Games on/after the as-of date are scheduled and have no box scores.
    assert con.execute("""
        select count(*) from gamebook g join games s using (game_id)
        where s.game_status <> 'final' or s.game_date >= date '2022-01-15'
    """).fetchone() == (0,)
    # Scores and the status text only where production sets them.
    assert con.execute("""select count(*) from nba_raw.nbac_schedule
        where (home_team_score is not null) <> (game_status = 3 and home_team_score is not null)
           or game_status_text <> case game_status when 1 then 'Scheduled' when 2 then 'In Progress'
                                                   when 3 then 'Final' end
           or game_code <> strftime(game_date, '%Y%m%d') || '/' || away_team_tricode || home_team_tricode
           or not regexp_full_match(game_id, '00[24][0-9]{7}')""").fetchone() == (0,)


def test_postponed_game_keeps_its_id_on_the_make_up_date(con) -> None:
    (key, day), = con.execute("""select record_key, game_date from nba_raw.generation_manifest
                                 where kind = 'postponed_game'""").fetchall()
    rows = con.execute("""select game_date, game_status, home_team_score from nba_raw.nbac_schedule
                          where game_id = ? order by game_date""", [key]).fetchall()
    assert len(rows) == 2
    (first_day, first_status, first_score), (later_day, _, later_score) = rows
    assert first_day == day and first_status == 3 and first_score is None
    assert later_day > day and later_score is None  # made up after the as-of date
    assert con.execute("select game_status from games where nba_game_id = ? and game_date = ?",
                       [key, day]).fetchone() == ("postponed",)


def test_conflicting_schedule_rows(con) -> None:
    rows = con.execute("""
        select m.record_key, list(s.game_status order by s.processed_at), count(distinct s.processed_at)
        from nba_raw.generation_manifest m
        join nba_raw.nbac_schedule s
          on s.game_id = split_part(m.record_key, '|', 1)
         and s.game_date = cast(split_part(m.record_key, '|', 2) as date)
        where m.kind = 'conflicting_schedule_status' group by 1
    """).fetchall()
    assert len(rows) >= 2
    assert all(statuses == [1, 3] and n == 2 for _, statuses, n in rows), rows
    # Every other (game_id, game_date) has one row.
    assert con.execute("""select count(*) from (select game_id, game_date from nba_raw.nbac_schedule
                          group by all having count(*) > 1)""").fetchone() == (len(rows),)


# ---------------------------------------------------------------------------
# consistency of the box scores (defect rows from the manifest excluded)
# ---------------------------------------------------------------------------
DEFECT_ROWS = """
    select split_part(record_key, '|', 1) as game_id from nba_raw.generation_manifest
    where table_name = 'nbac_gamebook_player_stats'
      and kind in ('negative_points', 'impossible_minutes', 'unknown_team_code', 'null_player_name')
"""


def test_team_box_equals_sum_of_players(con) -> None:
    mismatches = con.execute(f"""
        with players as (
            select game_id, team_abbr, sum(points) as points, sum(field_goals_made) as fg_made,
                   sum(field_goals_attempted) as fga, sum(three_pointers_made) as tpm,
                   sum(free_throws_attempted) as fta, sum(offensive_rebounds) as oreb,
                   sum(defensive_rebounds) as dreb, sum(turnovers) as tov, sum(assists) as ast,
                   sum(personal_fouls) as pf, sum(minutes_decimal) as minutes
            from gamebook
            where game_id not in ({DEFECT_ROWS})
            group by all
        )
        select count(*) as n,
               count(*) filter (where p.points <> t.points or p.fg_made <> t.fg_made
                   or p.fga <> t.fg_attempted or p.tpm <> t.three_pt_made or p.fta <> t.ft_attempted
                   or p.oreb <> t.offensive_rebounds or p.dreb <> t.defensive_rebounds
                   or p.tov <> t.turnovers or p.ast <> t.assists or p.pf <> t.personal_fouls
                   or abs(p.minutes - cast(split_part(t.minutes, ':', 1) as int)) > 1e-6) as bad,
               count(*) filter (where t.minutes not in ('240:00', '265:00', '290:00', '315:00')) as bad_minutes,
               count(*) filter (where t.total_rebounds <> t.offensive_rebounds + t.defensive_rebounds
                   or abs(t.fg_percentage - t.fg_made / t.fg_attempted) > 0.0006) as bad_derived
        from players as p join team_box as t using (game_id, team_abbr)
    """).fetchone()
    n, bad, bad_minutes, bad_derived = mismatches
    assert n > 1000 and bad == 0 and bad_minutes == 0 and bad_derived == 0
    # Winners match the schedule's final score; one home and one away row per game.
    assert con.execute("""
        select count(*) from games s
        join team_box h on h.game_id = s.game_id and h.is_home
        where s.home_score <> h.points or h.team_abbr <> s.home_team_abbr or h.nba_game_id <> s.nba_game_id
    """).fetchone() == (0,)
    assert con.execute("""select count(*) from (select game_id from team_box group by 1
                          having count(*) = 2 and count(distinct is_home) <> 2)""").fetchone() == (0,)


def test_player_lines_are_internally_consistent(con) -> None:
    bad = con.execute(f"""
        select count(*) filter (where points <> 2 * field_goals_made + three_pointers_made + free_throws_made),
               count(*) filter (where field_goals_made > field_goals_attempted
                                or three_pointers_made > three_pointers_attempted
                                or free_throws_made > free_throws_attempted
                                or three_pointers_attempted > field_goals_attempted),
               count(*) filter (where player_status <> 'active'
                                and (minutes is not null or minutes_decimal is not null or points is not null
                                     or assists is not null or plus_minus is not null)),
               count(*) filter (where player_status = 'dnp' and dnp_reason not like 'DNP - %'),
               count(*) filter (where minutes_decimal > 48 + 5 * 3),
               count(*) filter (where player_status = 'active' and (not regexp_full_match(minutes, '[0-9]{{2}}:[0-5][0-9]')
                                or abs(minutes_decimal - (cast(split_part(minutes, ':', 1) as int)
                                       + cast(split_part(minutes, ':', 2) as int) / 60)) > 1e-9)),
               count(*) filter (where game_id <> strftime(game_date, '%Y%m%d') || '_' || away_team_abbr
                                || '_' || home_team_abbr or team_abbr not in (home_team_abbr, away_team_abbr)),
               count(*) filter (where total_rebounds <> offensive_rebounds + defensive_rebounds)
        from gamebook where game_id not in ({DEFECT_ROWS})
    """).fetchone()
    assert bad == (0, 0, 0, 0, 0, 0, 0, 0)
    # Minutes carry seconds, as the gamebook prints them.
    assert con.execute("select count(*) from gamebook where minutes not like '%:00'").fetchone()[0] > 1000


def test_inactive_names_and_lookups(con) -> None:
    rows = con.execute("""
        select name_resolution_status, count(*),
               count(*) filter (where player_name = player_name_original and player_name not like '% %'),
               count(*) filter (where player_lookup is distinct from
                                regexp_replace(lower(strip_accents(player_name)), '[^a-z0-9]', '', 'g'))
        from nba_raw.nbac_gamebook_player_stats where player_status = 'inactive' group by 1
    """).fetchall()
    by_status = {s: (n, surname_only, wrong) for s, n, surname_only, wrong in rows}
    assert set(by_status) == {"resolved", "not_found", "multiple_matches"}
    for status in ("not_found", "multiple_matches"):
        n, surname_only, wrong = by_status[status]
        assert n > 0 and surname_only == n and wrong == 0
    assert by_status["resolved"][0] > 20 * by_status["not_found"][0]
    # Lookups of resolved players keep suffixes.
    assert con.execute("""select count(*) from nba_raw.nbac_gamebook_player_stats
        where player_name like '% Jr.' and player_lookup not like '%jr'""").fetchone() == (0,)


def test_reloaded_games_repeat_their_rows(con) -> None:
    games = [k for (k,) in con.execute(
        "select record_key from nba_raw.generation_manifest where kind = 'reloaded_box_score'").fetchall()]
    assert len(games) >= 2
    for table in ("nbac_gamebook_player_stats", "nbac_team_boxscore"):
        loads = con.execute(f"""select count(distinct processed_at), count(*), count(distinct data_hash)
                                from nba_raw.{table} where game_id = ?""", [games[0]]).fetchone()
        assert loads[0] == 2 and loads[1] == 2 * loads[2], (table, loads)


def test_play_by_play_matches_box_score_attempts(con) -> None:
    diff = con.execute(f"""
        with s as (
            select game_id, player_1_name as player_name, count(*) as fga,
                   count(*) filter (where shot_made) as fgm,
                   count(*) filter (where event_subtype like '%3pt%') as tpa,
                   count(*) filter (where shot_type = '3PT') as tpa2
            from shots group by all
        ),
        ft as (
            select game_id, player_1_name as player_name, count(*) as fta
            from nba_raw.bigdataball_play_by_play where event_type = 'free throw' group by all
        )
        select count(*) filter (where coalesce(s.fga, 0) <> g.field_goals_attempted
                                or coalesce(s.fgm, 0) <> g.field_goals_made
                                or coalesce(s.tpa, 0) <> g.three_pointers_attempted
                                or coalesce(s.tpa2, 0) <> g.three_pointers_attempted
                                or coalesce(ft.fta, 0) <> g.free_throws_attempted)
        from gamebook g
        left join s using (game_id, player_name)
        left join ft using (game_id, player_name)
        where g.player_status = 'active' and g.game_id not in ({DEFECT_ROWS})
    """).fetchone()[0]
    assert diff == 0
    # Bigs take most shots in the paint, shooters from three: zone shares vary.
    spread = con.execute("""
        select max(share) - min(share) from (
            select player_1_name, avg((shot_distance <= 8)::int) as share
            from shots group by 1 having count(*) >= 100)
    """).fetchone()[0]
    assert spread > 0.4
    # A mid-range shot is never at paint distance; a three is marked as one.
    assert con.execute("""select count(*) from shots where (shot_type = '3PT') <> (event_subtype like '%3pt%')
                          or (shot_type = '2PT' and event_subtype like '%jump shot%'
                              and event_subtype not like 'floating%' and shot_distance <= 8)""").fetchone() == (0,)


def test_play_by_play_rows(con) -> None:
    per_game = con.execute("""
        select count(*), count(distinct game_id), count(distinct event_id),
               count(*) filter (where event_type = 'jump ball'),
               count(*) filter (where event_type not in ('shot', 'jump ball', 'free throw')),
               count(*) filter (where event_id <> game_id || '_' || event_sequence),
               count(*) filter (where not regexp_full_match(game_clock, '0:[01][0-9]:[0-5][0-9]')),
               count(*) filter (where shot_made is not null and event_type <> 'shot'),
               count(*) filter (where data_source <> 'bigdataball')
        from nba_raw.bigdataball_play_by_play
    """).fetchone()
    n, games, events, jumps, others, bad_id, bad_clock, bad_made, bad_source = per_game
    assert events == n and jumps == games and others == 0
    assert (bad_id, bad_clock, bad_made, bad_source) == (0, 0, 0, 0)
    # The first event of every game is its jump ball; bdb_game_id is the NBA.com id.
    assert con.execute("""select count(*) from nba_raw.bigdataball_play_by_play p
        left join games s using (game_id)
        where (p.event_sequence = 1) <> (p.event_type = 'jump ball')
           or p.bdb_game_id <> cast(s.nba_game_id as bigint)""").fetchone() == (0,)
    # The stored lookup drops suffixes (recompute from player_1_name).
    names = con.execute("""select distinct player_1_name, player_1_lookup from shots""").fetchall()
    assert all(lookup == suffix_stripped_lookup(name) for name, lookup in names)
    assert any(normalize_player_lookup(name) != lookup for name, lookup in names)


# ---------------------------------------------------------------------------
# defects, outages and in-game data
# ---------------------------------------------------------------------------
DEFECT_CHECKS = {
    "late_box_score": """select count(*) from nba_raw.nbac_gamebook_player_stats g
        where g.game_id = $key and g.processed_at >= g.game_date + interval 1 day + interval 12 hour""",
    "missing_team_box": """select (select count(*) from nba_raw.nbac_team_boxscore
            where game_id = split_part($key, '|', 1) and team_abbr = split_part($key, '|', 2)) = 0
        and (select count(*) from nba_raw.nbac_gamebook_player_stats
            where game_id = split_part($key, '|', 1) and team_abbr = split_part($key, '|', 2)) > 0""",
    "null_player_name": """select case when $table = 'nbac_gamebook_player_stats' then
            (select count(*) from nba_raw.nbac_gamebook_player_stats where player_name is null
             and game_id = split_part($key, '|', 1) and team_abbr = split_part($key, '|', 2))
        else (select count(*) from nba_raw.odds_api_player_points_props where player_name is null
             and odds_api_event_id = split_part($key, '|', 1) and bookmaker = split_part($key, '|', 2)
             and snapshot_timestamp = cast(split_part($key, '|', 4) as timestamp)) end""",
    "unknown_team_code": """select count(*) from nba_raw.nbac_gamebook_player_stats
        where team_abbr = 'XXX' and game_id = split_part($key, '|', 1)
          and player_name = split_part($key, '|', 3)""",
    "negative_points": """select count(*) from nba_raw.nbac_gamebook_player_stats
        where points < 0 and game_id = split_part($key, '|', 1) and player_name = split_part($key, '|', 3)""",
    "impossible_minutes": """select count(*) from nba_raw.nbac_gamebook_player_stats
        where minutes = '80:00' and minutes_decimal = 80 and game_id = split_part($key, '|', 1)
          and player_name = split_part($key, '|', 3)""",
    "line_zero": """select count(*) from nba_raw.odds_api_player_points_props
        where points_line = 0 and odds_api_event_id = split_part($key, '|', 1)
          and player_name = split_part($key, '|', 3)""",
    "line_too_high": """select count(*) from nba_raw.odds_api_player_points_props
        where points_line = 250 and odds_api_event_id = split_part($key, '|', 1)
          and player_name = split_part($key, '|', 3)""",
    "duplicate_snapshot": """select max(n) >= 2 from (select count(*) as n
        from nba_raw.odds_api_player_points_props
        where odds_api_event_id = split_part($key, '|', 1) and bookmaker = split_part($key, '|', 2)
          and player_name = split_part($key, '|', 3)
          and snapshot_timestamp = cast(split_part($key, '|', 4) as timestamp)
        group by all_columns_placeholder)""",
    "postponed_game": """select count(*) from nba_raw.nbac_schedule
        where game_id = $key and game_status = 3 and home_team_score is null""",
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
    assert {table for _, table, _ in rows} <= set(raw_contract.tables())
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


REPORT_AT = """timezone('UTC', timezone('America/New_York',
                   cast(r.report_date as timestamp) + to_hours(r.report_hour)))"""
BP_SCRAPED_AT = """strptime(regexp_extract(b.source_file_path, '([0-9]{8}_[0-9]{6})\\.json$', 1),
                            '%Y%m%d_%H%M%S')"""


def test_snapshots_and_reports_after_tipoff_exist(con) -> None:
    after_odds = con.execute("""select count(*) from nba_raw.odds_api_player_points_props
        where snapshot_timestamp > game_start_time""").fetchone()[0]
    before_odds = con.execute("""select count(*) from nba_raw.odds_api_player_points_props
        where snapshot_timestamp <= game_start_time""").fetchone()[0]
    assert con.execute("""select count(*) from nba_raw.odds_api_player_points_props
        where minutes_before_tipoff <> datediff('minute', snapshot_timestamp, game_start_time)""").fetchone() == (0,)
    after_bp = con.execute(f"""select count(*) from nba_raw.bettingpros_player_points_props b
        join games s on s.game_date = b.game_date
         and b.player_team in (s.home_team_abbr, s.away_team_abbr)
        where {BP_SCRAPED_AT} > s.tipoff_at""").fetchone()[0]
    after_injury = con.execute(f"""select count(*) from nba_raw.nbac_injury_report r
        join games s on s.game_id = r.game_id
        where {REPORT_AT} > s.tipoff_at""").fetchone()[0]
    assert 0 < after_odds < before_odds / 10
    assert after_bp > 0 and after_injury > 0
    # In-game lines differ wildly from the pre-game ones for the same player.
    moved = con.execute("""
        with pre as (select odds_api_event_id, bookmaker, player_name, max(points_line) as line
                     from nba_raw.odds_api_player_points_props where minutes_before_tipoff >= 0
                       and points_line between 1 and 100 group by all),
             post as (select odds_api_event_id, bookmaker, player_name, max(points_line) as line
                      from nba_raw.odds_api_player_points_props where minutes_before_tipoff < 0
                      group by all)
        select avg(abs(post.line - pre.line)) from pre join post using (odds_api_event_id, bookmaker, player_name)
    """).fetchone()[0]
    assert moved > 3


def test_odds_api_rows(con) -> None:
    rows = con.execute("""
        select count(*) filter (where not regexp_full_match(odds_api_event_id, '[0-9a-f]{32}')),
               count(*) filter (where game_id <> strftime(game_date, '%Y%m%d') || '_' || away_team_abbr
                                || '_' || home_team_abbr),
               count(*) filter (where over_price_american <> trunc(case when over_price >= 2
                                    then (over_price - 1) * 100 else -100 / (over_price - 1) end)),
               count(*) filter (where bookmaker not in ('draftkings', 'fanduel', 'betmgm', 'williamhill_us',
                                                        'betrivers', 'bovada')),
               count(*) filter (where player_lookup is distinct from
                                regexp_replace(lower(strip_accents(player_name)), '[^a-z0-9]', '', 'g')),
               count(distinct bookmaker)
        from nba_raw.odds_api_player_points_props
    """).fetchone()
    # Before 2025-12-28 every game_id is YYYYMMDD_AWAY_HOME (the small sample is 2021-22).
    assert rows[:5] == (0, 0, 0, 0, 0) and rows[5] == 6


def test_bettingpros_rows(con) -> None:
    sides = con.execute("""
        select count(*) from (
            select offer_id, book_id, source_file_path, list(bet_side order by bet_side) as sides
            from nba_raw.bettingpros_player_points_props group by all)
        where sides <> ['over', 'under']""").fetchone()[0]
    assert sides == 0
    markets = dict(con.execute("""select market_type, count(distinct market_id)
        from nba_raw.bettingpros_player_points_props group by 1""").fetchall())
    assert set(markets) == {"points", "assists", "rebounds", "threes"} and set(markets.values()) == {1}
    assert con.execute("""select count(*) from nba_raw.bettingpros_player_points_props
        where (book_id = 0) <> (bookmaker = 'BettingPros Consensus')
           or (market_type = 'points') <> (market_id = 156)
           or created_at <> processed_at
           or bookmaker_last_update > strptime(regexp_extract(source_file_path, '([0-9]{8}_[0-9]{6})\\.json$', 1),
                                               '%Y%m%d_%H%M%S')
           or not starts_with(source_file_path, 'bettingpros/player-props/' || market_type || '/'
                              || strftime(game_date, '%Y-%m-%d') || '/')""").fetchone() == (0,)
    # Before 2026-01-11 the stored lookup drops the suffix.
    names = con.execute("select distinct player_name, player_lookup from nba_raw.bettingpros_player_points_props"
                        ).fetchall()
    assert all(lookup == suffix_stripped_lookup(name) for name, lookup in names)


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
            from nba_raw.espn_team_rosters where player_full_name = $player
        """, {"player": player, "day": day, "old": old, "new": new}).fetchone()
        assert teams[0] is not False and teams[1] is True and teams[2] > 0, (player, day)
        box_teams = con.execute("""
            select count(*) filter (where game_date < $day and team_abbr <> $old),
                   count(*) filter (where game_date >= $day and team_abbr <> $new)
            from gamebook where player_name = $player and team_abbr <> 'XXX'
        """, {"player": player, "day": day, "old": old, "new": new}).fetchone()
        assert box_teams == (0, 0), (player, day)


def test_rosters_have_15_to_18_players(con) -> None:
    sizes = con.execute("""
        select min(n), max(n) from (
            select roster_date, team_abbr, count(*) as n from nba_raw.espn_team_rosters group by all)
    """).fetchone()
    assert sizes[0] >= 15 and sizes[1] <= 18
    assert con.execute("""select count(*) from nba_raw.espn_team_rosters
        where roster_status <> 'Active Roster' or scrape_hour <> 8 or birth_date is not null
           or age is not null or status not in ('Active', 'Out')""").fetchone() == (0,)
    # One ESPN id per player, and the pre-2026-01-11 lookup without suffix.
    assert con.execute("""select count(*) from (select player_full_name from nba_raw.espn_team_rosters
        group by 1 having count(distinct espn_player_id) > 1)""").fetchone() == (0,)
    names = con.execute("select distinct player_full_name, player_lookup from nba_raw.espn_team_rosters").fetchall()
    assert all(lookup == suffix_stripped_lookup(name) for name, lookup in names)
    assert con.execute("select count(*) filter (where status = 'Out') from nba_raw.espn_team_rosters"
                       ).fetchone()[0] > 0


def test_injury_report_rows(con) -> None:
    names = con.execute("""select distinct player_full_name, player_name_original, player_lookup
                           from nba_raw.nbac_injury_report""").fetchall()
    for full, original, lookup in names:
        first, _, rest = full.partition(" ")
        assert original == f"{rest}, {first}", full
        assert lookup == injury_report_lookup(full), full
    suffixed = [o for f, o, _ in names if f.endswith(" Jr.")]
    assert suffixed and all(", " in o and o.split(", ")[0].endswith(" Jr.") for o in suffixed)
    # The stored lookup is wrong for some players (e.g. every 'Jr.', 'Jrue', 'Iv...').
    assert any(lookup != normalize_player_lookup(full) for full, _, lookup in names)
    bad = con.execute("""select count(*) from nba_raw.nbac_injury_report r join games s using (game_id)
        where r.matchup <> s.away_team_abbr || '@' || s.home_team_abbr
           or r.team not in (s.home_team_abbr, s.away_team_abbr)
           or r.injury_status not in ('out', 'doubtful', 'questionable', 'probable', 'available')
           or r.game_time <> strftime(timezone('America/New_York', timezone('UTC', s.tipoff_at)), '%I:%M')
           or r.report_hour not between 0 and 23
           or r.reason_category not in ('injury', 'g_league', 'other')
           or r.season <> '2021-22'""").fetchone()[0]
    assert bad == 0


def test_injured_players_are_out_on_the_pre_tipoff_report(con) -> None:
    rows = con.execute(f"""
        with latest as (
            select r.game_date, r.team, r.player_full_name,
                   arg_max(r.injury_status, {REPORT_AT}) as status
            from nba_raw.nbac_injury_report r
            join games s using (game_id)
            where {REPORT_AT} < s.tipoff_at
            group by all
        )
        select count(*) filter (where g.dnp_reason like 'Injury/Illness%' and l.status is distinct from 'out'),
               count(*) filter (where g.dnp_reason like 'Injury/Illness%'),
               count(*) filter (where g.player_status = 'active' and g.minutes_decimal > 0
                                and l.status = 'questionable'),
               count(*) filter (where g.player_status = 'active' and g.minutes_decimal > 0 and l.status = 'out')
        from gamebook g
        join games s using (game_id)
        left join latest l on l.game_date = g.game_date and l.team = g.team_abbr
         and l.player_full_name = g.player_name
        where g.name_resolution_status in ('original', 'resolved')
    """).fetchone()
    not_out, injured, questionable_played, out_played = rows
    assert injured > 100 and not_out == 0
    assert out_played == 0
    # Questionable (in the morning or until tipoff), then played.
    morning_q = con.execute("""
        select count(*) from nba_raw.nbac_injury_report r
        join gamebook g on g.game_date = r.game_date and g.player_name = r.player_full_name
        where r.injury_status = 'questionable' and g.player_status = 'active' and g.minutes_decimal > 0
    """).fetchone()[0]
    assert morning_q > 20 and questionable_played > 0


def test_scale_multiplies_snapshot_density() -> None:
    import datetime as dt

    from python_hooks.sample_data.generator import Config, generate

    def snapshots_per_line(scale: int) -> float:
        built = generate(Config(seasons=(2021,), as_of=dt.date(2021, 11, 1), scale=scale))
        odds = built.tables["odds_api_player_points_props"]
        pre = odds["snapshot_timestamp"] <= odds["game_start_time"]
        keys = {(e, b, p) for e, b, p in zip(odds["odds_api_event_id"][pre], odds["bookmaker"][pre],
                                             odds["player_name"][pre])}
        return pre.sum() / len(keys)

    one, three = snapshots_per_line(1), snapshots_per_line(3)
    assert 4 <= one <= 7
    assert three > 2.5 * one
