{#-
    Feature 37 (breakout_risk_score): the weights of its composite, named
    by the component columns of int_player_features_computed, in one place.
    The score is round(clamp(sum of weight x component, 0, 100), 1).
-#}

{#- Component column -> weight; the weights sum to 1. -#}
{% macro fs_breakout_risk_weights() %}
    {{ return({
        'risk_hot': 0.15,
        'risk_cold': 0.10,
        'risk_vol': 0.25,
        'risk_def': 0.20,
        'risk_opp': 0.15,
        'risk_hist': 0.15,
    }) }}
{% endmacro %}


{#- The weighted sum as SQL text, '0.15 * risk_hot + 0.10 * risk_cold + ...'
    (weights written with at least two decimals). Fails to compile unless
    the weights sum to 1. -#}
{% macro fs_breakout_risk_weighted_sum(weights=none) %}
    {%- set weights = fs_breakout_risk_weights() if weights is none
        else weights -%}
    {%- set total = weights.values() | sum -%}
    {%- if (total - 1) | abs > 0.000001 -%}
        {{ exceptions.raise_compiler_error(
            "breakout_risk_score weights sum to " ~ total ~ ", not 1") }}
    {%- endif -%}
    {%- set terms = [] -%}
    {%- for column, weight in weights.items() -%}
        {%- set literal = weight | string -%}
        {%- if literal.split('.') | length == 2
            and literal.split('.')[1] | length == 1 -%}
            {%- set literal = literal ~ '0' -%}
        {%- endif -%}
        {%- do terms.append(literal ~ ' * ' ~ column) -%}
    {%- endfor -%}
    {{ return(terms | join(' + ')) }}
{% endmacro %}
