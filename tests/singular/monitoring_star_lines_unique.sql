-- One scraper-health row per (player_lookup, game_date).
with star_lines as (
    select * from {{ ref('scraper_health_star_lines') }}
    where {{ tested_partitions('game_date') }}
),

final as (
    select
        player_lookup,
        game_date,
        count(*) as row_count
    from star_lines
    group by player_lookup, game_date
    having count(*) > 1
)

select * from final
