"""Staging (phase 2) and analytics (phase 3) on a real generated warehouse.

One module-scoped build: the `small` preset generated into a tmp dir, then
`dbt build --select +staging +analytics` (seed, models, data tests and unit
tests) with its own target/log dirs. The assertions then check what the dbt
tests cannot see on their own: every defect the generator injected (its
`generation_manifest`) is caught with a reason, nothing rejected reaches the
analytics models, every raw row is accounted for, and one player gets one
player_lookup in every source (checked against the generator's own Python
rule as an independent oracle).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from conftest import BuiltWarehouse, run_nba_fs
from python_hooks.sample_data.names import normalize_player_lookup

pytestmark = pytest.mark.dbt

# Staging model (stg_nba_raw__<name>) -> the raw table it reads.
STAGED: dict[str, str] = {
    "schedule": "nbac_schedule",
    "gamebook_player_stats": "nbac_gamebook_player_stats",
    "shot_events": "bigdataball_play_by_play",
    "team_box_scores": "nbac_team_boxscore",
    "injury_report": "nbac_injury_report",
    "rosters": "espn_team_rosters",
    "odds_api_player_points_props": "odds_api_player_points_props",
    "bettingpros_player_points_props": "bettingpros_player_points_props",
}
# Manifest kind -> (raw table, reject_reason staging must give it).
REJECTED_KINDS: dict[str, tuple[str, str]] = {
    "null_player_name": ("", "null_player_name"),  # table from the manifest
    "unknown_team_code": ("nbac_gamebook_player_stats", "unknown_team_abbr"),
    "negative_points": ("nbac_gamebook_player_stats", "negative_points"),
    "impossible_minutes": ("nbac_gamebook_player_stats", "impossible_minutes"),
    "line_zero": ("odds_api_player_points_props", "line_out_of_range"),
    "line_too_high": ("odds_api_player_points_props", "line_out_of_range"),
    "duplicate_snapshot": ("odds_api_player_points_props", "duplicate"),
}
# Manifest kinds that are reloads: the raw table holds a game twice (a box
# score reloaded later, a schedule row with a second, conflicting status);
# staging keeps one and rejects the other copy as a duplicate.
RELOADED_KINDS = {
    "reloaded_box_score": ("nbac_gamebook_player_stats", "gamebook_player_stats"),
    "conflicting_schedule_status": ("nbac_schedule", "schedule"),
}
DUPLICATE_REASONS = ("duplicate", "conflicting_duplicate")
# Raw rows that are not defects but outside the feature store's scope:
# staging sets them aside with these reasons and is_defect = false.
OUT_OF_SCOPE_REASONS = {
    "other_market": "bettingpros_player_points_props",
    "under_side": "bettingpros_player_points_props",
    "not_a_shot": "bigdataball_play_by_play",
}
# Manifest kinds that are facts of life, not defects: staging keeps them.
KEPT_KINDS = {
    "late_box_score", "missing_team_box", "trade", "call_up", "waived",
    "postponed_game", "after_tipoff_snapshot", "after_tipoff_injury_report",
    "odds_api_missed_game", "odds_api_outage_date",
}


def raw_table(name: str) -> str:
    """The raw table a manifest or reject row names, by its raw name or by
    its staging model's name."""
    return STAGED.get(name, name)


# stg_rejected_rows.source_table as a raw table name (SQL).
REJECT_SOURCE = "case source_table {} else source_table end".format(
    " ".join(f"when '{stg}' then '{raw}'" for stg, raw in STAGED.items()))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    work = tmp_path_factory.mktemp("staging_analytics")
    db = work / "nba.duckdb"
    run_nba_fs(["generate", "--db", str(db), "--preset", "small"], db=db, work=work)
    warehouse = BuiltWarehouse(db=db, work=work)
    warehouse.dbt("build", "--select", "+staging", "+analytics")
    return warehouse


@pytest.fixture(scope="module")
def con(built: BuiltWarehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(built.db), read_only=True)
    yield connection
    connection.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return con.execute(sql, list(params)).fetchall()


