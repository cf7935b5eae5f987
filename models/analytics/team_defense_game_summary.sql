{#-
    One row per (game_id, defending_team_abbr): what the opponent scored
    against this team, its possessions, the defensive rating and the
    opponent's shooting by zone (from shot events).
-#}
{%- set zones = ['paint', 'mid_range', 'three'] -%}

with team_offense as (
    select * from {{ ref('team_offense_game_summary') }}
),

shot_events as (
    select * from {{ ref('stg_nba_raw__shot_events') }}
),

team_shot_zones as (
    select
        {% for zone in zones %}
        {{ count_where("shot_zone = '" ~ zone ~ "'") }}
            as {{ zone }}_attempts,
        {{ count_where("shot_zone = '" ~ zone ~ "' and is_made") }}
            as {{ zone }}_made,
        {% endfor %}
        game_id,
        team_abbr
    from shot_events
    group by game_id, team_abbr
),

final as (
    select
        team_offense.game_id,
        team_offense.opponent_team_abbr as defending_team_abbr,
        team_offense.game_date,
        team_offense.season_year,
        team_offense.is_playoffs,
        team_offense.team_abbr as opponent_team_abbr,
        team_offense.points as points_allowed,
        team_offense.possessions as opponent_possessions,
        100.0 * team_offense.points
        / nullif(team_offense.possessions, 0) as defensive_rating,
        {% for zone in zones %}
        coalesce(team_shot_zones.{{ zone }}_attempts, 0)
            as opp_{{ zone }}_attempts,
        coalesce(team_shot_zones.{{ zone }}_made, 0) as opp_{{ zone }}_made,
        {% endfor %}
        1.0 * team_shot_zones.paint_made
        / nullif(team_shot_zones.paint_attempts, 0) as opp_paint_fg_pct,
        1.0 * team_shot_zones.mid_range_made
        / nullif(team_shot_zones.mid_range_attempts, 0)
            as opp_mid_range_fg_pct,
        1.0 * team_shot_zones.three_made
        / nullif(team_shot_zones.three_attempts, 0) as opp_three_fg_pct
    from team_offense
    left join team_shot_zones
        on
            team_offense.game_id = team_shot_zones.game_id
            and team_offense.team_abbr = team_shot_zones.team_abbr
)

select * from final
