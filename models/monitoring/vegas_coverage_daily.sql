{{ config(**date_window_incremental_config(
    'game_date', require_partition_filter=false)) }}

{#-
    Vegas line coverage per game date (docs/monitoring.md):
    the share of feature rows whose current line (feature 25) is present,
    banded healthy / warning / critical, with the per-source line counts
    of player_prop_lines to tell which scraper fell short.
-#}

with features as (
    select * from {{ ref('ml_feature_store_v2') }}
    where {{ in_date_window('game_date') }}
),

prop_lines as (
    select * from {{ ref('player_prop_lines') }}
    where {{ in_date_window('game_date') }}
),

feature_coverage as (
    select
        game_date,
        min(season_year) as season_year,
        count(*) as total_players,
        {{ count_where('has_vegas_line') }} as players_with_line
    from features
    group by game_date
),

schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
    where {{ in_date_window('game_date') }}
),

first_tipoffs as (
    select
        game_date,
        min(tipoff_at) as first_tipoff_at
    from schedule
    where {{ is_feature_game('game_type') }}
    group by game_date
),

source_coverage as (
    select
        game_date,
        {{ count_where('has_odds_api_line') }} as odds_api_players,
        {{ count_where('has_bettingpros_line') }} as bettingpros_players
    from prop_lines
    group by game_date
),

joined as (
    select
        feature_coverage.game_date,
        feature_coverage.season_year,
        feature_coverage.total_players,
        feature_coverage.players_with_line,
        coalesce(source_coverage.odds_api_players, 0) as odds_api_players,
        coalesce(source_coverage.bettingpros_players, 0)
            as bettingpros_players,
        {{ pct_of(
            'feature_coverage.players_with_line',
            'feature_coverage.total_players'
        ) }} as vegas_coverage_pct,
        {#- Lines are due once the date's first game is within
            var lines_up_hours_before_tipoff of the build (the run moment
            on a fixed run date): tomorrow's rows have no lines yet at
            today's run, and that is no outage. #}
        coalesce(
            {{ timestamp_minus_hours(
                'first_tipoffs.first_tipoff_at',
                var('lines_up_hours_before_tipoff')
            ) }} <= {{ utc_now() }},
            true
        ) as is_lines_due
    from feature_coverage
    left join source_coverage
        on feature_coverage.game_date = source_coverage.game_date
    left join first_tipoffs
        on feature_coverage.game_date = first_tipoffs.game_date
),

final as (
    select
        *,
        case
            when vegas_coverage_pct >= {{ var('vegas_coverage_healthy_min') }}
                then 'healthy'
            when vegas_coverage_pct >= {{ var('vegas_coverage_warning_min') }}
                then 'warning'
            else 'critical'
        end as coverage_band
    from joined
)

select * from final
