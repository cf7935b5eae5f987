{#-
    The array with its NULL elements removed, order kept. Used to build
    lists from `case when <condition> then <element> end` candidates.
    (BigQuery cannot store NULL elements; DuckDB could but should not.)
-#}
{% macro array_without_nulls(array_expression) %}
    {{- return(adapter.dispatch('array_without_nulls')(array_expression)) -}}
{% endmacro %}

{% macro default__array_without_nulls(array_expression) -%}
    array(
        select element
        from unnest({{ array_expression }}) as element
        where element is not null
    )
{%- endmacro %}

{% macro duckdb__array_without_nulls(array_expression) -%}
    list_filter({{ array_expression }}, lambda element: element is not null)
{%- endmacro %}

{% macro bigquery__array_without_nulls(array_expression) -%}
    array(
        select element
        from unnest({{ array_expression }}) as element with offset as position
        where element is not null
        order by position
    )
{%- endmacro %}
