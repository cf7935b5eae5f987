{#-
    One element of the feature vector (ml_feature_store_v2.features), from
    the contract entry `feature` (var feature_contract):
      - a present feature carries its value (the contract default if NULL);
      - an absent feature (a default source label) carries its stand-in's
        vector value when the contract names a `stand_in` (feature 29: the
        season average), else the contract default.
    raw: pattern of the raw source columns, value: of the value columns
    (see feature_column), e.g. 'f{index}_raw_source', 'f{index}_value'.
-#}
{% macro feature_vector_element(feature, raw, value) -%}
    {%- set i = feature['index'] | int -%}
    {%- set stand_in = feature_stand_in_index(feature) -%}
    {%- if stand_in is none -%}
        {%- set absent = feature['default'] | string -%}
    {%- else -%}
        {%- set absent = 'case when '
            ~ is_default_source(feature_column(raw, stand_in))
            ~ ' then ' ~ feature['default']
            ~ ' else coalesce(' ~ feature_column(value, stand_in) ~ ', '
            ~ feature['default'] ~ ') end' -%}
    {%- endif -%}
    case
        when {{ is_default_source(feature_column(raw, i)) }}
            then {{ absent }}
        else coalesce({{ feature_column(value, i) }}, {{ feature['default'] }})
    end
{%- endmacro %}


{#-
    Index of the feature named by a contract entry's `stand_in`, or none.
    A stand-in must be another feature that has no stand-in itself (one
    step, no chains), so a compile error names a wrong contract.
-#}
{% macro feature_stand_in_index(feature) %}
    {%- set name = feature.get('stand_in') -%}
    {%- if not name -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for other in var('feature_contract') -%}
        {%- if other['name'] == name -%}
            {%- if other.get('stand_in') or other['index'] == feature['index'] -%}
                {{ exceptions.raise_compiler_error(
                    "feature_contract: stand_in of feature " ~ feature['index']
                    ~ " (" ~ name ~ ") must be another feature without a stand_in") }}
            {%- endif -%}
            {{ return(other['index'] | int) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "feature_contract: stand_in of feature " ~ feature['index']
        ~ " names no feature: " ~ name) }}
{% endmacro %}
