{{ config(**date_window_incremental_config(
    'analysis_date', ['team_abbr'], require_partition_filter=false)) }}
{#-
    A team's defence as of the START of analysis_date: mean defensive rating
    and pace over its last 15 games of the season, and the field-goal
    percentage it allowed per zone over those games against the league
    average (all games of the last 30 days by teams with >= 10 games this
    season). *_vs_league columns are in FG% points; positive = the team
    defends that zone worse than the league.
-#}
with team_daily as (
    select * from {{ ref('int_team_daily_state') }}
),

defense as (
    select * from {{ ref('team_defense_game_summary') }}
),

window_team_daily as (
    select * from team_daily
    where {{ in_date_window('state_date') }}
),

league_offsets as (
    {{ fs_integers(1, 30, 'days_back') }}
),

-- each team game counts for the 30 dates after it
league_games as (
    select
        defense.defending_team_abbr as team_abbr,
        {{ fs_add_days('defense.game_date', 'league_offsets.days_back') }}
            as analysis_date,
        defense.opp_paint_attempts,
        defense.opp_paint_made,
        defense.opp_mid_range_attempts,
        defense.opp_mid_range_made,
        defense.opp_three_attempts,
        defense.opp_three_made
    from defense
    cross join league_offsets
),

league as (
    select
        league_games.analysis_date,
        count(distinct league_games.team_abbr) as league_teams,
        sum(league_games.opp_paint_made)
        / nullif(sum(league_games.opp_paint_attempts), 0)
            as league_paint_fg_pct,
        sum(league_games.opp_mid_range_made)
        / nullif(sum(league_games.opp_mid_range_attempts), 0)
            as league_mid_range_fg_pct,
        sum(league_games.opp_three_made)
        / nullif(sum(league_games.opp_three_attempts), 0)
            as league_three_fg_pct
    from league_games
    inner join team_daily
        on
            league_games.team_abbr = team_daily.team_abbr
            and league_games.analysis_date = team_daily.state_date
    where team_daily.team_games_season >= 10
    group by league_games.analysis_date
),

team_pct as (
    select
        state_date as analysis_date,
        team_abbr,
        season_year,
        team_games_season,
        least(team_games_season, 15) as games_in_window,
        def_rating_avg_last_15 as def_rating_last_15,
        pace_avg_last_15 as pace_last_15,
        opp_paint_made_last_15
        / nullif(opp_paint_attempts_last_15, 0) as opp_paint_fg_pct,
        opp_mid_range_made_last_15
        / nullif(opp_mid_range_attempts_last_15, 0) as opp_mid_range_fg_pct,
        opp_three_made_last_15
        / nullif(opp_three_attempts_last_15, 0) as opp_three_fg_pct
    from window_team_daily
    where team_games_season > 0
),

final as (
    select
        team_pct.analysis_date,
        team_pct.team_abbr,
        team_pct.season_year,
        team_pct.team_games_season,
        team_pct.games_in_window,
        team_pct.def_rating_last_15,
        team_pct.pace_last_15,
        team_pct.opp_paint_fg_pct,
        team_pct.opp_mid_range_fg_pct,
        team_pct.opp_three_fg_pct,
        league.league_teams,
        league.league_paint_fg_pct,
        league.league_mid_range_fg_pct,
        league.league_three_fg_pct,
        100 * (team_pct.opp_paint_fg_pct - league.league_paint_fg_pct)
            as paint_fg_pct_vs_league,
        100 * (
            team_pct.opp_mid_range_fg_pct - league.league_mid_range_fg_pct
        ) as mid_range_fg_pct_vs_league,
        100 * (team_pct.opp_three_fg_pct - league.league_three_fg_pct)
            as three_fg_pct_vs_league
    from team_pct
    left join league
        on team_pct.analysis_date = league.analysis_date
)

select * from final
