{#-
    Date windows of the date-keyed (incremental) models.

    The window is decided at compile time, in Jinja, from the vars
    `start_date` / `end_date` (both inclusive). Without them it is the daily
    window [today - daily_lookback_days, today + daily_lookahead_days].
    Computing it in Jinja (not with current_date in SQL) gives literal dates,
    which BigQuery needs for static insert_overwrite partitions and partition
    pruning, and makes a compiled run reproducible.
-#}

{% macro date_window_bounds() %}
    {%- set dt = modules.datetime -%}
    {%- set today = dt.date.today() -%}
    {%- set start_var = var('start_date', none) -%}
    {%- set end_var = var('end_date', none) -%}
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
    Predicate limiting a model's OUTPUT rows to the window on incremental
    runs; true on full builds. Inputs that feed rolling windows must not be
    filtered with it (they need history before the window).
-#}
{% macro in_date_window(date_column) %}
    {%- if is_incremental() -%}
        {%- set bounds = date_window_bounds() -%}
        {{ date_column }} between {{ date_literal(bounds[0]) }}
            and {{ date_literal(bounds[1]) }}
    {%- else -%}
        true
    {%- endif -%}
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
    overwrites exactly the window's partitions (insert_overwrite).
    Usage: {{ config(**date_window_incremental_config('game_date')) }}
-#}
{% macro date_window_incremental_config(date_column, cluster_by=none) %}
    {{- return(adapter.dispatch('date_window_incremental_config')(
        date_column, cluster_by)) -}}
{% endmacro %}

{% macro default__date_window_incremental_config(date_column, cluster_by) %}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'replace_date_window',
        'unique_key': date_column,
        'on_schema_change': 'append_new_columns',
    }) -}}
{% endmacro %}

{% macro bigquery__date_window_incremental_config(date_column, cluster_by) %}
    {%- set partitions = [] -%}
    {%- for day in date_window_dates() -%}
        {%- do partitions.append("date '" ~ day ~ "'") -%}
    {%- endfor -%}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': {'field': date_column, 'data_type': 'date'},
        'partitions': partitions,
        'cluster_by': cluster_by,
        'require_partition_filter': var('bq_require_partition_filter'),
        'on_schema_change': 'append_new_columns',
    }) -}}
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
