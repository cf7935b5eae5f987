{#-
    The legacy-row rule. Rows written before required_default_count existed
    have it NULL; readers then use default_feature_count. fixed: production
    wrote `required or default`, which turned a real 0 into the total and
    blocked every vegas-only player. coalesce keeps a real 0.
-#}
{% macro effective_required_default_count(
    required_default_count='required_default_count',
    default_feature_count='default_feature_count') -%}
    coalesce({{ required_default_count }}, {{ default_feature_count }})
{%- endmacro %}
