-- One gap row per (player_lookup, game_date), however often builds rerun.
with gaps as (
    select * from {{ ref('feature_store_gaps') }}
),

final as (
    select
        player_lookup,
        game_date,
        count(*) as row_count
    from gaps
    group by player_lookup, game_date
    having count(*) > 1
)

select * from final
