{#- Valid, deduplicated rows of the base model (rejects: stg_rejected_rows). -#}
with validated as (
    select * from {{ ref('base_nba_raw__team_box_scores') }}
),

final as (
    select
        game_id,
        game_date,
        team_abbr,
        points,
        fg_made,
        fg_attempted,
        three_made,
        three_attempted,
        ft_made,
        ft_attempted,
        off_rebounds,
        def_rebounds,
        turnovers,
        team_minutes,
        loaded_at
    from validated
    where reject_reason is null
)

select * from final
