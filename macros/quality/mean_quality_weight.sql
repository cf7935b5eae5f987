{#-
    Mean quality weight of a set of features, rounded. The weights are
    summed as integers and divided once, so the result does not depend on
    the order of floating-point additions.
-#}
{% macro mean_quality_weight(indices, decimals, pattern='f{index}_raw_source') -%}
    round(cast((
    {%- for index in indices %}
        {{ feature_quality_weight(feature_column(pattern, index)) }}
        {%- if not loop.last %} +{% endif %}
    {%- endfor %}
    ) as {{ dbt.type_float() }}) / {{ indices | length }}, {{ decimals }})
{%- endmacro %}
