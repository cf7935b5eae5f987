{#-
    The feature contract (var `feature_contract`) as literal rows, one
    `select` per feature joined by `union all`, for the feature_contract
    model. Weights come from var `quality_weights`; a feature without a
    source_absent label is never a default (weight_when_absent NULL);
    stand_in_index is the feature named by `stand_in`, if any.
-#}
{% macro feature_contract_rows() -%}
    {%- set weights = var('quality_weights') -%}
    {%- set optional = optional_feature_indices() -%}
    {%- for feature in var('feature_contract') %}
    select
        cast({{ feature['index'] }} as {{ dbt.type_int() }}) as feature_index,
        cast({{ sql_literal(feature['name']) }} as {{ dbt.type_string() }})
            as feature_name,
        cast({{ sql_literal(feature['category']) }} as {{ dbt.type_string() }})
            as category,
        cast({{ sql_literal(feature['source_present']) }}
            as {{ dbt.type_string() }}) as source_present,
        cast({{ sql_literal(feature['source_absent']) }}
            as {{ dbt.type_string() }}) as source_absent,
        cast({{ feature['default'] }} as {{ dbt.type_float() }})
            as default_value,
        {{ (feature['index'] | int in optional) | string | lower }}
            as is_optional,
        cast({{ weights[feature['source_present']] }}
            as {{ dbt.type_int() }}) as weight_when_present,
        cast({{ sql_literal(weights.get(feature['source_absent'])
            if feature['source_absent'] else none) }}
            as {{ dbt.type_int() }}) as weight_when_absent,
        cast({{ sql_literal(feature_stand_in_index(feature)) }}
            as {{ dbt.type_int() }}) as stand_in_index
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
