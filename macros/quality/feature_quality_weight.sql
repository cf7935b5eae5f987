{#-
    Quality weight (0-100) of a raw source label, from var `quality_weights`.
    A NULL label is read as `missing`; an unknown label gives NULL, which the
    feature store's tests reject.
-#}
{% macro feature_quality_weight(raw_source_expr) -%}
    case coalesce({{ raw_source_expr }}, 'missing')
    {%- for label, weight in var('quality_weights').items() %}
        when {{ sql_literal(label) }} then {{ weight }}
    {%- endfor %}
    end
{%- endmacro %}
