-- What making the vegas set (features 25-27) optional changed, per game
-- date: the share ready under the current rule (vegas defaults never block)
-- against the share that would be ready if they were required (the
-- production rule before the change: 37-45% ready, 90-95% after). Every
-- date, or the start_date / end_date vars' range when given.
with daily as (
    select * from {{ ref('daily_quality_counts') }}
    where {{ requested_dates_predicate('game_date') }}
),

final as (
    select
        game_date,
        season_year,
        total_records,
        pct_ready_if_vegas_required as pct_ready_before,
        pct_ready as pct_ready_after,
        pct_ready - pct_ready_if_vegas_required as pct_points_gained,
        vegas_coverage_pct
    from daily
    where total_records > 0
)

select * from final
order by game_date
