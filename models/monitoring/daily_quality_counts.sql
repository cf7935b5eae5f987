{{ config(**date_window_incremental_config(
    'game_date', require_partition_filter=false)) }}

{#-
    One row per game date with scheduled games (regular season and playoffs):
    how many feature rows exist and how ready they are, and the level of
    every gate on that date (macro daily_gate_levels: the one mapping from
    figures to levels, read by the gate tests, alerts and the report).
    Dates with games but no feature row keep a row with total_records = 0
    (the canary gate).
-#}

with schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
),

features as (
    select * from {{ ref('ml_feature_store_v2') }}
    where {{ in_date_window('game_date') }}
),

expected as (
    select * from {{ ref('upcoming_player_game_context') }}
    where {{ in_date_window('game_date') }}
),

vegas_coverage as (
    select * from {{ ref('vegas_coverage_daily') }}
    where {{ in_date_window('game_date') }}
),

star_lines as (
    select * from {{ ref('scraper_health_star_lines') }}
    where {{ in_date_window('game_date') }}
),

counted_games as (
    select * from schedule
    where {{ is_feature_game('game_type') }}
        and game_status != 'postponed'
),

season_starts as (
    select
        season_year,
        min(game_date) as season_start_date
    from counted_games
    where game_type = 'regular'
    group by season_year
),

game_dates as (
    select
        game_date,
        min(season_year) as season_year,
        count(*) as games_scheduled,
        max(case when game_status = 'final' then 1 else 0 end) = 1
            as has_final_game
    from counted_games
    where {{ in_date_window('game_date') }}
    group by game_date
),

expected_counts as (
    select
        game_date,
        count(*) as expected_players
    from expected
    group by game_date
),

star_counts as (
    select
        game_date,
        count(*) as stars_missing_lines
    from star_lines
    group by game_date
),

feature_counts as (
    select
        game_date,
        count(*) as total_records,
        {{ count_where('is_quality_ready') }} as quality_ready,
        {{ count_where(
            effective_required_default_count() ~ ' = 0'
        ) }} as req_defaults_zero,
        {{ count_where('default_feature_count = 0') }}
            as all_defaults_zero,
        {{ count_where(
            'is_quality_ready and coalesce(vegas_default_count, 0) = 0'
        ) }} as ready_if_vegas_required,
        {{ count_where("quality_alert_level = 'green'") }} as green_count,
        {{ count_where("quality_alert_level = 'yellow'") }} as yellow_count,
        {{ count_where("quality_alert_level = 'red'") }} as red_count,
        {{ count_where('has_vegas_line') }} as vegas_line_count,
        {{ count_where('cache_miss_fallback_used') }} as cache_miss_count,
        {#- exact means (macro fs_exact_mean): a float avg() in another
            summation order can flip an exact .xx5 between two runs -#}
        {{ fs_exact_mean('feature_quality_score', 2, 2) }}
            as mean_quality_score,
        {{ fs_exact_mean('default_feature_count', 0, 2) }}
            as mean_default_feature_count,
        {{ fs_exact_mean('matchup_quality_pct', 1, 1) }}
            as mean_matchup_quality_pct
    from features
    group by game_date
),

joined as (
    select
        game_dates.game_date,
        game_dates.season_year,
        game_dates.games_scheduled,
        game_dates.has_final_game,
        coalesce(expected_counts.expected_players, 0) as expected_players,
        {{ dbt.datediff(
            'season_starts.season_start_date', 'game_dates.game_date', 'day'
        ) }} + 1 as season_day,
        coalesce(feature_counts.total_records, 0) as total_records,
        coalesce(feature_counts.quality_ready, 0) as quality_ready,
        coalesce(feature_counts.req_defaults_zero, 0) as req_defaults_zero,
        coalesce(feature_counts.all_defaults_zero, 0) as all_defaults_zero,
        coalesce(feature_counts.ready_if_vegas_required, 0)
            as ready_if_vegas_required,
        coalesce(feature_counts.green_count, 0) as green_count,
        coalesce(feature_counts.yellow_count, 0) as yellow_count,
        coalesce(feature_counts.red_count, 0) as red_count,
        coalesce(feature_counts.vegas_line_count, 0) as vegas_line_count,
        coalesce(feature_counts.cache_miss_count, 0) as cache_miss_count,
        feature_counts.mean_quality_score,
        feature_counts.mean_default_feature_count,
        feature_counts.mean_matchup_quality_pct,
        coalesce(vegas_coverage.is_lines_due, false) as is_lines_due,
        coalesce(star_counts.stars_missing_lines, 0) as stars_missing_lines
    from game_dates
    left join feature_counts
        on game_dates.game_date = feature_counts.game_date
    left join expected_counts
        on game_dates.game_date = expected_counts.game_date
    left join season_starts
        on game_dates.season_year = season_starts.season_year
    left join vegas_coverage
        on game_dates.game_date = vegas_coverage.game_date
    left join star_counts
        on game_dates.game_date = star_counts.game_date
),

judged_dates as (
    {#- A date is counted once it can have rows: it has expected players
        or feature rows, or one of its games is final (then rows are due
        whatever upstream says). Far-future schedule dates are left out. -#}
    select * from joined
    where expected_players > 0 or total_records > 0 or has_final_game
),

measured as (
    select
        game_date,
        season_year,
        games_scheduled,
        season_day,
        coalesce(season_day <= {{ var('gate_season_warmup_days') }}, false)
            as is_season_warmup,
        {#- Rows of a date after the run date were built before that
            date's injury reports (tomorrow's, at today's run): every
            rostered player has one. They are judged at their own run. #}
        game_date > {{ date_literal(run_date()) }} as is_provisional,
        expected_players,
        total_records,
        {#- Canary floor: var gate_min_players_per_date, or every expected
            player on a light date (fewer expected; at least 1). -#}
        greatest(
            least(
                {{ var('gate_min_players_per_date') }},
                greatest(expected_players, 1)
            ) - total_records,
            0
        ) as canary_shortfall,
        quality_ready,
        req_defaults_zero,
        all_defaults_zero,
        ready_if_vegas_required,
        {{ pct_of('quality_ready', 'total_records') }} as pct_ready,
        {{ pct_of('ready_if_vegas_required', 'total_records') }}
            as pct_ready_if_vegas_required,
        green_count,
        yellow_count,
        red_count,
        {{ pct_of('red_count', 'total_records') }} as red_alert_pct,
        mean_quality_score,
        mean_default_feature_count,
        mean_matchup_quality_pct,
        vegas_line_count,
        {{ pct_of('vegas_line_count', 'total_records') }}
            as vegas_coverage_pct,
        cache_miss_count,
        {{ pct_of('cache_miss_count', 'total_records') }} as cache_miss_pct,
        is_lines_due,
        stars_missing_lines
    from judged_dates
),

final as (
    select
        *,
        {{ daily_gate_levels() }}
    from measured
)

select * from final
