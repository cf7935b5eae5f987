-- Rows and readiness per date of the backfill window given by the vars
-- start_date / end_date (else the daily window), with the dates of the
-- window that have games but no feature row:
--   dbt compile --select backfill_check \
--       --vars '{start_date: 2021-11-02, end_date: 2021-12-31}'
with daily as (
    select * from {{ ref('daily_quality_counts') }}
    where {{ date_window_predicate('game_date') }}
),

open_gaps as (
    select * from {{ ref('feature_store_gaps') }}
    where
        resolved_at is null
        and {{ date_window_predicate('game_date') }}
),

gaps_per_date as (
    select
        game_date,
        count(*) as open_gaps,
        sum(case when is_fault then 1 else 0 end) as open_fault_gaps
    from open_gaps
    group by game_date
),

final as (
    select
        daily.game_date,
        daily.games_scheduled,
        daily.expected_players,
        daily.total_records,
        daily.quality_ready,
        daily.pct_ready,
        daily.is_season_warmup,
        coalesce(gaps_per_date.open_gaps, 0) as open_gaps,
        coalesce(gaps_per_date.open_fault_gaps, 0) as open_fault_gaps,
        daily.total_records = 0 as is_missing_date
    from daily
    left join gaps_per_date
        on daily.game_date = gaps_per_date.game_date
)

select * from final
order by game_date
