{#-
    The typed columns a base model reads from a raw table, by name:
    `safe_cast(src.<name> as <its type>) as <name>` for each of `names`,
    with the type of models/staging/_sources.yml (the one definition of the
    raw interface), so a base model never restates a type and never reads a
    column that is not declared there (a compile error names it). Columns a
    production table has beyond these are ignored.
-#}
{% macro raw_columns(table_name, names) -%}
    {%- set types = raw_column_types(table_name) -%}
    {%- for name in names %}
        {%- if types and name not in types -%}
            {{ exceptions.raise_compiler_error(
                table_name ~ '.' ~ name ~ ' is not in models/staging/_sources.yml') }}
        {%- endif %}
        {%- if types %}
        {{ dbt.safe_cast('src.' ~ name, raw_sql_type(types[name])) }}
            as {{ name }}{{ ',' if not loop.last }}
        {%- else %}
        src.{{ name }}{{ ',' if not loop.last }}
        {%- endif %}
    {%- endfor %}
{%- endmacro %}


{#-
    The reason of the first of `names` whose raw value is present but does
    not cast to its declared type (`unparseable_<name>`), else NULL. Text
    columns always cast. Typed warehouse columns cannot hold such values;
    loads that deliver text (CSV, JSON, a schema change) can.
-#}
{% macro unparseable_reason(table_name, names) -%}
    {%- set types = raw_column_types(table_name) -%}
    {%- set checks = [] -%}
    {%- for name in names if types.get(name, 'STRING') != 'STRING' -%}
        {%- do checks.append([
            'src.' ~ name ~ ' is not null and '
            ~ dbt.safe_cast('src.' ~ name, raw_sql_type(types[name]))
            ~ ' is null',
            'unparseable_' ~ name,
        ]) -%}
    {%- endfor -%}
    {%- if checks -%}
        {{ first_reject_reason(checks) }}
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}


{#-
    {column name: BigQuery type name} of a raw table, from the source
    definition. Empty while dbt parses (the graph is not built yet; what
    parsing renders is discarded) and in unit tests (their graph has no
    sources; their input rows already have the warehouse's column types).
-#}
{% macro raw_column_types(table_name) -%}
    {%- set types = {} -%}
    {%- if execute and graph.get('sources') -%}
        {%- set node = graph.sources.get(
            'source.' ~ project_name ~ '.nba_raw.' ~ table_name) -%}
        {%- if node is none -%}
            {{ exceptions.raise_compiler_error(
                'raw table ' ~ table_name ~ ' is not in models/staging/_sources.yml') }}
        {%- endif -%}
        {%- for column in node.columns.values() -%}
            {%- do types.update({column.name: column.data_type | upper}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(types) }}
{%- endmacro %}


{#-
    The adapter's SQL type of a BigQuery type name of the source definition.
    INT64 is read as the project's integer type (dbt.type_int(): INT64 on
    BigQuery, INTEGER on DuckDB), the type the staged columns have always
    had; a value beyond it is then an unparseable one.
-#}
{% macro raw_sql_type(bq_type) -%}
    {%- set types = {
        'STRING': dbt.type_string(),
        'INT64': dbt.type_int(),
        'FLOAT64': dbt.type_float(),
        'BOOLEAN': dbt.type_boolean(),
        'DATE': 'date',
        'TIMESTAMP': dbt.type_timestamp(),
    } -%}
    {{ return(types[bq_type]) }}
{%- endmacro %}


{#-
    The partition column of a raw table (table meta partition_column of the
    source definition). While dbt parses, the graph is not built: the
    column name is then a placeholder (what parsing renders is discarded).
-#}
{% macro raw_partition_column(table_name) -%}
    {%- if not execute -%}
        {{ return('partition_column') }}
    {%- endif -%}
    {%- set node = graph.sources.get(
        'source.' ~ project_name ~ '.nba_raw.' ~ table_name) -%}
    {%- set meta = node.config.get('meta', {}) if node else {} -%}
    {%- if not meta.get('partition_column') -%}
        {{ exceptions.raise_compiler_error(
            'no partition_column meta for raw table ' ~ table_name) }}
    {%- endif -%}
    {{ return(meta['partition_column']) }}
{%- endmacro %}
