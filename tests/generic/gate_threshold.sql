{#-
    Gating test on a per-date value of a model without gate level columns
    (docs/monitoring.md; daily_quality_counts carries its levels and its
    gates use gate_on_level). The level is macro gate_level's.

    Returns one row per judged date whose `column_name` crosses a threshold,
    with gate_level 'warn' or 'error'. The test warns when any date is at
    'warn' and fails when any date is at 'error' (its error_if counts the
    error rows of the same result; the reported failures are all the dates
    that crossed either threshold). A NULL value is not judged.

    Thresholds are numbers (pass them as "{{ var('gate_...') }}"); leave out
    the ones a check does not have. Only dates of the window being built are
    judged (macro tested_dates_predicate); exclude more with the test's
    standard `where:` config, e.g. `where: "not is_season_warmup"`.
-#}
{% test gate_threshold(
    model,
    column_name,
    date_column='game_date',
    warn_below=none,
    error_below=none,
    warn_above=none,
    error_above=none
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
        {{ column_name }} as observed_value,
        {{ gate_level(
            column_name,
            warn_below=warn_below,
            error_below=error_below,
            warn_above=warn_above,
            error_above=error_above) }} as gate_level
    from judged_dates
)

select * from levels
where gate_level in ('warn', 'error')

{% endtest %}
