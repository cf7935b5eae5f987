{#- Valid, deduplicated rows of the base model (rejects: stg_rejected_rows). -#}
with validated as (
    select * from {{ ref('base_nba_raw__shot_events') }}
),

final as (
    select
        game_id,
        event_num,
        player_name,
        player_lookup,
        team_abbr,
        period,
        clock,
        shot_zone,
        shot_distance_ft,
        is_made,
        loaded_at
    from validated
    where reject_reason is null
)

select * from final
