{#-
    Every active player of a season (on a roster that season or in a box
    score of it) x every game date of that season: the rows of the daily
    cache. A roster snapshot's season is that of its roster_date.
-#}
with game_dates as (
    select * from {{ ref('int_game_dates') }}
),

rosters as (
    select * from {{ ref('stg_nba_raw__rosters') }}
),

games as (
    select * from {{ ref('player_game_summary') }}
),

season_players as (
    select
        player_lookup,
        {{ fs_season_year('roster_date') }} as season_year
    from rosters
    where player_lookup is not null
    union distinct
    select
        player_lookup,
        season_year
    from games
    where player_lookup is not null
),

final as (
    select
        season_players.player_lookup,
        season_players.season_year,
        game_dates.game_date as spine_date
    from season_players
    inner join game_dates
        on season_players.season_year = game_dates.season_year
)

select * from final
