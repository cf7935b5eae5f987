{#-
    A JSON string rendering of a whole row, given the alias of the relation
    or CTE it comes from (e.g. `from source_rows as src` ->
    row_to_json_string('src')). Used to keep rejected raw rows readable.
-#}
{% macro row_to_json_string(relation_alias) -%}
    {{ return(adapter.dispatch('row_to_json_string')(relation_alias)) }}
{%- endmacro %}

{% macro duckdb__row_to_json_string(relation_alias) -%}
    cast(to_json({{ relation_alias }}) as varchar)
{%- endmacro %}

{% macro bigquery__row_to_json_string(relation_alias) -%}
    to_json_string({{ relation_alias }})
{%- endmacro %}

{% macro default__row_to_json_string(relation_alias) -%}
    cast(row_to_json({{ relation_alias }}) as {{ dbt.type_string() }})
{%- endmacro %}
