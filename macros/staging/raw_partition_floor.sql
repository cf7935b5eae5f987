{#-
    Lower bound of every read of a raw table, on its partition column:
    `where game_date >= {{ raw_partition_floor() }}`. BigQuery rejects a
    query on a table with require_partition_filter that does not filter the
    partition column; the default (var raw_partition_floor, '2000-01-01')
    is before any row, so it keeps every row. A later floor limits what a
    build reads from a long history.
-#}
{% macro raw_partition_floor() -%}
    {{ date_literal(var('raw_partition_floor', '2000-01-01')) }}
{%- endmacro %}
