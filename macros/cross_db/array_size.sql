{#- Number of elements of an array (NULL for a NULL array). -#}
{% macro array_size(array_expression) %}
    {{- return(adapter.dispatch('array_size')(array_expression)) -}}
{% endmacro %}

{% macro default__array_size(array_expression) -%}
    array_length({{ array_expression }})
{%- endmacro %}

{% macro duckdb__array_size(array_expression) -%}
    len({{ array_expression }})
{%- endmacro %}
