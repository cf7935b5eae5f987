{#- Valid, deduplicated rows of the base model (rejects: stg_rejected_rows). -#}
with validated as (
    select * from {{ ref('base_nba_raw__gamebook_player_stats') }}
),

final as (
    select
        game_id,
        game_date,
        team_abbr,
        player_name,
        player_lookup,
        player_status,
        dnp_reason,
        minutes,
        points,
        fg_made,
        fg_attempted,
        three_made,
        three_attempted,
        ft_made,
        ft_attempted,
        off_rebounds,
        def_rebounds,
        assists,
        steals,
        blocks,
        turnovers,
        fouls,
        is_starter,
        loaded_at
    from validated
    where reject_reason is null
)

select * from final
