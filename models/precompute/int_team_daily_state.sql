{#-
    Each team's state as of the START of each game date of its season (only
    team games with game_date < state_date), via an as-of join to
    int_team_game_state.
-#}
with game_dates as (
    select * from {{ ref('int_game_dates') }}
),

team_states as (
    select * from {{ ref('int_team_game_state') }}
),

season_teams as (
    select distinct
        team_abbr,
        season_year
    from team_states
),

spine as (
    select
        season_teams.team_abbr,
        season_teams.season_year,
        game_dates.game_date as state_date
    from season_teams
    inner join game_dates
        on season_teams.season_year = game_dates.season_year
),

as_of as (
    {{ fs_asof(
        spine='spine', spine_date='state_date',
        events='team_states', event_date='game_date',
        keys=['team_abbr', 'season_year'],
        asof_column='last_game_date') }}
),

final as (
    select
        as_of.state_date,
        as_of.team_abbr,
        as_of.season_year,
        as_of.last_game_date,
        coalesce(team_states.team_games_season, 0) as team_games_season,
        coalesce(team_states.team_wins_season, 0) as team_wins_season,
        team_states.pace_avg_last_10,
        team_states.off_rating_avg_last_10,
        team_states.def_rating_avg_last_15,
        team_states.pace_avg_last_15,
        team_states.opp_paint_attempts_last_15,
        team_states.opp_paint_made_last_15,
        team_states.opp_mid_range_attempts_last_15,
        team_states.opp_mid_range_made_last_15,
        team_states.opp_three_attempts_last_15,
        team_states.opp_three_made_last_15
    from as_of
    left join team_states
        on
            as_of.team_abbr = team_states.team_abbr
            and as_of.season_year = team_states.season_year
            and as_of.last_game_date = team_states.game_date
)

select * from final
