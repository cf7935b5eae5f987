{#-
    The 78 columns f<i>_value, f<i>_raw_source of int_player_features_computed,
    one pair per entry of var('feature_contract').

    The value of feature i is the column named after it in the contract
    (its `name`), which the calling model computes (NULL when absent).
    present_source_of: index -> SQL expression of the raw source when the
      value is present, where it is not the contract's constant
      source_present (e.g. phase3 on a cache miss).
    Absent values get the contract's source_absent; features without one
    (calculated / phase3) always carry source_present.
-#}
{% macro fs_feature_columns(present_source_of) -%}
    {%- for feature in var('feature_contract') %}
        {%- set i = feature['index'] %}
        {%- set present = present_source_of.get(
            i, "'" ~ feature['source_present'] ~ "'") %}
        cast({{ feature['name'] }} as {{ dbt.type_float() }}) as f{{ i }}_value,
        {%- if feature['source_absent'] is none %}
        {{ present }} as f{{ i }}_raw_source
        {%- else %}
        case
            when {{ feature['name'] }} is not null then {{ present }}
            else '{{ feature['source_absent'] }}'
        end as f{{ i }}_raw_source
        {%- endif %}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
