{#-
    Helpers of the monitoring models (models/monitoring) and of the gating
    tests (tests/generic/gate_*.sql).
-#}

{#-
    The build time as a UTC timestamp without time zone (like raw data).
    When the run date is fixed (NBA_RUN_DATE), it is that day's daily run
    time (macro fixed_run_moment), so a day run again stamps and judges
    exactly what it did then; otherwise the database's clock.
-#}
{% macro utc_now() %}
    {%- set fixed = fixed_run_moment() -%}
    {%- if fixed is not none -%}
        {{- return("cast('" ~ fixed.strftime('%Y-%m-%d %H:%M:%S')
            ~ "' as timestamp)") -}}
    {%- endif -%}
    {{- return(adapter.dispatch('utc_now')()) -}}
{% endmacro %}

{% macro default__utc_now() -%}
    current_timestamp
{%- endmacro %}

{% macro duckdb__utc_now() -%}
    cast(timezone('UTC', current_timestamp) as timestamp)
{%- endmacro %}


{#-
    How this build was started, recorded by feature_store_gaps:
    'backfill' when the date window ends before today (an explicit past
    window given with the start_date / end_date vars), else 'daily'.
-#}
{% macro monitoring_run_mode() %}
    {%- set bounds = date_window_bounds() -%}
    {%- if bounds[1] < run_date() -%}
        {{ return('backfill') }}
    {%- else -%}
        {{ return('daily') }}
    {%- endif -%}
{% endmacro %}


{#- Percentage (0-100, `digits` dp) of `numerator` over `denominator`. -#}
{% macro pct_of(numerator, denominator, digits=1) -%}
    round(
        100.0 * {{ numerator }}
        / nullif({{ denominator }}, 0),
        {{ digits }}
    )
{%- endmacro %}


{#- A timestamp `hours` hours earlier (stays a TIMESTAMP on every engine;
    dbt.dateadd turns BigQuery timestamps into DATETIME). -#}
{% macro timestamp_minus_hours(timestamp_expr, hours) %}
    {{- return(adapter.dispatch('timestamp_minus_hours')(
        timestamp_expr, hours)) -}}
{% endmacro %}

{% macro default__timestamp_minus_hours(timestamp_expr, hours) -%}
    ({{ timestamp_expr }} - interval '{{ hours | int }} hours')
{%- endmacro %}

{% macro bigquery__timestamp_minus_hours(timestamp_expr, hours) -%}
    timestamp_sub({{ timestamp_expr }}, interval {{ hours | int }} hour)
{%- endmacro %}