def scalar(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> Any:
    return con.execute(sql, list(params)).fetchone()[0]


def test_every_manifest_kind_is_classified(con: duckdb.DuckDBPyConnection) -> None:
    kinds = {kind for (kind,) in rows(con, "select distinct kind from nba_raw.generation_manifest")}
    unknown = kinds - set(REJECTED_KINDS) - KEPT_KINDS - set(RELOADED_KINDS)
    assert not unknown, f"new generator defect kinds to classify here: {sorted(unknown)}"
    # The small preset injects every reject-worthy defect at least once.
    assert set(REJECTED_KINDS) <= kinds and set(RELOADED_KINDS) <= kinds


def test_reloaded_games_are_staged_once(con: duckdb.DuckDBPyConnection) -> None:
    """A reloaded box score's players and a schedule row with two statuses
    are staged once each; the other copy is a rejected duplicate."""
    for kind, (table, model) in RELOADED_KINDS.items():
        keys = rows(con, "select record_key, game_date from nba_raw.generation_manifest"
                         " where kind = ?", kind)
        assert keys, kind
        for record_key, game_date in keys:
            game_id = record_key.split("|")[0]
            if model == "schedule":
                staged = scalar(con, "select count(*) from nba_staging.stg_nba_raw__schedule"
                                     " where nba_game_id = ? and game_date = ?", game_id, game_date)
                assert staged == 1, (kind, record_key)
            else:
                staged, players = rows(
                    con, f"select count(*), count(distinct player_lookup)"
                         f" from nba_staging.stg_nba_raw__{model} where game_id = ?", game_id)[0]
                assert staged == players > 0, (kind, record_key)
            duplicates = scalar(
                con,
                f"select count(*) from nba_staging.stg_rejected_rows"
                f" where {REJECT_SOURCE} = ? and reject_reason in {DUPLICATE_REASONS}"
                " and strpos(raw_record, ?) > 0",
                table, f'"{game_id}"',
            )
            assert duplicates > 0, (kind, record_key)


def test_each_injected_defect_is_rejected_with_its_reason(
    con: duckdb.DuckDBPyConnection,
) -> None:
    manifest = rows(
        con,
        "select kind, table_name, record_key from nba_raw.generation_manifest",
    )
    caught: dict[str, int] = {}
    expected: dict[str, int] = {}
    for kind, table, record_key in manifest:
        if kind not in REJECTED_KINDS:
            continue
        reject_table, reason = REJECTED_KINDS[kind]
        reject_table = raw_table(reject_table or table)
        expected[kind] = expected.get(kind, 0) + 1
        # The first key part (game_id or odds event_id) is in the raw row.
        first_key = record_key.split("|")[0]
        found = scalar(
            con,
            """
            select count(*) from nba_staging.stg_rejected_rows
            where {REJECT_SOURCE} = ? and reject_reason = ? and is_defect
              and strpos(raw_record, ?) > 0
            """.format(REJECT_SOURCE=REJECT_SOURCE),
            reject_table, reason, f'"{first_key}"',
        )
        if found:
            caught[kind] = caught.get(kind, 0) + 1
    assert caught == expected


def test_reject_counts_match_the_manifest(con: duckdb.DuckDBPyConnection) -> None:
    by_reason = dict(
        rows(
            con,
            f"""
            select {REJECT_SOURCE} || ':' || reject_reason, count(*)
            from nba_staging.stg_rejected_rows group by all
            """,
        )
    )
    manifest: dict[str, int] = {}
    for kind, table, count in rows(
        con, "select kind, table_name, count(*) from nba_raw.generation_manifest group by all"
    ):
        key = f"{kind}:{raw_table(table)}"
        manifest[key] = manifest.get(key, 0) + count
    assert by_reason["odds_api_player_points_props:duplicate"] == manifest[
        "duplicate_snapshot:odds_api_player_points_props"
    ]
    assert by_reason["odds_api_player_points_props:line_out_of_range"] == (
        manifest["line_zero:odds_api_player_points_props"]
        + manifest["line_too_high:odds_api_player_points_props"]
    )
    assert by_reason["nbac_gamebook_player_stats:null_player_name"] == manifest[
        "null_player_name:nbac_gamebook_player_stats"
    ]
    # Every rejected row is readable: a key, a reason, whether it is a
    # defect, and for a defect the raw JSON.
    assert scalar(
        con,
        """
        select count(*) from nba_staging.stg_rejected_rows
        where record_key is null or reject_reason is null or is_defect is null
           or (is_defect and json_extract(raw_record, '$') is null)
        """,
    ) == 0


def test_out_of_scope_rows_are_set_aside_not_counted_as_defects(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Other BettingPros markets, under sides and play-by-play events other
    than shots are set aside with is_defect = false, without their JSON;
    every other reason is a defect."""
    found = rows(
        con,
        f"""
        select {REJECT_SOURCE}, reject_reason, is_defect, count(*),
               count(raw_record)
        from nba_staging.stg_rejected_rows group by all
        """,
    )
    not_defects = {(table, reason) for table, reason, is_defect, _, _ in found if not is_defect}
    assert not_defects == {(table, reason) for reason, table in OUT_OF_SCOPE_REASONS.items()}
    assert all(with_json == 0 for _, _, is_defect, _, with_json in found if not is_defect)
    assert all(reason not in OUT_OF_SCOPE_REASONS
               for _, reason, is_defect, _, _ in found if is_defect)
    # the sample has each kind, and in volume (most BettingPros rows)
    counts = {reason: count for _, reason, is_defect, count, _ in found if not is_defect}
    assert min(counts.values()) > 100, counts


@pytest.mark.parametrize("table", sorted(STAGED))
def test_every_raw_row_is_kept_or_rejected(con: duckdb.DuckDBPyConnection, table: str) -> None:
    raw = scalar(con, f"select count(*) from nba_raw.{STAGED[table]}")
    kept = scalar(con, f"select count(*) from nba_staging.stg_nba_raw__{table}")
    rejected = scalar(
        con,
        f"select count(*) from nba_staging.stg_rejected_rows where {REJECT_SOURCE} = ?",
        STAGED[table],
    )
    assert raw > 0
    assert kept + rejected == raw


def test_rejected_lines_never_reach_player_game_summary(
    con: duckdb.DuckDBPyConnection,
) -> None:
    bad = scalar(
        con,
        """
        select count(*) from nba_analytics.player_game_summary as pgs
        left join nba_reference.nba_teams as teams
            on pgs.team_abbr = teams.team_abbr
        where pgs.points < 0 or pgs.minutes > 70 or pgs.minutes < 0
           or pgs.player_lookup is null or pgs.player_lookup = ''
           or teams.team_abbr is null
           or pgs.fg_made > pgs.fg_attempted
           or pgs.points != 2 * pgs.fg_made + pgs.three_made + pgs.ft_made
        """,
    )
    assert bad == 0
    # The exact rows the generator corrupted are absent.
    for kind in ("negative_points", "impossible_minutes", "unknown_team_code"):
        for (record_key,) in rows(
            con, "select record_key from nba_raw.generation_manifest where kind = ?", kind
        ):
            game_id, _team, name = record_key.split("|")
            assert scalar(
                con,
                """
                select count(*) from nba_analytics.player_game_summary
                where game_id = ? and player_lookup = ?
                """,
                game_id, normalize_player_lookup(name),
            ) == 0, (kind, record_key)


def test_late_box_scores_are_kept_and_missing_team_boxes_fall_back(
    con: duckdb.DuckDBPyConnection,
) -> None:
    for (game_id,) in rows(
        con,
        "select record_key from nba_raw.generation_manifest where kind = 'late_box_score'",
    ):
        assert scalar(
            con,
            "select count(*) from nba_analytics.player_game_summary where game_id = ?",
            game_id,
        ) > 0, game_id
    for (record_key,) in rows(
        con,
        "select record_key from nba_raw.generation_manifest where kind = 'missing_team_box'",
    ):
        game_id, team = record_key.split("|")
        source, minutes, possessions = rows(
            con,
            """
            select stats_source, team_minutes, possessions
            from nba_analytics.team_offense_game_summary
            where game_id = ? and team_abbr = ?
            """,
            game_id, team,
        )[0]
        assert source == "player_sum"
        assert minutes >= 240 and possessions > 0


def test_team_box_and_player_sum_agree(con: duckdb.DuckDBPyConnection) -> None:
    """Where both exist, the sum of player points equals the team box points
    (except games with a rejected player line)."""
    mismatches = scalar(
        con,
        """
        with sums as (
            select game_id, team_abbr, sum(points) as points
            from nba_staging.stg_nba_raw__gamebook_player_stats
            group by all
        ),
        rejected_games as (
            select distinct json_extract_string(raw_record, '$.game_id') as game_id
            from nba_staging.stg_rejected_rows
            where source_table in ('gamebook_player_stats', 'nbac_gamebook_player_stats')
        )
        select count(*)
        from nba_analytics.team_offense_game_summary as team
        inner join sums using (game_id, team_abbr)
        where team.stats_source = 'team_box' and team.points != sums.points
          and team.game_id not in (select game_id from rejected_games)
        """,
    )
    assert mismatches == 0


def test_sql_player_lookup_matches_the_python_rule(con: duckdb.DuckDBPyConnection) -> None:
    """normalize_player_lookup (SQL) against the generator's Python rule, on
    every distinct name every source prints."""
    pairs = rows(
        con,
        """
        select distinct player_name, player_lookup
        from nba_staging.stg_nba_raw__gamebook_player_stats
        union
        select distinct player_name, player_lookup
        from nba_staging.stg_nba_raw__odds_api_player_points_props
        union
        select distinct player_name, player_lookup
        from nba_staging.stg_nba_raw__bettingpros_player_points_props
        union
        select distinct player_name, player_lookup from nba_staging.stg_nba_raw__rosters
        union
        select distinct player_name, player_lookup
        from nba_staging.stg_nba_raw__injury_report
        """,
    )
    assert len(pairs) > 100
    wrong = [(name, key) for name, key in pairs if normalize_player_lookup(name) != key]
    assert wrong == []
    names = {name for name, _ in pairs}
    assert {"Nikola Jokić", "P.J. Washington", "PJ Washington", "OG Anunoby",
            "O.G. Anunoby", "D'Angelo Russell", "Jrue Holiday"} & names


@pytest.mark.parametrize(
    ("model", "min_share"),
    [
        ("stg_nba_raw__odds_api_player_points_props", 1.0),
        ("stg_nba_raw__bettingpros_player_points_props", 1.0),
        ("stg_nba_raw__injury_report", 0.99),
        ("stg_nba_raw__rosters", 0.95),
    ],
)
def test_sources_share_player_lookups_with_box_scores(
    con: duckdb.DuckDBPyConnection, model: str, min_share: float
) -> None:
    total, matched = rows(
        con,
        f"""
        select
            count(distinct src.player_lookup),
            count(distinct box.player_lookup)
        from nba_staging.{model} as src
        left join (
            select distinct player_lookup
            from nba_staging.stg_nba_raw__gamebook_player_stats
        ) as box on src.player_lookup = box.player_lookup
        """,
    )[0]
    assert total > 0
    assert matched / total >= min_share, (model, matched, total)


def test_analytics_grains_are_unique(con: duckdb.DuckDBPyConnection) -> None:
    grains = {
        "player_game_summary": "game_id, player_lookup",
        "team_offense_game_summary": "game_id, team_abbr",
        "team_defense_game_summary": "game_id, defending_team_abbr",
        "upcoming_player_game_context": "game_date, player_lookup",
    }
    for model, key in grains.items():
        total, distinct = rows(
            con,
            f"select count(*), count(distinct ({key})) from nba_analytics.{model}",
        )[0]
        assert total > 0 and total == distinct, model


def test_only_regular_and_playoff_games(con: duckdb.DuckDBPyConnection) -> None:
    for model in ("player_game_summary", "team_offense_game_summary",
                  "upcoming_player_game_context"):
        types = {t for (t,) in rows(con, f"select distinct game_type from nba_analytics.{model}")}
        assert types <= {"regular", "playoffs"}, model


def test_upcoming_context_who_gets_a_row(con: duckdb.DuckDBPyConnection) -> None:
    # Past games: the box-score players who were active or DNP, nobody else.
    missing, extra = rows(
        con,
        """
        with box as (
            select game_date, player_lookup from nba_analytics.player_game_summary
            where player_status in ('active', 'dnp')
        ),
        ctx as (
            select game_date, player_lookup
            from nba_analytics.upcoming_player_game_context where is_past_game
        )
        select
            (select count(*) from (select * from box except select * from ctx)),
            (select count(*) from (select * from ctx except select * from box))
        """,
    )[0]
    assert (missing, extra) == (0, 0)
    # Scheduled games: never an OUT player, only within the horizon.
    upcoming, out, beyond = rows(
        con,
        """
        with last_final as (
            select max(game_date) as d from nba_staging.stg_nba_raw__schedule
            where game_status = 'final' and game_type in ('regular', 'playoffs')
        )
        select
            count(*),
            count(*) filter (where injury_status = 'out'),
            count(*) filter (where game_date > (select d from last_final) + 2)
        from nba_analytics.upcoming_player_game_context
        where not is_past_game
        """,
    )[0]
    assert upcoming > 0 and out == 0 and beyond == 0


def test_injury_status_uses_only_pre_tipoff_reports(con: duckdb.DuckDBPyConnection) -> None:
    """Oracle: arg_max over reports published at or before tipoff."""
    mismatches = scalar(
        con,
        """
        with oracle as (
            select
                ctx.game_date,
                ctx.player_lookup,
                arg_max(inj.injury_status, inj.report_at) as injury_status
            from nba_analytics.upcoming_player_game_context as ctx
            inner join nba_staging.stg_nba_raw__injury_report as inj
                on inj.game_date = ctx.game_date
                and inj.player_lookup = ctx.player_lookup
                and inj.report_at <= ctx.tipoff_at
            group by all
        )
        select count(*)
        from nba_analytics.upcoming_player_game_context as ctx
        left join oracle using (game_date, player_lookup)
        where ctx.injury_status is distinct from oracle.injury_status
        """,
    )
    assert mismatches == 0
    assert scalar(
        con,
        "select count(injury_status) from nba_analytics.upcoming_player_game_context",
    ) > 0


def test_rest_days_and_back_to_backs(con: duckdb.DuckDBPyConnection) -> None:
    """Oracle: a plain loop over each team's schedule."""
    games = rows(
        con,
        """
        select game_id, game_date, season_year, home_team_abbr, away_team_abbr
        from nba_staging.stg_nba_raw__schedule
        where game_type in ('regular', 'playoffs') and game_status != 'postponed'
        order by game_date, tipoff_at
        """,
    )
    last: dict[tuple[str, int], Any] = {}
    expected: dict[tuple[str, str], int | None] = {}
    for game_id, game_date, season, home, away in games:
        for team in (home, away):
            previous = last.get((team, season))
            expected[(game_id, team)] = None if previous is None else (game_date - previous).days
            last[(team, season)] = game_date
    actual = rows(
        con,
        """
        select game_id, team_abbr, opponent_team_abbr, days_rest,
               opponent_days_rest, is_back_to_back
        from nba_analytics.upcoming_player_game_context
        """,
    )
    assert actual
    for game_id, team, opponent, rest, opp_rest, b2b in actual:
        assert rest == expected[(game_id, team)]
        assert opp_rest == expected[(game_id, opponent)]
        assert b2b == (rest == 1)


def test_pace_and_usage_are_plausible(con: duckdb.DuckDBPyConnection) -> None:
    pace_lo, pace_hi, regulation_pace, overtime_pace = rows(
        con,
        """
        select min(pace), max(pace),
               avg(pace) filter (where overtime_periods = 0),
               avg(pace) filter (where overtime_periods > 0)
        from nba_analytics.team_offense_game_summary
        """,
    )[0]
    assert 50 < pace_lo and pace_hi < 150
    # Pace is per 48 minutes: overtime games are not inflated by ~10%.
    assert abs(overtime_pace - regulation_pace) < 5
    usage_avg, usage_null_with_minutes = rows(
        con,
        """
        select avg(usage_rate) filter (where minutes >= 10),
               count(*) filter (where minutes > 0 and usage_rate is null)
        from nba_analytics.player_game_summary
        """,
    )[0]
    assert 15 < usage_avg < 25
    assert usage_null_with_minutes == 0
