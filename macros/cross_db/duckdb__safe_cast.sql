{#-
    dbt-core's cross-database `dbt.safe_cast` falls back to a plain cast on
    DuckDB (which errors on bad input). DuckDB has try_cast, the equivalent of
    BigQuery's safe_cast: NULL when the value does not parse. Dispatch looks
    in the root project first, so this override is picked up by
    `{{ dbt.safe_cast(field, type) }}` everywhere.
-#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
