{#-
    The row's quality fields agree with its 39 per-feature columns. The
    canonical sources are valid inputs of the default-count macros (a
    canonical `default` is a default label, the others are not), and
    feature_<i>_quality holds the weight, so counts and score can be
    recomputed from the stored columns. Returns one row per disagreement.
-#}

{%- set stored = 'feature_{index}_source' %}

with feature_store as (
    select * from {{ ref('ml_feature_store_v2') }}
    where {{ tested_partitions('game_date') }}
),

recomputed as (
    select
        player_lookup,
        game_date,
        default_feature_count,
        required_default_count,
        vegas_default_count,
        feature_quality_score,
        {{ default_feature_count(stored) }} as expected_default_count,
        {{ required_default_count(stored) }} as expected_required_count,
        {{ vegas_default_count(stored) }} as expected_vegas_count,
        {{ array_join_strings('default_feature_indices', ',') }}
            as default_indices,
        {{ array_join_strings(default_feature_indices(stored), ',') }}
            as expected_default_indices,
        round((
            {%- for feature in var('feature_contract') %}
            feature_{{ feature['index'] }}_quality
            {%- if not loop.last %} +{% endif %}
            {%- endfor %}
        ) / {{ var('feature_contract') | length }}, 2) as expected_score
    from feature_store
),

final as (
    select *
    from recomputed
    where default_feature_count != expected_default_count
        or required_default_count != expected_required_count
        or vegas_default_count != expected_vegas_count
        or coalesce(default_indices, '') != coalesce(expected_default_indices, '')
        or abs(feature_quality_score - expected_score) > 0.001
)

select * from final
