{#-
    Dates a data test judges on date-keyed tables. A --full-refresh build
    rebuilt every date, so every date is judged; any other build only
    (re)built the window, so only its dates are: a one-month backfill is
    never failed by another month. Used by the gating tests and, on
    BigQuery, by every test of a partitioned model
    (bigquery__get_where_subquery).
-#}
{% macro tested_dates_predicate(date_column) %}
    {%- if flags.FULL_REFRESH -%}
        {{ all_dates_predicate(date_column) }}
    {%- else -%}
        {{ date_window_predicate(date_column) }}
    {%- endif -%}
{% endmacro %}


{#-
    Rows of a date-keyed table a singular data test reads. BigQuery bills
    every partition scanned and rejects unfiltered reads of tables with
    require_partition_filter, so there a test reads the build's dates
    (tested_dates_predicate); DuckDB reads every row (scans are free).
-#}
{% macro tested_partitions(date_column) %}
    {{- return(adapter.dispatch('tested_partitions')(date_column)) -}}
{% endmacro %}

{% macro default__tested_partitions(date_column) -%}
    true
{%- endmacro %}

{% macro bigquery__tested_partitions(date_column) -%}
    {{ tested_dates_predicate(date_column) }}
{%- endmacro %}


{#-
    BigQuery: generic data tests of a date-window (partitioned) model read
    only the partitions tested_dates_predicate selects, combined with the
    test's own `where:` config. dbt wraps every generic test's model in
    get_where_subquery, so this one override covers all of them.
-#}
{% macro bigquery__get_where_subquery(relation) %}
    {%- set date_column = date_window_column_of(relation) -%}
    {%- if not date_column -%}
        {{ return(default__get_where_subquery(relation)) }}
    {%- endif -%}
    {%- set filters = [tested_dates_predicate(date_column)] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do filters.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set filtered -%}
        (select * from {{ relation }} where {{ filters | join(' and ') }}) dbt_subquery
    {%- endset -%}
    {{ return(filtered) }}
{% endmacro %}


{#- The date column of the date-window model behind `relation`, or none. -#}
{% macro date_window_column_of(relation) %}
    {%- if execute -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model'
            and node.alias == relation.identifier
            and node.schema == relation.schema -%}
            {{ return(node.config.get('meta', {}).get('date_window_column')) }}
        {%- endfor -%}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}
