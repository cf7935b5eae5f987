{#- Valid, deduplicated rows of the base model (rejects: stg_rejected_rows). -#}
with validated as (
    select * from {{ ref('base_nba_raw__rosters') }}
),

final as (
    select
        roster_date,
        team_abbr,
        player_name,
        player_lookup,
        position,
        birth_date,
        roster_status,
        loaded_at
    from validated
    where reject_reason is null
)

select * from final
