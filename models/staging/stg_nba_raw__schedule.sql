{#- Valid, deduplicated rows of the base model (rejects: stg_rejected_rows). -#}
with validated as (
    select * from {{ ref('base_nba_raw__schedule') }}
),

final as (
    select
        game_id,
        nba_game_id,
        game_date,
        tipoff_at,
        season_year,
        game_type,
        home_team_abbr,
        away_team_abbr,
        game_status,
        home_score,
        away_score,
        playoff_round,
        loaded_at
    from validated
    where reject_reason is null
)

select * from final
