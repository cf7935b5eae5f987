-- Daily readiness of the feature store, straight from ml_feature_store_v2
-- (independent of daily_quality_counts, so the two can be compared).
-- Compile with `dbt compile --select verification_daily_readiness` (add
-- --vars '{start_date: ..., end_date: ...}' for a date range), then run the
-- SQL in target/compiled/.../analyses/ on the warehouse.
with features as (
    select * from {{ ref('ml_feature_store_v2') }}
    where {{ requested_dates_predicate('game_date') }}
),

per_date as (
    select
        game_date,
        count(*) as total_records,
        sum(case when is_quality_ready then 1 else 0 end) as quality_ready,
        sum(
            case
                when coalesce(
                        required_default_count, default_feature_count
                    ) = 0 then 1
                else 0
            end
        ) as req_defaults_zero,
        sum(case when default_feature_count = 0 then 1 else 0 end)
            as all_defaults_zero
    from features
    group by game_date
),

final as (
    select
        game_date,
        total_records,
        quality_ready,
        req_defaults_zero,
        all_defaults_zero,
        round(100.0 * quality_ready / total_records, 1) as pct_ready
    from per_date
)

select * from final
order by game_date
