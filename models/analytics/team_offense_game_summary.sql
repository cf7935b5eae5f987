{#-
    One row per (game_id, team_abbr) for regular-season and playoff games
    that have box scores. Team totals come from the team box score; when it
    is missing, from the sum of the team's player lines
    (stats_source = 'player_sum').
-#}
{%- set stats = [
    'points', 'fg_made', 'fg_attempted', 'three_made', 'three_attempted',
    'ft_made', 'ft_attempted', 'off_rebounds', 'def_rebounds', 'turnovers',
] -%}

with schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
),

team_box_scores as (
    select * from {{ ref('stg_nba_raw__team_box_scores') }}
),

player_lines as (
    select * from {{ ref('stg_nba_raw__gamebook_player_stats') }}
),

shot_events as (
    select * from {{ ref('stg_nba_raw__shot_events') }}
),

games as (
    select
        game_id,
        game_date,
        season_year,
        game_type,
        home_team_abbr,
        away_team_abbr
    from schedule
    where {{ is_feature_game('game_type') }}
),

game_teams as (
    select
        game_id,
        game_date,
        season_year,
        game_type,
        home_team_abbr as team_abbr,
        away_team_abbr as opponent_team_abbr,
        true as is_home
    from games
    union all
    select
        game_id,
        game_date,
        season_year,
        game_type,
        away_team_abbr as team_abbr,
        home_team_abbr as opponent_team_abbr,
        false as is_home
    from games
),

box_stats as (
    select
        game_id,
        team_abbr,
        {% for stat in stats %}
        {{ stat }},
        {% endfor %}
        team_minutes,
        'team_box' as stats_source
    from team_box_scores
),

player_sum_totals as (
    select
        player_lines.game_id,
        player_lines.team_abbr,
        {% for stat in stats %}
        cast(sum(coalesce(player_lines.{{ stat }}, 0)) as {{ dbt.type_int() }})
            as {{ stat }},
        {% endfor %}
        sum(coalesce(player_lines.minutes, 0)) as player_minutes
    from player_lines
    left join box_stats
        on
            player_lines.game_id = box_stats.game_id
            and player_lines.team_abbr = box_stats.team_abbr
    where box_stats.game_id is null
    group by player_lines.game_id, player_lines.team_abbr
),

box_game_lengths as (
    -- Game length when a team box is missing: the opponent's box score,
    -- else the last period of the play-by-play, else the player minutes
    -- (which fall short when a player line was rejected).
    select
        game_id,
        max(team_minutes) as team_minutes
    from box_stats
    group by game_id
),

shot_game_lengths as (
    select
        game_id,
        240 + 25 * greatest(max(period) - 4, 0) as team_minutes
    from shot_events
    group by game_id
),

player_sum_stats as (
    select
        player_sum_totals.game_id,
        player_sum_totals.team_abbr,
        {% for stat in stats %}
        player_sum_totals.{{ stat }},
        {% endfor %}
        cast(coalesce(
            box_game_lengths.team_minutes,
            shot_game_lengths.team_minutes,
            round(player_sum_totals.player_minutes)
        ) as {{ dbt.type_int() }}) as team_minutes,
        'player_sum' as stats_source
    from player_sum_totals
    left join box_game_lengths
        on player_sum_totals.game_id = box_game_lengths.game_id
    left join shot_game_lengths
        on player_sum_totals.game_id = shot_game_lengths.game_id
),

team_stats as (
    select * from box_stats
    union all
    select * from player_sum_stats
),

with_rates as (
    select
        game_teams.game_id,
        game_teams.team_abbr,
        game_teams.game_date,
        game_teams.season_year,
        game_teams.game_type,
        game_teams.game_type = 'playoffs' as is_playoffs,
        game_teams.opponent_team_abbr,
        game_teams.is_home,
        {% for stat in stats %}
        team_stats.{{ stat }},
        {% endfor %}
        team_stats.team_minutes,
        team_stats.team_minutes / 5.0 as game_minutes,
        cast(
            greatest(round((team_stats.team_minutes - 240) / 25.0), 0)
            as {{ dbt.type_int() }}
        ) as overtime_periods,
        team_stats.fg_attempted
        + 0.44 * team_stats.ft_attempted
        + team_stats.turnovers
        - team_stats.off_rebounds as possessions,
        team_stats.stats_source
    from game_teams
    inner join team_stats
        on
            game_teams.game_id = team_stats.game_id
            and game_teams.team_abbr = team_stats.team_abbr
),

final as (
    select
        team.*,
        100.0 * team.points / nullif(team.possessions, 0)
            as offensive_rating,
        team.possessions * 48 / nullif(team.game_minutes, 0) as pace,
        team.points > opponent.points as is_win
    from with_rates as team
    left join with_rates as opponent
        on
            team.game_id = opponent.game_id
            and team.opponent_team_abbr = opponent.team_abbr
)

select * from final
