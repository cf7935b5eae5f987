{#-
    Canonical source label stored per feature (phase4, phase3, calculated,
    default), from var `canonical_sources`. A NULL label is read as
    `missing`; an unknown label gives NULL, which the tests reject.
-#}
{% macro canonical_source(raw_source_expr) -%}
    case coalesce({{ raw_source_expr }}, 'missing')
    {%- for label, canonical in var('canonical_sources').items() %}
        when {{ sql_literal(label) }} then {{ sql_literal(canonical) }}
    {%- endfor %}
    end
{%- endmacro %}
