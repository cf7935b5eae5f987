{#- Fails on every non-NULL value outside [min_value, max_value]. -#}
{% test fs_value_between(model, column_name, min_value, max_value) %}

with checked as (
    select * from {{ model }}
),

final as (
    select {{ column_name }} as out_of_range_value
    from checked
    where {{ column_name }} < {{ min_value }}
        or {{ column_name }} > {{ max_value }}
)

select * from final

{% endtest %}
