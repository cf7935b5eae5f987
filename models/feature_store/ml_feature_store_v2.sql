{{ config(**date_window_incremental_config('game_date', ['player_lookup'])) }}

{#-
    The feature store: one row per (player_lookup, game_date) with the 39
    features as a vector, per-feature value / source / quality, and the
    row's quality fields (docs/quality.md). Every rule comes
    from dbt_project.yml vars through the macros in macros/quality/.
-#}

{%- set contract = var('feature_contract') -%}
{%- set raw = 'f{index}_raw_source' -%}
{%- set categories = feature_categories() -%}
{#- the vector: the value; for a default feature its stand-in's value when
    the contract names one (feature 29), else the contract default -#}
{%- set vector = [] -%}
{%- set names = [] -%}
{%- for feature in contract -%}
{%- do vector.append(
    feature_vector_element(feature, raw, 'readied.f{index}_value')) -%}
{%- do names.append(sql_literal(feature['name'])) -%}
{%- endfor %}

with computed as (
    select * from {{ ref('int_player_features_computed') }}
    where {{ in_date_window('game_date') }}
),

{% if is_incremental() %}
existing as (
    select
        player_lookup,
        game_date,
        created_at
    from {{ this }}
    where {{ in_date_window('game_date') }}
),
{% endif %}

counted as (
    select
        *,
        {{ default_feature_count(raw) }} as default_feature_count,
        {{ required_default_count(raw) }} as required_default_count,
        {{ vegas_default_count(raw) }} as vegas_default_count,
        {{ phase4_feature_count(raw) }} as phase4_feature_count,
        {{ phase3_feature_count(raw) }} as phase3_feature_count,
        {{ calculated_feature_count(raw) }} as calculated_feature_count,
        {#- vegas_default_count (the optional set, above) is also the vegas
            category's default count: feature 28 is never a default -#}
        {%- for category in categories %}
        {{ category_quality_pct(category, raw) }}
            as {{ category }}_quality_pct,
        {%- if category ~ '_default_count' != 'vegas_default_count' %}
        {{ category_default_count(category, raw) }}
            as {{ category }}_default_count,
        {%- endif %}
        {%- endfor %}
        {{ feature_quality_score(raw) }} as feature_quality_score,
        {{ has_composite_factors(raw) }} as has_composite_factors,
        {{ has_opponent_defense(raw) }} as has_opponent_defense,
        {{ has_vegas_line(raw) }} as has_vegas_line
    from computed
),

rated as (
    select
        *,
        {{ quality_tier('feature_quality_score') }} as quality_tier,
        {{ quality_tier('matchup_quality_pct') }} as matchup_quality_tier,
        {{ quality_alert_level() }} as quality_alert_level,
        {{ quality_alerts() }} as quality_alerts
    from counted
),

readied as (
    select
        *,
        {{ is_quality_ready() }} as is_quality_ready,
        {{ is_training_ready() }} as is_training_ready
    from rated
),

final as (
    select
        readied.player_lookup,
        readied.game_date,
        readied.game_id,
        cast(readied.season_year as {{ dbt.type_int() }}) as season_year,
        readied.team_abbr,
        readied.opponent_team_abbr,
        readied.is_home,
        cast(readied.days_rest as {{ dbt.type_int() }}) as days_rest,
        {{ array_of_doubles(vector) }} as features,
        {{ array_of_strings(names) }} as feature_names,
        {%- for feature in contract %}
        {%- set i = feature['index'] %}
        cast(
            case
                when not {{ is_default_source(feature_column(raw, i)) }}
                    then readied.f{{ i }}_value
            end as {{ dbt.type_float() }}
        ) as feature_{{ i }}_value,
        {{ canonical_source(feature_column(raw, i)) }}
            as feature_{{ i }}_source,
        cast(
            {{ feature_quality_weight(feature_column(raw, i)) }}
            as {{ dbt.type_float() }}
        ) as feature_{{ i }}_quality,
        {%- endfor %}
        cast(readied.default_feature_count as {{ dbt.type_int() }})
            as default_feature_count,
        cast(readied.required_default_count as {{ dbt.type_int() }})
            as required_default_count,
        cast(readied.vegas_default_count as {{ dbt.type_int() }})
            as vegas_default_count,
        {{ default_feature_indices(raw) }} as default_feature_indices,
        cast(readied.phase4_feature_count as {{ dbt.type_int() }})
            as phase4_feature_count,
        cast(readied.phase3_feature_count as {{ dbt.type_int() }})
            as phase3_feature_count,
        cast(readied.calculated_feature_count as {{ dbt.type_int() }})
            as calculated_feature_count,
        {%- for category in categories %}
        readied.{{ category }}_quality_pct,
        {%- if category ~ '_default_count' != 'vegas_default_count' %}
        cast(readied.{{ category }}_default_count as {{ dbt.type_int() }})
            as {{ category }}_default_count,
        {%- endif %}
        {%- endfor %}
        readied.feature_quality_score,
        readied.quality_tier,
        readied.matchup_quality_tier,
        readied.has_composite_factors,
        readied.has_opponent_defense,
        readied.has_vegas_line,
        coalesce(readied.cache_miss_fallback_used, false)
            as cache_miss_fallback_used,
        readied.quality_alert_level,
        readied.quality_alerts,
        readied.is_quality_ready,
        readied.is_training_ready,
        cast(readied.minutes_avg_last_7_days as {{ dbt.type_float() }})
            as minutes_avg_last_7_days,
        cast(readied.injury_status as {{ dbt.type_string() }})
            as injury_status,
        cast(readied.vegas_line_source as {{ dbt.type_string() }})
            as vegas_line_source,
        cast(readied.vegas_sportsbook as {{ dbt.type_string() }})
            as vegas_sportsbook,
        cast(
            {{ sql_literal(var('feature_version')) }} as {{ dbt.type_string() }}
        ) as feature_version,
        cast({{ contract | length }} as {{ dbt.type_int() }})
            as feature_count,
        {%- if is_incremental() %}
        coalesce(existing.created_at, {{ utc_now() }}) as created_at,
        {%- else %}
        {{ utc_now() }} as created_at,
        {%- endif %}
        {{ utc_now() }} as updated_at
    from readied
    {%- if is_incremental() %}
    left join existing
        on readied.player_lookup = existing.player_lookup
        and readied.game_date = existing.game_date
    {%- endif %}
)

select * from final
