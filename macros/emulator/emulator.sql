{#-
    Overrides that exist only because the local BigQuery emulator
    (bqemulator, `make test-bigquery`) differs from BigQuery. Each applies
    to emulator targets alone (is_bigquery_emulator()); real BigQuery
    targets get dbt-bigquery's own behaviour unchanged.
-#}

{#- Emulator targets are the bigquery targets named bqemu* in profiles.yml. -#}
{% macro is_bigquery_emulator() %}
    {{- return(target.type == 'bigquery'
        and target.name.startswith('bqemu')) -}}
{% endmacro %}


{#-
    Contract-enforced models: dbt-bigquery creates them with
    `create or replace table t (col type, ...) as (select ...)`. BigQuery
    accepts the column list; the emulator only rewrites that form when the
    body is a bare select, and dbt wraps it in parentheses, so DuckDB
    underneath fails with `syntax error at or near "AS"`. On the emulator
    the column list is left out: the contract is still checked (dbt compares
    the query's columns and types with the YAML before creating the table)
    and the select still lists the columns in contract order.
-#}
{% macro bigquery__get_table_columns_and_constraints() %}
    {%- if not is_bigquery_emulator() -%}
        {{ default__get_table_columns_and_constraints() }}
    {%- endif -%}
{% endmacro %}
