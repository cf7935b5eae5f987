{#-
    Minutes written as clock text `M:SS` / `MMM:SS` (player minutes `34:12`,
    team minutes `240:00`) as a number of minutes (34.2, 240.0); NULL when
    the text is not in that form (NULL, `-`, a plain number, garbage).
-#}
{% macro clock_text_minutes(text_expression) -%}
    {{ return(adapter.dispatch('clock_text_minutes')(text_expression)) }}
{%- endmacro %}

{% macro default__clock_text_minutes(text_expression) -%}
    case
        when regexp_full_match(trim({{ text_expression }}), '[0-9]+:[0-5][0-9]')
            then cast(split_part(trim({{ text_expression }}), ':', 1) as double)
            + cast(split_part(trim({{ text_expression }}), ':', 2) as double)
            / 60
    end
{%- endmacro %}

{% macro bigquery__clock_text_minutes(text_expression) -%}
    case
        when regexp_contains(trim({{ text_expression }}), r'^[0-9]+:[0-5][0-9]$')
            then safe_cast(
                split(trim({{ text_expression }}), ':')[safe_offset(0)]
                as float64)
            + safe_cast(
                split(trim({{ text_expression }}), ':')[safe_offset(1)]
                as float64) / 60
    end
{%- endmacro %}
