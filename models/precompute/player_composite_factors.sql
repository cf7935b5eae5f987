{{ config(**date_window_incremental_config('game_date', ['player_lookup'])) }}
{#-
    Features 5-8 (features.md): fatigue, shot-zone mismatch, pace and usage
    spike, from int_composite_factor_inputs. A factor is NULL (the feature
    layer labels it `default`) when its inputs are missing.
-#}
with inputs as (
    select * from {{ ref('int_composite_factor_inputs') }}
    where {{ in_date_window('game_date') }}
),

fatigue as (
    select
        *,
        100
        + case
            when is_back_to_back then -15
            when days_rest >= 3 then 5
            else 0
        end
        + case when games_last_7_days >= 4 then -10 else 0 end
        + case when minutes_last_7_days > 240 then -10 else 0 end
        + case
            when
                games_last_7_days > 0
                and minutes_last_7_days / games_last_7_days > 35
                then -8
            else 0
        end
        + case
            when back_to_backs_last_14_days >= 2 then -12
            when back_to_backs_last_14_days = 1 then -5
            else 0
        end
        + case
            when age_years >= 35 then -10
            when age_years >= 30 then -5
            else 0
        end as fatigue_raw,
        opponent_zone_fg_pct_vs_league
        * case
            when primary_zone_share is null then null
            when primary_zone_share / 0.5 < 1 then primary_zone_share / 0.5
            else 1
        end as zone_mismatch_raw,
        case
            when usage_rate_season is null then null
            when usage_rate_last_7_days is null then 0
            else 0.3 * (usage_rate_last_7_days - usage_rate_season)
        end as usage_spike_raw
    from inputs
),

final as (
    select
        game_date,
        player_lookup,
        game_id,
        team_abbr,
        opponent_team_abbr,
        primary_zone,
        star_teammates_out,
        teammates_out_points_avg_sum,
        cast(
            {{ fs_clamp('fatigue_raw', 0, 100) }} as {{ dbt.type_float() }}
        ) as fatigue_score,
        round(
            {{ fs_clamp(
                'case when abs(zone_mismatch_raw) > 5'
                ~ ' then zone_mismatch_raw * 1.2'
                ~ ' else zone_mismatch_raw end', -10, 10) }},
            1
        ) as shot_zone_mismatch_score,
        round(
            {{ fs_clamp(
                '(team_pace_last_10 - opponent_pace_last_10) / 2', -3, 3) }},
            1
        ) as pace_score,
        round(
            {{ fs_clamp(
                'case when usage_spike_raw > 0 and star_teammates_out >= 2'
                ~ ' then usage_spike_raw * 1.30'
                ~ ' when usage_spike_raw > 0 and star_teammates_out = 1'
                ~ ' then usage_spike_raw * 1.15'
                ~ ' else usage_spike_raw end', -3, 3) }},
            2
        ) as usage_spike_score
    from fatigue
)

select * from final
