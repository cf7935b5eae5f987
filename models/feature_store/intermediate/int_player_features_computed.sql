{{ config(**date_window_incremental_config('game_date', ['player_lookup'])) }}
{#-
    The 39 feature values and their RAW source labels (features.md), one row
    per upcoming_player_game_context row. Each feature's value is computed
    as a column named after it in the contract (var feature_contract), which
    fs_feature_columns turns into f<i>_value. f<i>_value is NULL when nothing
    usable was found; f<i>_raw_source says where the value came from or why
    it is absent. Calculated / phase3 features always have a value (the
    contract's neutral value when their inputs are short).
    ml_feature_store_v2 turns these into the final vector and quality fields.
-#}
with inputs as (
    select * from {{ ref('int_player_feature_inputs') }}
    where {{ in_date_window('game_date') }}
),

-- player-history, matchup and context values as found
base_values as (
    select
        *,
        team_pace_last_10 as team_pace,
        team_off_rating_last_10 as team_off_rating,
        vegas_current_line as vegas_points_line,
        case
            when vegas_current_line is not null then 1.0 else 0.0
        end as has_vegas_line,
        {#- NULL without games vs the opponent: the source is then
            `fallback` and the vector carries the contract's stand-in (the
            season average, feature 2), see macro feature_vector_element -#}
        case
            when games_vs_opponent > 0 then points_avg_vs_opponent
        end as avg_points_vs_opponent
    from inputs
),

derived as (
    select
        *,
        case
            when
                points_avg_last_5 is null
                or points_avg_season is null
                or points_std_last_10 is null
                or points_std_last_10 = 0
                then 0.0
            else {{ fs_clamp(
                '(points_avg_last_5 - points_avg_season) / points_std_last_10',
                -3, 3) }}
        end as pts_vs_season_zscore
    from base_values
),

calculated as (
    select
        *,
        case
            when days_rest is null or opponent_days_rest is null then 0.0
            else {{ fs_clamp('days_rest - opponent_days_rest', -2, 2) }}
        end as rest_advantage,
        case injury_status
            when 'probable' then 1.0
            when 'questionable' then 2.0
            when 'doubtful' then 3.0
            when 'out' then 3.0
            else 0.0
        end as injury_risk,
        case
            when
                games_played_season < 5
                or points_avg_last_3 is null
                or points_avg_games_4_5 is null
                then 0.0
            when points_avg_last_3 - points_avg_games_4_5 >= 5 then 2.0
            when points_avg_last_3 - points_avg_games_4_5 >= 2 then 1.0
            when points_avg_last_3 - points_avg_games_4_5 <= -5 then -2.0
            when points_avg_last_3 - points_avg_games_4_5 <= -2 then -1.0
            else 0.0
        end as recent_trend,
        case
            when not (minutes_avg_season > 0) then 0.0
            when minutes_avg_last_10 / minutes_avg_season - 1 >= 0.20 then 2.0
            when minutes_avg_last_10 / minutes_avg_season - 1 >= 0.10 then 1.0
            when minutes_avg_last_10 / minutes_avg_season - 1 <= -0.20
                then -2.0
            when minutes_avg_last_10 / minutes_avg_season - 1 <= -0.10
                then -1.0
            else 0.0
        end as minutes_change,
        case when is_home then 1.0 else 0.0 end as home_away,
        case when is_back_to_back then 1.0 else 0.0 end as back_to_back,
        case when is_playoffs then 1.0 else 0.0 end as playoff_game,
        case
            when games_in_window_10 >= 5 and points_sum_last_10 > 0
                then {{ fs_clamp(
                    'ft_made_sum_last_10 / points_sum_last_10', 0, 0.5) }}
            else 0.15
        end as pct_free_throw,
        case
            when team_games_season >= 5
                then
                    cast(team_wins_season as {{ dbt.type_float() }})
                    / team_games_season
            else 0.5
        end as team_win_pct,
        case
            when appearances_last_10 >= 3
                then
                    cast(dnp_last_10 as {{ dbt.type_float() }})
                    / appearances_last_10
            else 0.0
        end as dnp_rate,
        case
            when games_in_window_10 >= 5
                then coalesce(points_slope_last_10, 0.0)
            else 0.0
        end as pts_slope_10g,
        case
            when
                points_avg_last_5 is not null
                and points_avg_season is not null
                and points_std_last_10 is not null
                and points_avg_last_5
                > points_avg_season + 1.5 * points_std_last_10
                then 1.0
            else 0.0
        end as breakout_flag,
        -- breakout risk components (features.md, feature 37)
        {{ fs_clamp('(pts_vs_season_zscore + 1.5) / 3.0 * 100', 0, 100) }} as risk_hot,
        case
            when not (points_avg_last_10 > 0) then 50
            when points_avg_last_5 / points_avg_last_10 - 1 <= -0.20 then 100
            when points_avg_last_5 / points_avg_last_10 - 1 <= -0.10 then 75
            when points_avg_last_5 / points_avg_last_10 - 1 >= 0.10 then 30
            else 50
        end as risk_cold,
        0.6 * case
            when not (points_avg_season > 0) or points_std_last_10 is null then 10
            when points_std_last_10 / points_avg_season >= 0.60 then 60
            when points_std_last_10 / points_avg_season >= 0.40 then 45
            when points_std_last_10 / points_avg_season >= 0.25 then 25
            else 10
        end
        + 0.4 * case
            when not (points_avg_season > 0) or points_max_last_5 is null then 10
            when points_max_last_5 / points_avg_season >= 1.8 then 40
            when points_max_last_5 / points_avg_season >= 1.5 then 25
            else 10
        end as risk_vol,
        case
            when coalesce(opponent_def_rating, 112.0) >= 116 then 90
            when coalesce(opponent_def_rating, 112.0) >= 113 then 70
            when coalesce(opponent_def_rating, 112.0) >= 110 then 50
            when 50 - 4 * (110 - coalesce(opponent_def_rating, 112.0)) < 10
                then 10
            else 50 - 4 * (110 - coalesce(opponent_def_rating, 112.0))
        end as risk_def,
        0.6 * coalesce(
            {{ fs_clamp('(usage_rate_last_10 - 15) / 15.0 * 100', 0, 100) }},
            0
        )
        + 0.4 * case
            when teammates_out_points_avg_sum >= 30 then 100
            when teammates_out_points_avg_sum >= 20 then 80
            when teammates_out_points_avg_sum >= 12 then 50
            when teammates_out_points_avg_sum >= 5 then 30
            else 20
        end as risk_opp,
        10 + 90 * case
            when
                coalesce(games_in_window_10, 0) = 0
                or breakout_games_last_10 is null
                then 0
            when
                cast(breakout_games_last_10 as {{ dbt.type_float() }})
                / games_in_window_10 / 0.35 > 1
                then 1
            else
                cast(breakout_games_last_10 as {{ dbt.type_float() }})
                / games_in_window_10 / 0.35
        end as risk_hist,
        case
            when
                points_avg_season > 0
                and points_std_last_10 / points_avg_season >= 0.60
                then 1
            else 0
        end
        + case
            when
                points_avg_last_10 > 0
                and points_avg_last_5 / points_avg_last_10 - 1 <= -0.20
                then 1
            else 0
        end
        + case when usage_rate_last_10 >= 18 then 1 else 0 end
        + case when is_home then 1 else 0 end
        + case when games_in_last_7_days <= 2 then 1 else 0 end
            as composite_breakout_signal
    from derived
),

feature_values as (
    select
        *,
        round(
            {{ fs_clamp(fs_breakout_risk_weighted_sum(), 0, 100) }},
            1
        ) as breakout_risk_score
    from calculated
),

{#- present-source expression where it is not the contract's constant -#}
{%- set history_source = "coalesce(history_source, 'phase4')" %}
{%- set present_source_of = {
    0: history_source, 1: history_source, 2: history_source,
    3: history_source, 4: history_source,
    22: 'team_context_source', 23: 'team_context_source',
    31: "case when history_source = 'phase3' then 'phase3'"
        ~ " else 'minutes_ppm' end",
    32: "case when history_source = 'phase3' then 'phase3'"
        ~ " else 'minutes_ppm' end"} %}

final as (
    select
        game_date,
        player_lookup,
        player_name,
        game_id,
        season_year,
        team_abbr,
        opponent_team_abbr,
        is_home,
        days_rest,
        injury_status,
        games_played_season,
        load_minutes_last_7_days
        / nullif(load_games_last_7_days, 0) as minutes_avg_last_7_days,
        vegas_line_source,
        vegas_sportsbook,
        not has_cache_row as cache_miss_fallback_used,
        {{ fs_feature_columns(present_source_of) }}
    from feature_values
)

select * from final
