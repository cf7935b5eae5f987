{#- Fails once per combination of `columns` that occurs more than once. -#}
{% test fs_unique_combination(model, columns) %}

with checked as (
    select * from {{ model }}
),

final as (
    select
        {{ columns | join(', ') }},
        count(*) as row_count
    from checked
    group by {{ columns | join(', ') }}
    having count(*) > 1
)

select * from final

{% endtest %}
