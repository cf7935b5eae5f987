{{ config(**date_window_incremental_config('analysis_date', ['player_lookup'])) }}
{#-
    A player's shot-zone profile as of the START of analysis_date: zone shares
    of field-goal attempts over the last 10 played games of the season with
    at least one zoned attempt (shot events), and the primary zone. Players
    with no such game before the date have no row.
-#}
with spine as (
    select * from {{ ref('int_player_season_date_spine') }}
    where {{ in_date_window('spine_date') }}
),

games as (
    select * from {{ ref('player_game_summary') }}
),

zoned_games as (
    select
        player_lookup,
        season_year,
        game_id,
        game_date,
        coalesce(paint_attempts, 0) as paint_attempts,
        coalesce(mid_range_attempts, 0) as mid_range_attempts,
        coalesce(three_zone_attempts, 0) as three_attempts
    from games
    where
        is_played
        and coalesce(paint_attempts, 0) + coalesce(mid_range_attempts, 0)
        + coalesce(three_zone_attempts, 0) > 0
),

zone_states as (
    select
        player_lookup,
        season_year,
        game_date,
        count(*) over last_10 as zone_games,
        sum(paint_attempts) over last_10 as paint_attempts,
        sum(mid_range_attempts) over last_10 as mid_range_attempts,
        sum(three_attempts) over last_10 as three_attempts
    from zoned_games
    window last_10 as (
        partition by player_lookup, season_year
        order by game_date, game_id
        rows between 9 preceding and current row
    )
),

as_of as (
    {{ fs_asof(
        spine='spine', spine_date='spine_date',
        events='zone_states', event_date='game_date',
        keys=['player_lookup', 'season_year'],
        asof_column='last_zone_game_date') }}
),

shares as (
    select
        as_of.spine_date as analysis_date,
        as_of.player_lookup,
        as_of.season_year,
        zone_states.zone_games,
        zone_states.paint_attempts + zone_states.mid_range_attempts
        + zone_states.three_attempts as zone_attempts,
        cast(zone_states.paint_attempts as {{ dbt.type_float() }})
        / (
            zone_states.paint_attempts + zone_states.mid_range_attempts
            + zone_states.three_attempts
        ) as pct_paint,
        cast(zone_states.mid_range_attempts as {{ dbt.type_float() }})
        / (
            zone_states.paint_attempts + zone_states.mid_range_attempts
            + zone_states.three_attempts
        ) as pct_mid_range,
        cast(zone_states.three_attempts as {{ dbt.type_float() }})
        / (
            zone_states.paint_attempts + zone_states.mid_range_attempts
            + zone_states.three_attempts
        ) as pct_three
    from as_of
    inner join zone_states
        on
            as_of.player_lookup = zone_states.player_lookup
            and as_of.season_year = zone_states.season_year
            and as_of.last_zone_game_date = zone_states.game_date
),

final as (
    select
        analysis_date,
        player_lookup,
        season_year,
        zone_games,
        zone_attempts,
        pct_paint,
        pct_mid_range,
        pct_three,
        case
            when pct_paint >= 0.40 then 'paint'
            when pct_three >= 0.40 then 'perimeter'
            when pct_mid_range >= 0.35 then 'mid_range'
            else 'balanced'
        end as primary_zone,
        case
            when pct_paint >= 0.40 then pct_paint
            when pct_three >= 0.40 then pct_three
            when pct_mid_range >= 0.35 then pct_mid_range
            else pct_paint
        end as primary_zone_share
    from shares
)

select * from final
