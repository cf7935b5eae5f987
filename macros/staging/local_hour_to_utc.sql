{#-
    The UTC instant (a TIMESTAMP without zone, like every timestamp of the
    project) of a wall-clock hour on a date in a named time zone, e.g. the
    injury report of 2025-01-15 at 17 (Eastern) -> 2025-01-15 22:00:00.
    Daylight saving is the zone's own.
-#}
{% macro local_hour_to_utc(date_expression, hour_expression, zone) -%}
    {{ return(adapter.dispatch('local_hour_to_utc')(
        date_expression, hour_expression, zone)) }}
{%- endmacro %}

{% macro default__local_hour_to_utc(date_expression, hour_expression, zone) -%}
    timezone('UTC', timezone('{{ zone }}',
        cast({{ date_expression }} as timestamp)
        + to_hours(cast({{ hour_expression }} as bigint))))
{%- endmacro %}

{% macro bigquery__local_hour_to_utc(date_expression, hour_expression, zone) -%}
    timestamp(
        datetime_add(datetime({{ date_expression }}),
            interval {{ hour_expression }} hour),
        '{{ zone }}')
{%- endmacro %}
