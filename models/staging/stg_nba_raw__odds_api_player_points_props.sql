{#-
    Valid, deduplicated odds snapshots (rejects: stg_rejected_rows), with the
    schedule's game_id (the base model matched the game on game_date, home
    team and away team: the feed's own game id is in mixed formats).
-#}
with validated as (
    select * from {{ ref('base_nba_raw__odds_api_player_points_props') }}
),

final as (
    select
        snapshot_at,
        event_id,
        game_id,
        game_date,
        commence_at,
        home_team_abbr,
        away_team_abbr,
        bookmaker,
        player_name,
        player_lookup,
        points_line,
        over_price,
        under_price,
        snapshot_at <= commence_at as is_pre_tipoff,
        loaded_at
    from validated
    where reject_reason is null
)

select * from final
