{#-
    Gating test on a gate level column (docs/monitoring.md): the levels
    daily_quality_counts carries (macro daily_gate_levels), one per gate,
    'ok', 'warn', 'error' or 'not_judged'.

    Returns one row per judged date whose level is 'warn' or 'error', with
    `gate_level` and, given `value_column`, the figure the level was
    computed from (`observed_value`). The test warns when any date is at
    'warn' and fails when any date is at 'error' (severity var
    gate_severity); the reported failures are all the dates at either.
    Only dates of the window being built are judged (macro
    tested_dates_predicate). The thresholds are applied when the model is
    built: a changed threshold var takes effect on the next build of the
    model's dates.
-#}
{% test gate_on_level(
    model,
    column_name,
    date_column='game_date',
    value_column=none
) %}
{{ config(
    severity=var('gate_severity', 'error'),
    warn_if='>0',
    error_if=">0 and sum(case when gate_level = 'error' then 1 else 0 end) > 0",
    tags=['gate'],
) }}

with judged_dates as (
    select * from {{ model }}
    where {{ tested_dates_predicate(date_column) }}
),

levels as (
    select
        {{ date_column }} as gate_date,
        {%- if value_column is not none %}
        {{ value_column }} as observed_value,
        {%- endif %}
        {{ column_name }} as gate_level
    from judged_dates
)

select * from levels
where gate_level in ('warn', 'error')

{% endtest %}
