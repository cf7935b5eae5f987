{#-
    One box-score line per (game_id, player_lookup) of regular-season and
    playoff games, with the game context, usage rate and shot-zone counts.
-#}
{%- set zones = [
    ['paint', 'paint'], ['mid_range', 'mid_range'], ['three', 'three_zone'],
] -%}

with player_lines as (
    select * from {{ ref('stg_nba_raw__gamebook_player_stats') }}
),

schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
),

team_offense as (
    select * from {{ ref('team_offense_game_summary') }}
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

shot_zones as (
    select
        {% for zone, prefix in zones %}
        {{ count_where("shot_zone = '" ~ zone ~ "'") }}
            as {{ prefix }}_attempts,
        {{ count_where("shot_zone = '" ~ zone ~ "' and is_made") }}
            as {{ prefix }}_made,
        {% endfor %}
        game_id,
        player_lookup
    from shot_events
    group by game_id, player_lookup
),

joined as (
    select
        player_lines.game_id,
        player_lines.player_lookup,
        games.game_date,
        games.season_year,
        games.game_type,
        games.game_type = 'playoffs' as is_playoffs,
        player_lines.player_name,
        player_lines.team_abbr,
        case
            when player_lines.team_abbr = games.home_team_abbr
                then games.away_team_abbr
            when player_lines.team_abbr = games.away_team_abbr
                then games.home_team_abbr
        end as opponent_team_abbr,
        player_lines.team_abbr = games.home_team_abbr as is_home,
        player_lines.player_status,
        player_lines.dnp_reason,
        coalesce(
            player_lines.player_status = 'active'
            and player_lines.minutes > 0,
            false
        ) as is_played,
        player_lines.is_starter,
        player_lines.minutes,
        player_lines.points,
        player_lines.fg_made,
        player_lines.fg_attempted,
        player_lines.three_made,
        player_lines.three_attempted,
        player_lines.ft_made,
        player_lines.ft_attempted,
        player_lines.off_rebounds,
        player_lines.def_rebounds,
        player_lines.off_rebounds + player_lines.def_rebounds as rebounds,
        player_lines.assists,
        player_lines.steals,
        player_lines.blocks,
        player_lines.turnovers,
        player_lines.fouls,
        {{ usage_rate(
            'player_lines.fg_attempted', 'player_lines.ft_attempted',
            'player_lines.turnovers', 'player_lines.minutes',
            'team_offense.fg_attempted', 'team_offense.ft_attempted',
            'team_offense.turnovers', 'team_offense.team_minutes',
        ) }} as usage_rate,
        {% for zone, prefix in zones %}
        coalesce(shot_zones.{{ prefix }}_attempts, 0)
            as {{ prefix }}_attempts,
        coalesce(shot_zones.{{ prefix }}_made, 0) as {{ prefix }}_made,
        {% endfor %}
        player_lines.loaded_at
    from player_lines
    inner join games
        on player_lines.game_id = games.game_id
    left join team_offense
        on
            player_lines.game_id = team_offense.game_id
            and player_lines.team_abbr = team_offense.team_abbr
    left join shot_zones
        on
            player_lines.game_id = shot_zones.game_id
            and player_lines.player_lookup = shot_zones.player_lookup
),

final as (
    select * from joined
)

select * from final
