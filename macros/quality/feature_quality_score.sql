{#- Mean quality weight over all features of the contract, 2 decimals. -#}
{% macro feature_quality_score(pattern='f{index}_raw_source') -%}
    {{ mean_quality_weight(feature_indices(), 2, pattern) }}
{%- endmacro %}
