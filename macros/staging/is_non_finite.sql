{#-
    True when a floating-point value is NaN or +/-infinity (NULL stays
    NULL): DuckDB isfinite(), BigQuery is_nan() / is_inf().
-#}
{% macro is_non_finite(column) -%}
    {{ return(adapter.dispatch('is_non_finite')(column)) }}
{%- endmacro %}

{% macro default__is_non_finite(column) -%}
    (not isfinite({{ column }}))
{%- endmacro %}

{% macro bigquery__is_non_finite(column) -%}
    (is_nan({{ column }}) or is_inf({{ column }}))
{%- endmacro %}
