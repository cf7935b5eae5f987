{#-
    Base staging tables are built once per build: the casting, validation
    and duplicate ranking of every raw row then runs once, not again in
    every model and data test that reads staging.

    On DuckDB they are incremental: a build re-stages only the dates
    (`date_column`, the raw table's partition column) with raw rows loaded
    at or after the newest load the table already holds, plus, for tables
    checked against the schedule, the dates whose schedule rows were
    (re)loaded since then, because a row's reject reason can depend on its
    game's schedule row. Every natural key of these tables lies within one
    date, so a date re-staged from all its raw rows equals what a full
    rebuild gives for it; the dates' old rows are replaced (delete+insert
    on `date_column`). `--full-refresh` re-stages every date.

    On BigQuery they are plain tables rebuilt by every build (one scan of
    each raw table per build).
-#}
{% macro restaged_base_config(date_column) %}
    {{- return(adapter.dispatch('restaged_base_config')(date_column)) -}}
{% endmacro %}

{% macro default__restaged_base_config(date_column) %}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': date_column,
        'on_schema_change': 'append_new_columns',
    }) -}}
{% endmacro %}

{% macro bigquery__restaged_base_config(date_column) %}
    {{- return({'materialized': 'table'}) -}}
{% endmacro %}


{#-
    Whether a raw row's date is re-staged by this build (see
    restaged_base_config): `true` on full builds; on incremental runs, the
    dates of `raw_table` rows loaded since the newest load the table holds,
    and the dates of the rows of the base models in `follows` (re)loaded
    since then (models this table's rules read: the schedule for the
    referential checks, the team box for a game's length), and the dates
    whose raw row count differs from the table's (rows deleted from raw, or
    committed late). The load-time window reaches back
    var('restage_overlap_hours') before that load, for a row updated in
    place whose load time is older than an earlier build. A raw row without
    a load time is re-staged on every build. A date whose raw rows were all
    deleted keeps its staged rows until a --full-refresh.
-#}
{% macro is_restaged_date(raw_table, date_column, follows=['base_nba_raw__schedule']) %}
    {%- if not is_incremental() -%}
        true
    {%- else -%}
        {%- set since -%}
            (select {{ timestamp_minus_hours(
                "coalesce(max(loaded_at), cast('1900-01-02' as timestamp))",
                var('restage_overlap_hours')) }}
            from {{ this }})
        {%- endset -%}
        {%- set raw = source('nba_raw', raw_table) -%}
        {{ date_column }} in (
            select {{ date_column }}
            from {{ raw }}
            where {{ date_column }} >= {{ raw_partition_floor() }}
                and (processed_at >= {{ since }} or processed_at is null)
            union distinct
            -- dates whose raw row count is not the staged one: rows deleted
            -- from raw (a purged bad load) or committed after a build that
            -- had already passed their load time
            select raw_dates.{{ date_column }}
            from (
                select {{ date_column }}, count(*) as raw_rows
                from {{ raw }}
                where {{ date_column }} >= {{ raw_partition_floor() }}
                group by {{ date_column }}
            ) as raw_dates
            left join (
                select {{ date_column }}, count(*) as staged_rows
                from {{ this }}
                group by {{ date_column }}
            ) as staged_dates
                on raw_dates.{{ date_column }} = staged_dates.{{ date_column }}
            where staged_dates.staged_rows is null
                or staged_dates.staged_rows != raw_dates.raw_rows
            {%- for model in follows %}
            union distinct
            select game_date
            from {{ ref(model) }}
            where loaded_at >= {{ since }} or loaded_at is null
            {%- endfor %}
        )
    {%- endif -%}
{% endmacro %}
