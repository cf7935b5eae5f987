{#- Valid, deduplicated rows of the base model (rejects: stg_rejected_rows). -#}
with validated as (
    select * from {{ ref('base_nba_raw__injury_report') }}
),

final as (
    select
        report_at,
        game_date,
        team_abbr,
        player_name,
        player_lookup,
        injury_status,
        injury_reason,
        loaded_at
    from validated
    where reject_reason is null
)

select * from final
