{#-
    Every feature_<i>_source column (one per entry of var feature_contract)
    holds a canonical source label (a value of var canonical_sources). One
    test node instead of an accepted_values test per column. Fails with one
    row per (key, feature index, source), a NULL source included. Reads
    {{ model }}, so dbt's where / partition filter still wraps it.
-#}
{% test feature_sources_are_canonical(
    model, key_columns=['player_lookup', 'game_date'],
    pattern='feature_{index}_source') %}

{%- set labels = [] -%}
{%- for label in var('canonical_sources').values() | unique -%}
    {%- do labels.append(sql_literal(label)) -%}
{%- endfor %}

with checked as (
    select * from {{ model }}
),

sources as (
    {%- for feature in var('feature_contract') %}
    select
        {{ key_columns | join(',\n        ') }},
        {{ feature['index'] }} as feature_index,
        {{ feature_column(pattern, feature['index']) }} as feature_source
    from checked
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select * from sources
    where
        feature_source is null
        or feature_source not in ({{ labels | join(', ') }})
)

select * from final

{% endtest %}
