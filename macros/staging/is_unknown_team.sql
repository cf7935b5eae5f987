{#-
    True when a team code is NULL or not one of the 30 NBA tricodes of the
    `nba_teams` seed.
-#}
{% macro is_unknown_team(column) -%}
    ({{ column }} is null or {{ column }} not in (
        select teams.team_abbr from {{ ref('nba_teams') }} as teams
    ))
{%- endmacro %}
