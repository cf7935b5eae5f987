{#-
    A literal array of DOUBLE / FLOAT64 values built from SQL expressions.
    Usage: {{ array_of_doubles(['a', 'b * 2']) }}
-#}
{% macro array_of_doubles(expressions) %}
    {{- return(adapter.dispatch('array_of_doubles')(expressions)) -}}
{% endmacro %}

{% macro default__array_of_doubles(expressions) -%}
    array[
    {%- for expression in expressions %}
        cast({{ expression }} as double precision)
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    ]
{%- endmacro %}

{% macro duckdb__array_of_doubles(expressions) -%}
    [
    {%- for expression in expressions %}
        cast({{ expression }} as double)
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    ]
{%- endmacro %}

{% macro bigquery__array_of_doubles(expressions) -%}
    array<float64>[
    {%- for expression in expressions %}
        cast({{ expression }} as float64)
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    ]
{%- endmacro %}
