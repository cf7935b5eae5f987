{#-
    Per-category quality (categories of var `feature_contract`): the mean
    weight of the category's features (1 decimal) and its default count.
-#}
{% macro category_quality_pct(category, pattern='f{index}_raw_source') -%}
    {%- set indices = feature_indices(category) -%}
    {%- if indices | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "feature_contract has no category " ~ category) }}
    {%- endif -%}
    {{ mean_quality_weight(indices, 1, pattern) }}
{%- endmacro %}

{% macro category_default_count(category, pattern='f{index}_raw_source') -%}
    {%- set indices = feature_indices(category) -%}
    {%- if indices | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "feature_contract has no category " ~ category) }}
    {%- endif -%}
    {{ count_default_features(indices, pattern) }}
{%- endmacro %}
