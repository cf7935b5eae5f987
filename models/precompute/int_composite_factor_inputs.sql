{{ config(**date_window_incremental_config('game_date', ['player_lookup'])) }}
{#-
    Everything the composite factors (features 5-8) need, one row per
    upcoming_player_game_context row: recent load and usage from the daily
    cache, the shot-zone profile, the opponent's zone defence, both teams'
    pace, and the injured teammates on the latest pre-tipoff report.
-#}
with context as (
    select * from {{ ref('upcoming_player_game_context') }}
    where {{ in_date_window('game_date') }}
),

cache as (
    select * from {{ ref('player_daily_cache') }}
    where {{ in_date_window('cache_date') }}
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

injuries as (
    select * from {{ ref('stg_nba_raw__injury_report') }}
),

schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
),

team_games as (
    select
        game_date,
        tipoff_at,
        home_team_abbr as team_abbr
    from schedule
    union all
    select
        game_date,
        tipoff_at,
        away_team_abbr as team_abbr
    from schedule
),

pre_tipoff_reports as (
    select
        injuries.game_date,
        injuries.team_abbr,
        injuries.player_lookup,
        injuries.injury_status,
        row_number() over (
            partition by injuries.game_date, injuries.player_lookup
            order by injuries.report_at desc, injuries.injury_status asc
        ) as newest_rank
    from injuries
    inner join team_games
        on
            injuries.game_date = team_games.game_date
            and injuries.team_abbr = team_games.team_abbr
    where
        {{ injury_report_counts('injuries.report_at', 'team_games.tipoff_at') }}
        and injuries.player_lookup is not null
),

latest_reports as (
    select
        pre_tipoff_reports.game_date,
        pre_tipoff_reports.team_abbr,
        pre_tipoff_reports.player_lookup,
        pre_tipoff_reports.injury_status,
        coalesce(
            cache.points_avg_last_10 >= 18
            or cache.minutes_avg_last_10 >= 28
            or cache.usage_rate_last_10 >= 25,
            false
        ) as is_star,
        cache.points_avg_season
    from pre_tipoff_reports
    left join cache
        on
            pre_tipoff_reports.player_lookup = cache.player_lookup
            and pre_tipoff_reports.game_date = cache.cache_date
    where pre_tipoff_reports.newest_rank = 1
),

teammates_out as (
    select
        context.game_date,
        context.player_lookup,
        sum(
            case
                when
                    reports.is_star
                    and reports.injury_status in ('out', 'doubtful')
                    then 1
                else 0
            end
        ) as star_teammates_out,
        {#- Rounded: the sum is bucketed at 5 / 12 / 20 / 30 (feature 37),
            and a float sum in another order (a window rebuild, another
            engine) can land on 11.999999999 instead of 12. -#}
        round(sum(
            case
                when
                    reports.injury_status in (
                        'out', 'doubtful', 'questionable'
                    )
                    then coalesce(reports.points_avg_season, 0)
                else 0
            end
        ), 9) as teammates_out_points_avg_sum
    from context
    inner join latest_reports as reports
        on
            context.game_date = reports.game_date
            and context.team_abbr = reports.team_abbr
            and context.player_lookup != reports.player_lookup
    group by context.game_date, context.player_lookup
),

final as (
    select
        context.game_date,
        context.player_lookup,
        context.game_id,
        context.team_abbr,
        context.opponent_team_abbr,
        context.days_rest,
        coalesce(context.is_back_to_back, false) as is_back_to_back,
        context.age_years,
        coalesce(cache.games_played_season, 0) as games_played_season,
        coalesce(cache.load_games_last_7_days, 0) as games_last_7_days,
        coalesce(cache.load_minutes_last_7_days, 0) as minutes_last_7_days,
        coalesce(cache.load_back_to_backs_last_14_days, 0)
            as back_to_backs_last_14_days,
        cache.usage_rate_season,
        cache.usage_rate_last_7_days,
        zones.primary_zone,
        zones.primary_zone_share,
        case
            when zones.primary_zone is null then null
            when zones.primary_zone = 'perimeter'
                then zone_defense.three_fg_pct_vs_league
            when zones.primary_zone = 'mid_range'
                then zone_defense.mid_range_fg_pct_vs_league
            else zone_defense.paint_fg_pct_vs_league
        end as opponent_zone_fg_pct_vs_league,
        case
            when team_state.team_games_season > 0
                then team_state.pace_avg_last_10
        end as team_pace_last_10,
        case
            when opponent_state.team_games_season > 0
                then opponent_state.pace_avg_last_10
        end as opponent_pace_last_10,
        coalesce(teammates_out.star_teammates_out, 0) as star_teammates_out,
        coalesce(teammates_out.teammates_out_points_avg_sum, 0)
            as teammates_out_points_avg_sum
    from context
    left join cache
        on
            context.player_lookup = cache.player_lookup
            and context.game_date = cache.cache_date
    left join zones
        on
            context.player_lookup = zones.player_lookup
            and context.game_date = zones.analysis_date
    left join zone_defense
        on
            context.opponent_team_abbr = zone_defense.team_abbr
            and context.game_date = zone_defense.analysis_date
    left join team_daily as team_state
        on
            context.team_abbr = team_state.team_abbr
            and context.game_date = team_state.state_date
    left join team_daily as opponent_state
        on
            context.opponent_team_abbr = opponent_state.team_abbr
            and context.game_date = opponent_state.state_date
    left join teammates_out
        on
            context.player_lookup = teammates_out.player_lookup
            and context.game_date = teammates_out.game_date
)

select * from final
