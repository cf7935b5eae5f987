{#-
    Layers map to fixed schema (BigQuery: dataset) names instead of dbt's
    default "<target schema>_<custom>" so production keeps the dataset layout
    of the system it replaces (nba_analytics, nba_precompute, ...). The names
    themselves come from dbt_project.yml, where env vars can override them.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
