{#-
    dbt-core's `dbt.type_float()` renders `float`, which DuckDB reads as a
    4-byte REAL. Use DOUBLE, like BigQuery's FLOAT64.
-#}
{% macro duckdb__type_float() -%}
    {{ return('double') }}
{%- endmacro %}
