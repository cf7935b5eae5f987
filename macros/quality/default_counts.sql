{#-
    Counts of default features of a row, from its 39 raw source labels
    (columns named by `pattern`). Invariant:
    default_feature_count = required_default_count + vegas_default_count.
-#}

{#- Number of features among `indices` whose raw source is a default. -#}
{% macro count_default_features(indices, pattern='f{index}_raw_source') -%}
    {%- if indices | length == 0 -%}
        0
    {%- else -%}
    (
        {%- for index in indices %}
        case when {{ is_default_source(feature_column(pattern, index)) }}
            then 1 else 0 end
        {%- if not loop.last %} +{% endif %}
        {%- endfor %}
    )
    {%- endif -%}
{%- endmacro %}

{#- All defaults of the row. -#}
{% macro default_feature_count(pattern='f{index}_raw_source') -%}
    {{ count_default_features(feature_indices(), pattern) }}
{%- endmacro %}

{#- Defaults outside the optional set: these block a prediction. -#}
{% macro required_default_count(pattern='f{index}_raw_source') -%}
    {{ count_default_features(required_feature_indices(), pattern) }}
{%- endmacro %}

{#- Defaults inside the optional set (the vegas lines, 0-3). -#}
{% macro vegas_default_count(pattern='f{index}_raw_source') -%}
    {{ count_default_features(optional_feature_indices(), pattern) }}
{%- endmacro %}

{#- Array of the indices whose raw source is a default, ascending. -#}
{% macro default_feature_indices(pattern='f{index}_raw_source') -%}
    {%- set candidates = [] -%}
    {%- for index in feature_indices() -%}
        {%- do candidates.append(
            'case when ' ~ is_default_source(feature_column(pattern, index))
            ~ ' then ' ~ index ~ ' end') -%}
    {%- endfor -%}
    {{ array_without_nulls(array_of_integers(candidates)) }}
{%- endmacro %}
