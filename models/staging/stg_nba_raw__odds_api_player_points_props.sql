{#-
    Valid, deduplicated odds snapshots (rejects: stg_rejected_rows), with the
    schedule's game_id: the odds API event_id is its own, so the game is
    matched on (game_date, home team, away team). game_id is NULL when no
    scheduled game matches.
-#}
with validated as (
    select * from {{ ref('base_nba_raw__odds_api_player_points_props') }}
),

schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
),

props as (
    select * from validated
    where reject_reason is null
),

final as (
    select
        props.snapshot_at,
        props.event_id,
        schedule.game_id,
        props.game_date,
        props.commence_at,
        props.home_team_abbr,
        props.away_team_abbr,
        props.bookmaker,
        props.player_name,
        props.player_lookup,
        props.points_line,
        props.over_price,
        props.under_price,
        props.snapshot_at <= props.commence_at as is_pre_tipoff,
        props.loaded_at
    from props
    left join schedule
        on
            props.game_date = schedule.game_date
            and props.home_team_abbr = schedule.home_team_abbr
            and props.away_team_abbr = schedule.away_team_abbr
)

select * from final
