{#-
    A literal array of strings built from SQL expressions (string literals
    must be quoted by the caller). Usage: {{ array_of_strings(["'a'", 'b']) }}
-#}
{% macro array_of_strings(expressions) %}
    {{- return(adapter.dispatch('array_of_strings')(expressions)) -}}
{% endmacro %}

{% macro default__array_of_strings(expressions) -%}
    array[
    {%- for expression in expressions %}
        cast({{ expression }} as varchar)
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    ]
{%- endmacro %}

{% macro duckdb__array_of_strings(expressions) -%}
    [
    {%- for expression in expressions %}
        cast({{ expression }} as varchar)
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    ]
{%- endmacro %}

{% macro bigquery__array_of_strings(expressions) -%}
    array<string>[
    {%- for expression in expressions %}
        cast({{ expression }} as string)
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    ]
{%- endmacro %}
