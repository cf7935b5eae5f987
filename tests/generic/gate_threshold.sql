{#-
    Gating test on a per-date value (docs/monitoring.md).

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

{%- set error_checks = [] -%}
{%- set warn_checks = [] -%}
{%- if error_below is not none -%}
    {%- do error_checks.append(column_name ~ ' < ' ~ error_below) -%}
{%- endif -%}
{%- if error_above is not none -%}
    {%- do error_checks.append(column_name ~ ' > ' ~ error_above) -%}
{%- endif -%}
{%- if warn_below is not none -%}
    {%- do warn_checks.append(column_name ~ ' < ' ~ warn_below) -%}
{%- endif -%}
{%- if warn_above is not none -%}
    {%- do warn_checks.append(column_name ~ ' > ' ~ warn_above) -%}
{%- endif -%}
{%- if not (error_checks or warn_checks) -%}
    {{ exceptions.raise_compiler_error(
        'gate_threshold on ' ~ column_name ~ ' needs a threshold') }}
{%- endif -%}

with judged_dates as (
    select * from {{ model }}
    where {{ tested_dates_predicate(date_column) }}
),

levels as (
    select
        {{ date_column }} as gate_date,
        {{ column_name }} as observed_value,
        case
            {%- if error_checks %}
            when {{ error_checks | join(' or ') }} then 'error'
            {%- endif %}
            {%- if warn_checks %}
            when {{ warn_checks | join(' or ') }} then 'warn'
            {%- endif %}
        end as gate_level
    from judged_dates
)

select * from levels
where gate_level is not null

{% endtest %}
