{{ config(**date_window_incremental_config('game_date', ['player_lookup'])) }}
{#-
    Every input of the 39 features, one row per upcoming_player_game_context
    row, gathered from the phase 4 models. When the daily cache has no row
    for the player, the player-history inputs are recomputed from the same
    per-game state rows built from player_game_summary (history_source =
    'phase3', has_cache_row = false). int_player_features_computed turns
    these inputs into feature values and source labels.
-#}
with context as (
    select * from {{ ref('upcoming_player_game_context') }}
    where {{ in_date_window('game_date') }}
),

cache as (
    select * from {{ ref('player_daily_cache') }}
    where {{ in_date_window('cache_date') }}
),

played_states as (
    select * from {{ ref('int_player_played_game_state') }}
),

zones as (
    select * from {{ ref('player_shot_zone_analysis') }}
    where {{ in_date_window('analysis_date') }}
),

zone_defense as (
    select * from {{ ref('team_defense_zone_analysis') }}
    where {{ in_date_window('analysis_date') }}
),

team_daily as (
    select * from {{ ref('int_team_daily_state') }}
),

composite as (
    select * from {{ ref('player_composite_factors') }}
    where {{ in_date_window('game_date') }}
),

prop_lines as (
    select * from {{ ref('player_prop_lines') }}
    where {{ in_date_window('game_date') }}
),

games as (
    select * from {{ ref('player_game_summary') }}
),

-- cache misses: the same state, as-of joined straight from the game rows
cache_misses as (
    select
        context.player_lookup,
        context.season_year,
        context.game_date
    from context
    left join cache
        on
            context.player_lookup = cache.player_lookup
            and context.game_date = cache.cache_date
    where cache.player_lookup is null
),

miss_as_of as (
    {{ fs_asof(
        spine='cache_misses', spine_date='game_date',
        events='played_states', event_date='game_date',
        keys=['player_lookup', 'season_year'],
        asof_column='last_played_date') }}
),

miss_recent_games as (
    select
        cache_misses.player_lookup,
        cache_misses.game_date,
        count(*) as games_last_7_days,
        sum(played_states.minutes) as minutes_last_7_days
    from cache_misses
    inner join played_states
        on
            cache_misses.player_lookup = played_states.player_lookup
            and cache_misses.game_date > played_states.game_date
            and {{ fs_add_days('cache_misses.game_date', -7) }}
            <= played_states.game_date
    group by cache_misses.player_lookup, cache_misses.game_date
),

fallback as (
    select
        miss_as_of.player_lookup,
        miss_as_of.game_date,
        state.games_played_season,
        state.points_avg_last_5,
        state.points_avg_last_10,
        state.points_avg_season,
        state.points_std_last_10,
        coalesce(miss_recent_games.games_last_7_days, 0)
            as games_in_last_7_days,
        coalesce(miss_recent_games.games_last_7_days, 0)
            as load_games_last_7_days,
        coalesce(miss_recent_games.minutes_last_7_days, 0)
            as load_minutes_last_7_days,
        state.minutes_avg_last_10,
        state.ppm_avg_last_10,
        state.minutes_avg_season,
        state.usage_rate_last_10,
        state.points_avg_last_3,
        state.points_avg_games_4_5,
        state.points_max_last_5,
        state.points_sum_last_10,
        state.ft_made_sum_last_10,
        state.points_slope_last_10,
        state.games_in_window_10,
        state.breakout_games_last_10
    from miss_as_of
    inner join played_states as state
        on
            miss_as_of.player_lookup = state.player_lookup
            and miss_as_of.last_played_date = state.game_date
    left join miss_recent_games
        on
            miss_as_of.player_lookup = miss_recent_games.player_lookup
            and miss_as_of.game_date = miss_recent_games.game_date
    where state.games_played_season >= {{ var('min_history_games') }}
),

vs_opponent as (
    select
        context.player_lookup,
        context.game_date,
        count(*) as games_vs_opponent,
        avg(cast(games.points as {{ dbt.type_float() }}))
            as points_avg_vs_opponent
    from context
    inner join games
        on
            context.player_lookup = games.player_lookup
            and context.opponent_team_abbr = games.opponent_team_abbr
            and context.game_date > games.game_date
            and {{ fs_add_days('context.game_date', -365) }} <= games.game_date
    where games.is_played
    group by context.player_lookup, context.game_date
),

{%- set history_columns = [
    'points_avg_last_5', 'points_avg_last_10', 'points_avg_season',
    'points_std_last_10', 'games_in_last_7_days', 'load_games_last_7_days',
    'load_minutes_last_7_days', 'minutes_avg_last_10', 'ppm_avg_last_10',
    'minutes_avg_season', 'usage_rate_last_10', 'points_avg_last_3',
    'points_avg_games_4_5', 'points_max_last_5', 'points_sum_last_10',
    'ft_made_sum_last_10', 'points_slope_last_10', 'games_in_window_10',
    'breakout_games_last_10'] %}

final as (
    select
        context.game_date,
        context.player_lookup,
        context.player_name,
        context.game_id,
        context.season_year,
        context.team_abbr,
        context.opponent_team_abbr,
        context.is_home,
        context.days_rest,
        context.opponent_days_rest,
        coalesce(context.is_back_to_back, false) as is_back_to_back,
        coalesce(context.is_playoffs, false) as is_playoffs,
        context.injury_status,
        cache.player_lookup is not null as has_cache_row,
        case
            when cache.player_lookup is not null then 'phase4'
            when fallback.player_lookup is not null then 'phase3'
        end as history_source,
        coalesce(
            cache.games_played_season, fallback.games_played_season, 0
        ) as games_played_season,
        {%- for col in history_columns %}
        case
            when cache.player_lookup is not null then cache.{{ col }}
            else fallback.{{ col }}
        end as {{ col }},
        {%- endfor %}
        coalesce(cache.appearances_last_10, 0) as appearances_last_10,
        coalesce(cache.dnp_last_10, 0) as dnp_last_10,
        case
            when
                cache.player_lookup is not null
                and cache.team_abbr = context.team_abbr
                then 'phase4'
            else 'phase3'
        end as team_context_source,
        case
            when team_state.team_games_season > 0
                then team_state.pace_avg_last_10
        end as team_pace_last_10,
        case
            when team_state.team_games_season > 0
                then team_state.off_rating_avg_last_10
        end as team_off_rating_last_10,
        coalesce(team_state.team_games_season, 0) as team_games_season,
        coalesce(team_state.team_wins_season, 0) as team_wins_season,
        composite.fatigue_score,
        composite.shot_zone_mismatch_score,
        composite.pace_score,
        composite.usage_spike_score,
        coalesce(composite.teammates_out_points_avg_sum, 0)
            as teammates_out_points_avg_sum,
        zone_defense.def_rating_last_15 as opponent_def_rating,
        zone_defense.pace_last_15 as opponent_pace,
        zones.pct_paint,
        zones.pct_mid_range,
        zones.pct_three,
        prop_lines.current_line as vegas_current_line,
        prop_lines.opening_line as vegas_opening_line,
        prop_lines.line_move as vegas_line_move,
        prop_lines.line_source as vegas_line_source,
        prop_lines.sportsbook as vegas_sportsbook,
        coalesce(vs_opponent.games_vs_opponent, 0) as games_vs_opponent,
        vs_opponent.points_avg_vs_opponent
    from context
    left join cache
        on
            context.player_lookup = cache.player_lookup
            and context.game_date = cache.cache_date
    left join fallback
        on
            context.player_lookup = fallback.player_lookup
            and context.game_date = fallback.game_date
    left join team_daily as team_state
        on
            context.team_abbr = team_state.team_abbr
            and context.game_date = team_state.state_date
    left join composite
        on
            context.player_lookup = composite.player_lookup
            and context.game_date = composite.game_date
    left join zone_defense
        on
            context.opponent_team_abbr = zone_defense.team_abbr
            and context.game_date = zone_defense.analysis_date
    left join zones
        on
            context.player_lookup = zones.player_lookup
            and context.game_date = zones.analysis_date
    left join prop_lines
        on
            context.player_lookup = prop_lines.player_lookup
            and context.game_date = prop_lines.game_date
    left join vs_opponent
        on
            context.player_lookup = vs_opponent.player_lookup
            and context.game_date = vs_opponent.game_date
)

select * from final
