-- MetricFlow's time spine: one row per calendar day, from the first NBA game
-- (var history_floor_date) to the end of 2035. Cross-database: dbt.date_spine
-- renders the day arithmetic for each adapter.
with

days as (

    {{ dbt.date_spine(
        datepart="day",
        start_date="cast('" ~ var('history_floor_date') ~ "' as date)",
        end_date="cast('2036-01-01' as date)"
    ) }}

)

select cast(date_day as date) as date_day
from days
