{#-
    Each vector element equals its feature: the value when the feature has
    a usable source; when it is a default (and then feature_<i>_value is
    NULL), its contract stand-in's value if it has one (feature 29: the
    season average, feature 2) unless that is a default too, else the
    contract default. Returns one row per wrong element.
-#}

with feature_store as (
    select * from {{ ref('ml_feature_store_v2') }}
    where {{ tested_partitions('game_date') }}
),

{%- for feature in var('feature_contract') %}
{%- set i = feature['index'] %}
{%- set s = feature_stand_in_index(feature) %}
{%- if s is none %}
{%- set absent = feature['default'] %}
{%- else %}
{%- set absent = "case when feature_" ~ s ~ "_source = 'default' then "
    ~ feature['default'] ~ " else coalesce(feature_" ~ s ~ "_value, "
    ~ feature['default'] ~ ") end" %}
{%- endif %}

element_{{ i }} as (
    select
        player_lookup,
        game_date,
        {{ i }} as feature_index,
        feature_{{ i }}_source as feature_source,
        feature_{{ i }}_value as feature_value,
        {{ array_element('features', i) }} as vector_value
    from feature_store
    where
        {{ array_element('features', i) }} is null
        or (
            feature_{{ i }}_source = 'default'
            and (
                feature_{{ i }}_value is not null
                or {{ array_element('features', i) }}
                != {{ absent }}
            )
        )
        or (
            feature_{{ i }}_source != 'default'
            and {{ array_element('features', i) }}
            != coalesce(feature_{{ i }}_value, {{ feature['default'] }})
        )
),
{%- endfor %}

final as (
    {%- for feature in var('feature_contract') %}
    select * from element_{{ feature['index'] }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final
