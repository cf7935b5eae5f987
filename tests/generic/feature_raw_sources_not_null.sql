{#-
    No f<i>_raw_source column (one per entry of var feature_contract) is
    NULL: one test node instead of a not_null test per column. Fails with
    one row per (key, feature index). Reads {{ model }}, so dbt's where /
    partition filter still wraps it.
-#}
{% test feature_raw_sources_not_null(
    model, key_columns=['game_date', 'player_lookup'],
    pattern='f{index}_raw_source') %}

with checked as (
    select * from {{ model }}
),

final as (
    {%- for feature in var('feature_contract') %}
    select
        {{ key_columns | join(',\n        ') }},
        {{ feature['index'] }} as feature_index
    from checked
    where {{ feature_column(pattern, feature['index']) }} is null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final

{% endtest %}
