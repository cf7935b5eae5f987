{#-
    The project's game id, `YYYYMMDD_AWAY_HOME` (e.g. 20250115_LAL_PHI), built
    from a game date and the two tricodes. It is the id the box-score,
    play-by-play and injury tables already carry; the schedule's own id is
    NBA.com's 10-digit one, so staging builds this one for it.
-#}
{% macro project_game_id(game_date, away_team, home_team) -%}
    {{ dbt.concat([
        date_yyyymmdd(game_date), "'_'", away_team, "'_'", home_team,
    ]) }}
{%- endmacro %}


{#- A date as `YYYYMMDD` text. -#}
{% macro date_yyyymmdd(date_expression) -%}
    {{ return(adapter.dispatch('date_yyyymmdd')(date_expression)) }}
{%- endmacro %}

{% macro default__date_yyyymmdd(date_expression) -%}
    to_char({{ date_expression }}, 'YYYYMMDD')
{%- endmacro %}

{% macro duckdb__date_yyyymmdd(date_expression) -%}
    strftime({{ date_expression }}, '%Y%m%d')
{%- endmacro %}

{% macro bigquery__date_yyyymmdd(date_expression) -%}
    format_date('%Y%m%d', {{ date_expression }})
{%- endmacro %}
