{#-
    The validation rule list of a staging base model, rendered as one CASE:
    the reason of the first failing check, NULL when every check passes.
    `checks` is a list of [condition_sql, reason] pairs, in priority order.
-#}
{% macro first_reject_reason(checks) -%}
    case
    {%- for condition, reason in checks %}
        when {{ condition }} then '{{ reason }}'
    {%- endfor %}
    end
{%- endmacro %}
