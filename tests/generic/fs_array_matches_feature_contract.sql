{#-
    Fails on every row whose array column does not have one element per
    feature of var `feature_contract`; with `compare_names: true` also when
    its elements (joined) differ from the contract's feature names in order.
-#}
{% test fs_array_matches_feature_contract(
    model, column_name, compare_names=false) %}

{%- set names = [] -%}
{%- for feature in var('feature_contract') -%}
    {%- do names.append(feature['name']) -%}
{%- endfor %}

with checked as (
    select * from {{ model }}
),

final as (
    select {{ column_name }} as wrong_array
    from checked
    where {{ column_name }} is null
        or {{ array_size(column_name) }} != {{ names | length }}
    {%- if compare_names %}
        or {{ array_join_strings(column_name, ',') }}
            != '{{ names | join(",") }}'
    {%- endif %}
)

select * from final

{% endtest %}
