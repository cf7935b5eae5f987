{#-
    `dbt run-operation check_source_shape`: does the warehouse hold the raw
    tables models/staging/_sources.yml describes? Every table listed there
    must exist, with every listed column of the listed type (extra columns
    are fine: production tables carry many more). The expected shape is read
    from the parsed project (graph.sources), the actual one from the
    warehouse's information_schema, so the sources file stays the one
    definition. Prints one line per problem, naming the table and column,
    and fails (non-zero exit) when there is any; the Makefile runs it before
    every build, so a changed scraper table stops the build with a readable
    message instead of a cast error deep inside staging.

    source_name: the dbt source to check (default nba_raw).
-#}
{% macro check_source_shape(source_name='nba_raw') %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set tables = [] -%}
    {%- for node in graph.sources.values()
        if node.source_name == source_name -%}
        {%- do tables.append(node) -%}
    {%- endfor -%}
    {%- if not tables -%}
        {{ exceptions.raise_compiler_error(
            "check_source_shape: no source named '" ~ source_name ~ "'") }}
    {%- endif -%}

    {#- One query per (database, schema): the source's tables live in one. -#}
    {%- set found = {} -%}
    {%- set locations = [] -%}
    {%- for node in tables -%}
        {%- set location = [node.database, node.schema] -%}
        {%- if location not in locations -%}
            {%- do locations.append(location) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for database, schema in locations -%}
        {%- set result = run_query(
            source_shape_columns_sql(database, schema)) -%}
        {%- for row in result.rows -%}
            {%- set key = (database ~ '.' ~ schema ~ '.'
                ~ row['table_name']) | lower -%}
            {%- if key not in found -%}
                {%- do found.update({key: {}}) -%}
            {%- endif -%}
            {%- do found[key].update({(row['column_name'] | lower): {
                'data_type': row['data_type'] | upper,
                'is_partitioning': row['is_partitioning_column'],
            }}) -%}
        {%- endfor -%}
    {%- endfor -%}

    {%- set problems = [] -%}
    {%- for node in tables | sort(attribute='name') -%}
        {%- set table = node.identifier -%}
        {%- set label = node.schema ~ '.' ~ table -%}
        {%- set actual = found.get(
            (node.database ~ '.' ~ node.schema ~ '.' ~ table) | lower) -%}
        {%- if actual is none -%}
            {%- do problems.append(label ~ ': table missing') -%}
        {%- else -%}
            {%- for column in node.columns.values() -%}
                {%- set have = actual.get(column.name | lower) -%}
                {%- set want = source_shape_type(column.data_type)
                    if column.data_type else none -%}
                {%- if have is none -%}
                    {%- do problems.append(label ~ '.' ~ column.name
                        ~ ': column missing (expected ' ~ want ~ ')') -%}
                {%- elif want is not none and have.data_type != want -%}
                    {%- do problems.append(label ~ '.' ~ column.name
                        ~ ': expected ' ~ want ~ ', found '
                        ~ have.data_type) -%}
                {%- endif -%}
            {%- endfor -%}
            {#- The partition column must partition the table where the
                warehouse has partitions (NULL: not judged, e.g. DuckDB):
                staging's partition filters prune nothing otherwise. -#}
            {%- set partition = node.meta.get('partition_column') -%}
            {%- set have = actual.get((partition or '') | lower) -%}
            {%- if partition and have is not none
                and have.is_partitioning is not none
                and (have.is_partitioning | upper) != 'YES' -%}
                {%- do problems.append(label ~ '.' ~ partition
                    ~ ': not the partitioning column (expected from'
                    ~ ' meta partition_column)') -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}

    {%- for problem in problems -%}
        {{ print('source shape: ' ~ problem) }}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            problems | length ~ ' problem(s) in the raw tables of source '
            ~ source_name ~ ' against models/staging/_sources.yml'
            ~ ' (listed above)') }}
    {%- endif -%}
    {{ print('source shape: ' ~ tables | length ~ ' table(s) of source '
        ~ source_name ~ ' match models/staging/_sources.yml') }}
{% endmacro %}


{#-
    The type name the warehouse's information_schema reports for a column
    the sources file types with a BigQuery name (STRING, INT64, FLOAT64,
    BOOLEAN, DATE, TIMESTAMP), upper case.
-#}
{% macro source_shape_type(bigquery_type) %}
    {{- return(adapter.dispatch('source_shape_type')(
        bigquery_type | upper | trim)) -}}
{% endmacro %}

{% macro default__source_shape_type(bigquery_type) %}
    {%- set names = {
        'STRING': 'VARCHAR',
        'INT64': 'BIGINT',
        'FLOAT64': 'DOUBLE',
        'BOOLEAN': 'BOOLEAN',
        'DATE': 'DATE',
        'TIMESTAMP': 'TIMESTAMP',
    } -%}
    {{- return(names.get(bigquery_type, bigquery_type)) -}}
{% endmacro %}

{% macro bigquery__source_shape_type(bigquery_type) %}
    {#- INFORMATION_SCHEMA spells the boolean type BOOL. -#}
    {{- return({'BOOLEAN': 'BOOL'}.get(bigquery_type, bigquery_type)) -}}
{% endmacro %}


{#-
    Columns of every table of one schema (dataset): table_name,
    column_name, data_type, is_partitioning_column ('YES' / 'NO', or NULL
    where the warehouse has no partitions).
-#}
{% macro source_shape_columns_sql(database, schema) %}
    {{- return(adapter.dispatch('source_shape_columns_sql')(
        database, schema)) -}}
{% endmacro %}

{% macro default__source_shape_columns_sql(database, schema) %}
    select
        table_name,
        column_name,
        data_type,
        cast(null as {{ dbt.type_string() }}) as is_partitioning_column
    from information_schema.columns
    where
        lower(table_catalog) = lower('{{ database }}')
        and lower(table_schema) = lower('{{ schema }}')
{% endmacro %}

{% macro bigquery__source_shape_columns_sql(database, schema) %}
    select
        table_name,
        column_name,
        data_type,
        is_partitioning_column
    from `{{ database }}`.`{{ schema }}`.INFORMATION_SCHEMA.COLUMNS
{% endmacro %}
