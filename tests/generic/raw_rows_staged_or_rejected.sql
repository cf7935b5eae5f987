{#-
    Every row of raw table `raw_table` (source nba_raw) is either staged (a
    row of the tested staging model) or rejected (a row of stg_rejected_rows
    with that source_table): raw rows = staged rows + rejected rows. Fails
    with one row of the three counts when they do not add up. The raw table
    is read with its partition filter, like the base models read it.
-#}
{% test raw_rows_staged_or_rejected(model, raw_table) %}

with raw_rows as (
    select count(*) as row_count
    from {{ source('nba_raw', raw_table) }}
    where {{ raw_partition_column(raw_table) }} >= {{ raw_partition_floor() }}
),

staged_rows as (
    select count(*) as row_count
    from {{ model }}
),

rejected_rows as (
    select count(*) as row_count
    from {{ ref('stg_rejected_rows') }}
    where source_table = '{{ raw_table }}'
),

final as (
    select
        raw_rows.row_count as raw_row_count,
        staged_rows.row_count as staged_row_count,
        rejected_rows.row_count as rejected_row_count
    from raw_rows
    cross join staged_rows
    cross join rejected_rows
)

select * from final
where raw_row_count != staged_row_count + rejected_row_count

{% endtest %}
