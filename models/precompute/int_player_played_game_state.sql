{#-
    A player's rolling state AFTER each played game of a season: one row per
    played game, computed once with window functions over the player's game
    sequence. Phase 4 models as-of join a date to the newest row strictly
    before it, so no statistic is recomputed per date.
-#}
with games as (
    select * from {{ ref('player_game_summary') }}
),

played as (
    select
        player_lookup,
        game_id,
        game_date,
        season_year,
        team_abbr,
        cast(points as {{ dbt.type_float() }}) as points,
        cast(minutes as {{ dbt.type_float() }}) as minutes,
        cast(ft_made as {{ dbt.type_float() }}) as ft_made,
        cast(usage_rate as {{ dbt.type_float() }}) as usage_rate
    from games
    where is_played
),

sequenced as (
    select
        *,
        row_number() over (
            partition by player_lookup, season_year
            order by game_date, game_id
        ) as game_seq,
        lag(game_date) over (
            partition by player_lookup, season_year
            order by game_date, game_id
        ) as previous_game_date
    from played
),

windowed as (
    select
        player_lookup,
        game_id,
        game_date,
        season_year,
        team_abbr,
        game_seq,
        points,
        minutes,
        usage_rate,
        coalesce(
            {{ fs_add_days('previous_game_date', 1) }} = game_date, false
        ) as is_back_to_back,
        game_seq as games_played_season,
        count(*) over last_10 as games_in_window_10,
        avg(points) over last_5 as points_avg_last_5,
        avg(points) over last_10 as points_avg_last_10,
        avg(points) over season as points_avg_season,
        stddev_samp(points) over last_10 as points_std_last_10,
        avg(points) over last_3 as points_avg_last_3,
        sum(points) over last_5 as points_sum_last_5,
        sum(points) over last_3 as points_sum_last_3,
        max(points) over last_5 as points_max_last_5,
        sum(points) over last_10 as points_sum_last_10,
        sum(ft_made) over last_10 as ft_made_sum_last_10,
        avg(minutes) over last_10 as minutes_avg_last_10,
        sum(minutes) over last_10 as minutes_sum_last_10,
        avg(minutes) over season as minutes_avg_season,
        avg(usage_rate) over last_10 as usage_rate_last_10,
        avg(usage_rate) over season as usage_rate_season,
        covar_samp(cast(game_seq as {{ dbt.type_float() }}), points)
            over last_10 as points_seq_covar_last_10,
        var_samp(cast(game_seq as {{ dbt.type_float() }}))
            over last_10 as seq_var_last_10
    from sequenced
    window
        season as (
            partition by player_lookup, season_year
            order by game_seq
            rows between unbounded preceding and current row
        ),
        last_3 as (
            partition by player_lookup, season_year
            order by game_seq
            rows between 2 preceding and current row
        ),
        last_5 as (
            partition by player_lookup, season_year
            order by game_seq
            rows between 4 preceding and current row
        ),
        last_10 as (
            partition by player_lookup, season_year
            order by game_seq
            rows between 9 preceding and current row
        )
),

-- each state row paired with the (up to) 10 played games of its window
window_offsets as (
    {{ fs_integers(0, 9, 'games_back') }}
),

breakout_games as (
    select
        state.player_lookup,
        state.season_year,
        state.game_seq,
        sum(
            case
                when game.points >= 1.5 * state.points_avg_season then 1
                else 0
            end
        ) as breakout_games_last_10
    from windowed as state
    cross join window_offsets
    inner join windowed as game
        on
            state.player_lookup = game.player_lookup
            and state.season_year = game.season_year
            and state.game_seq - window_offsets.games_back = game.game_seq
    group by state.player_lookup, state.season_year, state.game_seq
),

final as (
    select
        windowed.player_lookup,
        windowed.game_id,
        windowed.game_date,
        windowed.season_year,
        windowed.team_abbr,
        windowed.game_seq,
        windowed.points,
        windowed.minutes,
        windowed.usage_rate,
        windowed.is_back_to_back,
        windowed.games_played_season,
        windowed.games_in_window_10,
        windowed.points_avg_last_5,
        windowed.points_avg_last_10,
        windowed.points_avg_season,
        windowed.points_std_last_10,
        windowed.points_avg_last_3,
        case
            when windowed.game_seq >= 5
                then
                    (windowed.points_sum_last_5 - windowed.points_sum_last_3)
                    / 2.0
        end as points_avg_games_4_5,
        windowed.points_max_last_5,
        windowed.points_sum_last_10,
        windowed.ft_made_sum_last_10,
        windowed.minutes_avg_last_10,
        windowed.minutes_sum_last_10,
        windowed.points_sum_last_10
        / nullif(windowed.minutes_sum_last_10, 0) as ppm_avg_last_10,
        windowed.minutes_avg_season,
        windowed.usage_rate_last_10,
        windowed.usage_rate_season,
        windowed.points_seq_covar_last_10
        / nullif(windowed.seq_var_last_10, 0) as points_slope_last_10,
        breakout_games.breakout_games_last_10
    from windowed
    inner join breakout_games
        on
            windowed.player_lookup = breakout_games.player_lookup
            and windowed.season_year = breakout_games.season_year
            and windowed.game_seq = breakout_games.game_seq
)

select * from final
