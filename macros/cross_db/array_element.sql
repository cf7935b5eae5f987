{#- Element at a 0-based position of an array (NULL when out of range). -#}
{% macro array_element(array_expression, zero_based_index) %}
    {{- return(adapter.dispatch('array_element')(
        array_expression, zero_based_index)) -}}
{% endmacro %}

{% macro default__array_element(array_expression, zero_based_index) -%}
    ({{ array_expression }})[{{ zero_based_index }} + 1]
{%- endmacro %}

{% macro duckdb__array_element(array_expression, zero_based_index) -%}
    list_extract({{ array_expression }}, {{ zero_based_index }} + 1)
{%- endmacro %}

{% macro bigquery__array_element(array_expression, zero_based_index) -%}
    {{ array_expression }}[safe_offset({{ zero_based_index }})]
{%- endmacro %}
