{#-
    Fails on every row where `expression` is not true (false or NULL).
    Usage (model level): - fs_expression_is_true:
                              arguments: {expression: "a = b + c"}
-#}
{% test fs_expression_is_true(model, expression) %}

with checked as (
    select * from {{ model }}
),

final as (
    select *
    from checked
    where not coalesce({{ expression }}, false)
)

select * from final

{% endtest %}
