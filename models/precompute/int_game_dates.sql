{#-
    Every date with at least one counted game (regular season or playoffs,
    not postponed), with its season: the dates phase 4 precomputes.
-#}
with schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
),

final as (
    select
        game_date,
        {{ fs_season_year('game_date') }} as season_year
    from schedule
    where
        {{ is_feature_game('game_type') }}
        and game_status != 'postponed'
    group by game_date
)

select * from final
