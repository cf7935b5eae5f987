{#-
    Presence flags of a row (docs/quality.md).
    has_vegas_line reads feature 25 (the current line). fixed: production
    read feature 28, which is never a default, so it was always true.
-#}

{#- True when none of `indices` has a default raw source. -#}
{% macro no_default_among(indices, pattern='f{index}_raw_source') -%}
    ({{ count_default_features(indices, pattern) }} = 0)
{%- endmacro %}

{#- The features of upstream model player_composite_factors (contract
    field `upstream`), unless `indices` are given. -#}
{% macro has_composite_factors(
    pattern='f{index}_raw_source', indices=none) -%}
    {{ no_default_among(
        feature_indices(upstream='player_composite_factors')
        if indices is none else indices, pattern) }}
{%- endmacro %}

{#- The features of upstream model team_defense_zone_analysis (the
    opponent's), unless `indices` are given. -#}
{% macro has_opponent_defense(
    pattern='f{index}_raw_source', indices=none) -%}
    {{ no_default_among(
        feature_indices(upstream='team_defense_zone_analysis')
        if indices is none else indices, pattern) }}
{%- endmacro %}

{% macro has_vegas_line(pattern='f{index}_raw_source', index=25) -%}
    (not {{ is_default_source(feature_column(pattern, index)) }})
{%- endmacro %}
