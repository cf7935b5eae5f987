{#- Valid, deduplicated rows of the base model (rejects: stg_rejected_rows). -#}
with validated as (
    select * from {{ ref('base_nba_raw__bettingpros_player_points_props') }}
),

final as (
    select
        created_at,
        game_date,
        player_name,
        player_lookup,
        team_abbr,
        market,
        book,
        points_line,
        opening_points_line,
        loaded_at
    from validated
    where reject_reason is null
)

select * from final
