{#-
    A literal array of integers built from SQL expressions.
    Usage: {{ array_of_integers(['1', 'some_column']) }}
-#}
{% macro array_of_integers(expressions) %}
    {{- return(adapter.dispatch('array_of_integers')(expressions)) -}}
{% endmacro %}

{% macro default__array_of_integers(expressions) -%}
    array[
    {%- for expression in expressions %}
        cast({{ expression }} as integer)
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    ]
{%- endmacro %}

{% macro duckdb__array_of_integers(expressions) -%}
    [
    {%- for expression in expressions %}
        cast({{ expression }} as integer)
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    ]
{%- endmacro %}

{% macro bigquery__array_of_integers(expressions) -%}
    array<int64>[
    {%- for expression in expressions %}
        cast({{ expression }} as int64)
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    ]
{%- endmacro %}
