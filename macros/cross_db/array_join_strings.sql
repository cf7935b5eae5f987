{#-
    The elements of an array joined into one string with a separator
    (NULL elements are skipped). Lets tests compare whole arrays on engines
    where arrays cannot be compared with `=` (BigQuery).
-#}
{% macro array_join_strings(array_expression, separator) %}
    {{- return(adapter.dispatch('array_join_strings')(
        array_expression, separator)) -}}
{% endmacro %}

{% macro default__array_join_strings(array_expression, separator) -%}
    array_to_string({{ array_expression }}, '{{ separator }}')
{%- endmacro %}
