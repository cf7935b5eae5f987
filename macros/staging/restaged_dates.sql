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
    referential checks, the team box for a game's length). The window
    reaches back var('restage_overlap_hours') before that load, so a row
    stamped before an earlier build but committed after it is still picked
    up. A raw row without a load time is re-staged on every build.
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
        {{ date_column }} in (
            select {{ date_column }}
            from {{ source('nba_raw', raw_table) }}
            where {{ date_column }} >= {{ raw_partition_floor() }}
                and (processed_at >= {{ since }} or processed_at is null)
            {%- for model in follows %}
            union distinct
            select game_date
            from {{ ref(model) }}
            where loaded_at >= {{ since }} or loaded_at is null
            {%- endfor %}
        )
    {%- endif -%}
{% endmacro %}
