{#-
    Date windows of the date-keyed (incremental) models.

    The window is decided at compile time, in Jinja, from the vars
    `start_date` / `end_date` (both inclusive), else the env vars
    NBA_WINDOW_START / NBA_WINDOW_END (same meaning; what `nba-fs backfill`
    passes, because a new env value does not make dbt re-parse the project
    and new --vars do). Without either it is the daily window
    [today - daily_lookback_days, today + daily_lookahead_days].
    Computing it in Jinja (not with current_date in SQL) gives literal dates,
    which BigQuery needs for static insert_overwrite partitions and partition
    pruning, and makes a compiled run reproducible.
-#}

{#-
    The run date ("today"): env var NBA_RUN_DATE when set, else the calendar
    date in var('run_date_timezone') now. python_hooks/clock.py is the same
    rule for the Python layer; nothing else reads the clock.
-#}
{% macro run_date() %}
    {%- set dt = modules.datetime -%}
    {%- set explicit = compile_time_env('NBA_RUN_DATE') -%}
    {%- if explicit -%}
        {{ return(dt.date.fromisoformat(explicit)) }}
    {%- endif -%}
    {%- set zone = modules.pytz.timezone(var('run_date_timezone')) -%}
    {{ return(dt.datetime.now(zone).date()) }}
{% endmacro %}


{#-
    With NBA_RUN_DATE set: the moment of that day's daily run (var
    daily_run_time in var run_date_timezone) as a naive UTC datetime; none
    otherwise. python_hooks/clock.py daily_run_at is the same rule.
-#}
{% macro fixed_run_moment() %}
    {%- if not compile_time_env('NBA_RUN_DATE') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set dt = modules.datetime -%}
    {%- set day = run_date() -%}
    {%- set parts = (var('daily_run_time') | string).split(':') -%}
    {%- set local = modules.pytz.timezone(var('run_date_timezone')).localize(
        dt.datetime(day.year, day.month, day.day,
                    parts[0] | int, parts[1] | int)) -%}
    {{ return(local.astimezone(modules.pytz.utc).replace(tzinfo=none)) }}
{% endmacro %}


{#-
    An env var read only when dbt executes (compiles a node, runs an
    operation), '' when unset. dbt records every env var a file reads while
    it parses, and re-parses those files when the value changes: a read at
    parse time would make each new run date or backfill window re-parse the
    models. What parsing renders is thrown away (only refs and configs are
    kept, and none of them depends on these values).
-#}
{% macro compile_time_env(name) %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(env_var(name, '') | trim) }}
{% endmacro %}


{% macro date_window_bounds() %}
    {%- set dt = modules.datetime -%}
    {%- set today = run_date() -%}
    {%- set start_var = var('start_date', none) or compile_time_env('NBA_WINDOW_START') -%}
    {%- set end_var = var('end_date', none) or compile_time_env('NBA_WINDOW_END') -%}
    {%- if start_var -%}
        {%- set start = dt.date.fromisoformat(start_var | string) -%}
    {%- else -%}
        {%- set start = today - dt.timedelta(days=var('daily_lookback_days') | int) -%}
    {%- endif -%}
    {%- if end_var -%}
        {%- set end = dt.date.fromisoformat(end_var | string) -%}
    {%- else -%}
        {%- set end = today + dt.timedelta(days=var('daily_lookahead_days') | int) -%}
    {%- endif -%}
    {%- if end < start -%}
        {{ exceptions.raise_compiler_error(
            "end_date " ~ end ~ " is before start_date " ~ start) }}
    {%- endif -%}
    {{ return([start, end]) }}
{% endmacro %}


{#- The window's dates as ISO strings (for static partition lists). -#}
{% macro date_window_dates() %}
    {%- set bounds = date_window_bounds() -%}
    {%- set dates = [] -%}
    {%- for offset in range((bounds[1] - bounds[0]).days + 1) -%}
        {%- do dates.append(
            (bounds[0] + modules.datetime.timedelta(days=offset)).isoformat()) -%}
    {%- endfor -%}
    {{ return(dates) }}
{% endmacro %}


{#-
    Predicate limiting a model's rows (or a same-date input) to the window
    on incremental runs; every date on full builds. Both forms name the
    partition column, so BigQuery prunes partitions and
    require_partition_filter is satisfied. Inputs that feed rolling windows
    are not filtered with it (they need history before the window).
-#}
{% macro in_date_window(date_column) %}
    {%- if is_incremental() -%}
        {{ date_window_predicate(date_column) }}
    {%- else -%}
        {{ all_dates_predicate(date_column) }}
    {%- endif -%}
{% endmacro %}


{#- `date_column` within the window. -#}
{% macro date_window_predicate(date_column) %}
    {%- set bounds = date_window_bounds() -%}
    {{ date_column }} between {{ date_literal(bounds[0]) }}
        and {{ date_literal(bounds[1]) }}
{%- endmacro %}


{#-
    Dates an analysis reads: the start_date / end_date window when those
    vars (or NBA_WINDOW_START / NBA_WINDOW_END) are given, else every date
    (with a partition filter either way).
-#}
{% macro requested_dates_predicate(date_column) %}
    {%- if var('start_date', none) or var('end_date', none)
        or compile_time_env('NBA_WINDOW_START') or compile_time_env('NBA_WINDOW_END') -%}
        {{ date_window_predicate(date_column) }}
    {%- else -%}
        {{ all_dates_predicate(date_column) }}
    {%- endif -%}
{% endmacro %}


{#-
    Every date: an always-true lower bound on the partition column (var
    history_floor_date), because BigQuery's require_partition_filter
    rejects a read of the whole table without one.
-#}
{% macro all_dates_predicate(date_column) %}
    {{- date_column }} >= {{ date_literal(var('history_floor_date')) -}}
{% endmacro %}


{% macro date_literal(value) %}
    {{- return(adapter.dispatch('date_literal')(value)) -}}
{% endmacro %}

{% macro default__date_literal(value) -%}
    date '{{ value }}'
{%- endmacro %}


{#-
    Config of a date-keyed incremental model: whole dates are replaced, so a
    rerun of any window gives the same table. DuckDB deletes every date of
    the window and inserts the new rows (replace_date_window below); BigQuery
    overwrites exactly the window's partitions (insert_overwrite, with the
    partition list computed when the model runs: see
    bq_generate_incremental_insert_overwrite_build_sql).
    require_partition_filter=false opts a small table out of
    var bq_require_partition_filter.
    Usage: {{ config(**date_window_incremental_config('game_date')) }}
-#}
{% macro date_window_incremental_config(
    date_column, cluster_by=none, require_partition_filter=true) %}
    {{- return(adapter.dispatch('date_window_incremental_config')(
        date_column, cluster_by, require_partition_filter)) -}}
{% endmacro %}

{% macro default__date_window_incremental_config(
    date_column, cluster_by, require_partition_filter) %}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'replace_date_window',
        'unique_key': date_column,
        'on_schema_change': 'append_new_columns',
    }) -}}
{% endmacro %}

{% macro bigquery__date_window_incremental_config(
    date_column, cluster_by, require_partition_filter) %}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': {'field': date_column, 'data_type': 'date'},
        'cluster_by': cluster_by,
        'require_partition_filter':
            require_partition_filter and var('bq_require_partition_filter'),
        'on_schema_change': 'append_new_columns',
        'meta': {'date_window_column': date_column},
    }) -}}
{% endmacro %}


