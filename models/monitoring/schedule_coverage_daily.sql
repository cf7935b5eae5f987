{{ config(**date_window_incremental_config(
    'game_date', require_partition_filter=false)) }}

{#-
    The schedule canary: for every date of the window with counted games
    scheduled, how many players its teams' latest rosters hold and how many
    feature rows the store has. It judges the schedule, not the feature
    pipeline: a date whose players vanished upstream (no expected players
    either) still has a row here, with feature_rows = 0, and its gate fails.
    Dates after the window's last date (the rest of a season's schedule on
    a full build) are not judged: they are not due yet.
-#}

with schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
),

rosters as (
    select * from {{ ref('stg_nba_raw__rosters') }}
),

features as (
    select * from {{ ref('ml_feature_store_v2') }}
    where {{ in_date_window('game_date') }}
),

counted_games as (
    select * from schedule
    where
        {{ is_feature_game('game_type') }}
        and game_status != 'postponed'
        and {{ in_date_window('game_date') }}
        and game_date <= {{ date_literal(date_window_bounds()[1]) }}
),

scheduled_teams as (
    select
        game_date,
        home_team_abbr as team_abbr
    from counted_games
    union all
    select
        game_date,
        away_team_abbr as team_abbr
    from counted_games
),

latest_roster_dates as (
    select
        scheduled_teams.game_date,
        scheduled_teams.team_abbr,
        max(rosters.roster_date) as roster_date
    from scheduled_teams
    inner join rosters
        on
            scheduled_teams.team_abbr = rosters.team_abbr
            and scheduled_teams.game_date >= rosters.roster_date
    group by scheduled_teams.game_date, scheduled_teams.team_abbr
),

rostered_counts as (
    select
        latest_roster_dates.game_date,
        count(*) as rostered_players
    from latest_roster_dates
    inner join rosters
        on
            latest_roster_dates.team_abbr = rosters.team_abbr
            and latest_roster_dates.roster_date = rosters.roster_date
    group by latest_roster_dates.game_date
),

game_dates as (
    select
        game_date,
        min(season_year) as season_year,
        count(*) as games_scheduled
    from counted_games
    group by game_date
),

feature_counts as (
    select
        game_date,
        count(*) as feature_rows
    from features
    group by game_date
),

joined as (
    select
        game_dates.game_date,
        game_dates.season_year,
        game_dates.games_scheduled,
        coalesce(rostered_counts.rostered_players, 0) as rostered_players,
        coalesce(feature_counts.feature_rows, 0) as feature_rows
    from game_dates
    left join rostered_counts
        on game_dates.game_date = rostered_counts.game_date
    left join feature_counts
        on game_dates.game_date = feature_counts.game_date
),

final as (
    select
        game_date,
        season_year,
        games_scheduled,
        rostered_players,
        feature_rows,
        {#- No rows is 0% even when no roster was loaded (then the roster
            feed failed as well); rows without a roster are not judged. -#}
        case
            when feature_rows = 0 then 0.0
            else {{ pct_of('feature_rows', 'rostered_players') }}
        end as feature_rows_pct_of_rostered
    from joined
)

select * from final
