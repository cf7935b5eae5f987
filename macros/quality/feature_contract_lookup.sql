{#-
    Read-only views of the feature contract (var `feature_contract`), so the
    quality macros never repeat an index, a category or a default.

    Per-feature columns are named by a pattern with `{index}` in it, e.g.
    the default 'f{index}_raw_source' gives f0_raw_source .. f38_raw_source.
-#}

{% macro feature_column(pattern, index) %}
    {{- return(pattern | replace('{index}', index | string)) -}}
{% endmacro %}


{#- Indices of the contract's features, in order; optionally one category
    and / or one upstream model. -#}
{% macro feature_indices(category=none, upstream=none) %}
    {%- set indices = [] -%}
    {%- for feature in var('feature_contract') -%}
        {%- if (category is none or feature['category'] == category)
            and (upstream is none or feature['upstream'] == upstream) -%}
            {%- do indices.append(feature['index'] | int) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(indices) }}
{% endmacro %}


{#- The contract's upstream models, each with the indices it feeds, in
    order of first appearance: {upstream: [index, ...]}. Features without
    an upstream are left out; `indices` (optional) keeps only those. -#}
{% macro features_by_upstream(indices=none) %}
    {%- set groups = {} -%}
    {%- for feature in var('feature_contract') -%}
        {%- set index = feature['index'] | int -%}
        {%- if feature['upstream'] and (indices is none or index in indices) -%}
            {%- if feature['upstream'] not in groups -%}
                {%- do groups.update({feature['upstream']: []}) -%}
            {%- endif -%}
            {%- do groups[feature['upstream']].append(index) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(groups) }}
{% endmacro %}


{#- The categories in order of first appearance in the contract. -#}
{% macro feature_categories() %}
    {%- set categories = [] -%}
    {%- for feature in var('feature_contract') -%}
        {%- if feature['category'] not in categories -%}
            {%- do categories.append(feature['category']) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(categories) }}
{% endmacro %}


{#- Indices of the optional set: the contract entries flagged
    `optional: true` (the set has no other definition), and the others. -#}
{% macro optional_feature_indices() %}
    {%- if var('optional_feature_indices', none) is not none -%}
        {{ exceptions.raise_compiler_error(
            "var optional_feature_indices is gone: the optional set is the "
            ~ "`optional` flag of the var feature_contract entries") }}
    {%- endif -%}
    {%- set indices = [] -%}
    {%- for feature in var('feature_contract') -%}
        {%- if feature['optional'] -%}
            {%- do indices.append(feature['index'] | int) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(indices) }}
{% endmacro %}

{% macro required_feature_indices() %}
    {%- set optional = optional_feature_indices() -%}
    {{ return(feature_indices() | reject('in', optional) | list) }}
{% endmacro %}


{#- A SQL literal of a Python/Jinja value (number, string, none). -#}
{% macro sql_literal(value) %}
    {%- if value is none -%}
        {{ return('null') }}
    {%- elif value is string -%}
        {{ return("'" ~ (value | replace("'", "''")) ~ "'") }}
    {%- elif value is sameas true or value is sameas false -%}
        {{ return(value | string | lower) }}
    {%- else -%}
        {{ return(value | string) }}
    {%- endif -%}
{% endmacro %}
