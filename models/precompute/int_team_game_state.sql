{#-
    A team's rolling state AFTER each of its games of a season (one row per
    team game): last-10 pace and offensive rating, season record, last-15
    defensive rating, pace and opponent shooting by zone.
-#}
with offense as (
    select * from {{ ref('team_offense_game_summary') }}
),

defense as (
    select * from {{ ref('team_defense_game_summary') }}
),

team_games as (
    select
        offense.team_abbr,
        offense.game_id,
        offense.game_date,
        offense.season_year,
        offense.pace,
        offense.offensive_rating,
        case when offense.is_win then 1 else 0 end as win,
        defense.defensive_rating,
        defense.opp_paint_attempts,
        defense.opp_paint_made,
        defense.opp_mid_range_attempts,
        defense.opp_mid_range_made,
        defense.opp_three_attempts,
        defense.opp_three_made
    from offense
    left join defense
        on
            offense.game_id = defense.game_id
            and offense.team_abbr = defense.defending_team_abbr
),

final as (
    select
        team_abbr,
        game_id,
        game_date,
        season_year,
        count(*) over season as team_games_season,
        sum(win) over season as team_wins_season,
        avg(pace) over last_10 as pace_avg_last_10,
        avg(offensive_rating) over last_10 as off_rating_avg_last_10,
        avg(defensive_rating) over last_15 as def_rating_avg_last_15,
        avg(pace) over last_15 as pace_avg_last_15,
        sum(opp_paint_attempts) over last_15 as opp_paint_attempts_last_15,
        sum(opp_paint_made) over last_15 as opp_paint_made_last_15,
        sum(opp_mid_range_attempts) over last_15
            as opp_mid_range_attempts_last_15,
        sum(opp_mid_range_made) over last_15 as opp_mid_range_made_last_15,
        sum(opp_three_attempts) over last_15 as opp_three_attempts_last_15,
        sum(opp_three_made) over last_15 as opp_three_made_last_15
    from team_games
    window
        season as (
            partition by team_abbr, season_year
            order by game_date, game_id
            rows between unbounded preceding and current row
        ),
        last_10 as (
            partition by team_abbr, season_year
            order by game_date, game_id
            rows between 9 preceding and current row
        ),
        last_15 as (
            partition by team_abbr, season_year
            order by game_date, game_id
            rows between 14 preceding and current row
        )
)

select * from final
