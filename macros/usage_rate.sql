{#-
    Usage rate (0-100): the share of team plays a player used while on the
    floor.
      100 * (FGA + 0.44 FTA + TOV) * (team_minutes / 5)
          / (minutes * (team FGA + 0.44 team FTA + team TOV))
    NULL when the player has no minutes or the team used no plays.
-#}
{% macro usage_rate(
    fg_attempted, ft_attempted, turnovers, minutes,
    team_fg_attempted, team_ft_attempted, team_turnovers, team_minutes
) -%}
    100.0 * (
        {{ fg_attempted }} + 0.44 * {{ ft_attempted }} + {{ turnovers }}
    ) * ({{ team_minutes }} / 5.0)
    / nullif(
        {{ minutes }} * (
            {{ team_fg_attempted }} + 0.44 * {{ team_ft_attempted }}
            + {{ team_turnovers }}
        ),
        0
    )
{%- endmacro %}
