{#-
    The referential rules of a row that names a game and a team (gamebook,
    team box score, shots), as first_reject_reason checks. Expects the
    columns a left join to the staged schedule adds: is_scheduled,
    schedule_game_date, schedule_home_team, schedule_away_team.
-#}
{% macro game_reference_checks() -%}
    {{ return([
        ['not is_scheduled', 'game_not_in_schedule'],
        ['game_date != schedule_game_date', 'game_date_mismatch'],
        ['team_abbr not in (schedule_home_team, schedule_away_team)',
            'team_not_in_game'],
    ]) }}
{%- endmacro %}
