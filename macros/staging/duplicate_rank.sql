{#-
    Rank of a row among the rows sharing its natural key: 1 = the row staging
    keeps (valid rows first, then the latest load), > 1 = a duplicate.
    Expects `validation_reason` and `loaded_at` columns.
-#}
{% macro duplicate_rank(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by
            case when validation_reason is null then 0 else 1 end,
            loaded_at desc
    )
{%- endmacro %}
