{#-
    True when a raw source label means "no usable value": one of the var
    `default_source_labels` (default, fallback, missing). A NULL label is
    read as `missing`.
-#}
{% macro is_default_source(raw_source_expr) -%}
    (coalesce({{ raw_source_expr }}, 'missing') in (
        {%- for label in var('default_source_labels') -%}
            {{ sql_literal(label) }}{% if not loop.last %}, {% endif %}
        {%- endfor -%}
    ))
{%- endmacro %}
