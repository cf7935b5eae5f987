{#-
    Number of features whose canonical source (var `canonical_sources`) is
    the given label: phase4, phase3, calculated or default.
-#}
{% macro canonical_source_count(
    canonical_label, pattern='f{index}_raw_source') -%}
    (
    {%- for index in feature_indices() %}
        case when {{ canonical_source(feature_column(pattern, index)) }}
            = {{ sql_literal(canonical_label) }} then 1 else 0 end
        {%- if not loop.last %} +{% endif %}
    {%- endfor %}
    )
{%- endmacro %}

{% macro phase4_feature_count(pattern='f{index}_raw_source') -%}
    {{ canonical_source_count('phase4', pattern) }}
{%- endmacro %}

{% macro phase3_feature_count(pattern='f{index}_raw_source') -%}
    {{ canonical_source_count('phase3', pattern) }}
{%- endmacro %}

{% macro calculated_feature_count(pattern='f{index}_raw_source') -%}
    {{ canonical_source_count('calculated', pattern) }}
{%- endmacro %}
