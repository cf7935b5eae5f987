{#-
    Number of rows of the group where `condition` holds, as an integer
    (a plain sum() of integers is a HUGEINT on DuckDB, INT64 on BigQuery).
-#}
{% macro count_where(condition) -%}
    cast(sum(case when {{ condition }} then 1 else 0 end) as {{
        dbt.type_int() }})
{%- endmacro %}
