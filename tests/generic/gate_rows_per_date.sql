{#-
    Gating test on the number of rows a model has per date, e.g. the star
    players listed by scraper_health_star_lines. Returns one row per judged
    date whose row count is above a threshold, with gate_level 'warn' or
    'error' (same warn/error semantics as gate_threshold; the level is
    macro gate_level's). Only dates of the window being built are judged;
    `where:` filters the rows counted.
-#}
{% test gate_rows_per_date(
    model,
    date_column='game_date',
    warn_above=none,
    error_above=none
) %}
{{ config(
    severity=var('gate_severity', 'error'),
    warn_if='>0',
    error_if=">0 and sum(case when gate_level = 'error' then 1 else 0 end) > 0",
    tags=['gate'],
) }}

{%- if warn_above is none and error_above is none -%}
    {{ exceptions.raise_compiler_error(
        'gate_rows_per_date needs warn_above or error_above') }}
{%- endif -%}

with judged_rows as (
    select * from {{ model }}
    where {{ tested_dates_predicate(date_column) }}
),

per_date as (
    select
        {{ date_column }} as gate_date,
        count(*) as observed_value
    from judged_rows
    group by {{ date_column }}
),

levels as (
    select
        gate_date,
        observed_value,
        {{ gate_level(
            'observed_value',
            warn_above=warn_above,
            error_above=error_above) }} as gate_level
    from per_date
)

select * from levels
where gate_level in ('warn', 'error')

{% endtest %}