{#-
    BigQuery insert_overwrite of a date-window model: the static partition
    list is the window's dates, computed here when the model runs. dbt
    stores config values when it parses the project, so a list put in the
    config would be yesterday's window on a daily run that reuses a
    partial parse. Other models keep dbt-bigquery's behaviour.
-#}
{% macro bq_generate_incremental_insert_overwrite_build_sql(
    tmp_relation, target_relation, sql, unique_key, partition_by, partitions,
    dest_columns, tmp_relation_exists, copy_partitions
) %}
    {%- if partition_by is none -%}
        {{ exceptions.raise_compiler_error(
            "The 'insert_overwrite' strategy requires the `partition_by` config.") }}
    {%- endif -%}
    {%- if config.get('meta', {}).get('date_window_column') -%}
        {%- set partitions = [] -%}
        {%- for day in date_window_dates() -%}
            {%- do partitions.append(date_literal(day)) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(bq_insert_overwrite_sql(
        tmp_relation, target_relation, sql, unique_key, partition_by,
        partitions, dest_columns, tmp_relation_exists, copy_partitions)) }}
{% endmacro %}


{#-
    Custom incremental strategy `replace_date_window`: delete EVERY date of
    the window, then insert the new rows. dbt's delete+insert only deletes
    the keys present in the new rows, so a date whose upstream rows all
    vanished would keep stale rows. The window is computed here, at run
    time, not taken from the parsed config, so a cached parse from an
    earlier day cannot shift it.
-#}
{% macro get_incremental_replace_date_window_sql(arg_dict) %}
    {%- set bounds = date_window_bounds() -%}
    {%- set columns = arg_dict['dest_columns']
        | map(attribute='quoted') | join(', ') -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ arg_dict['unique_key'] }}
        between {{ date_literal(bounds[0]) }} and {{ date_literal(bounds[1]) }};

    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}
