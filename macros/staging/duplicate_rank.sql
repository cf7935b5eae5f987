{#-
    Rank of a row among the rows sharing its natural key: 1 = the row staging
    keeps, > 1 = a duplicate. The order is deterministic: valid rows first,
    then `order_first` (e.g. the schedule's highest status), then the latest
    load (loaded_at), then the row's own values (row_fingerprint), so two
    rows loaded at the same instant are ordered the same way on every run.
    Expects `validation_reason`, `loaded_at` and `row_fingerprint` columns.
-#}
{% macro duplicate_rank(key_columns, order_first=[]) -%}
    row_number() over ({{ duplicate_window(key_columns, order_first) }})
{%- endmacro %}


{#- The fingerprint of the row its key keeps (rank 1), on every row. -#}
{% macro kept_fingerprint(key_columns, order_first=[]) -%}
    first_value(row_fingerprint) over (
        {{ duplicate_window(key_columns, order_first) }}
    )
{%- endmacro %}


{% macro duplicate_window(key_columns, order_first=[]) -%}
    partition by {{ key_columns | join(', ') }}
    order by
        case when validation_reason is null then 0 else 1 end,
        {% for expression in order_first -%}
        {{ expression }},
        {% endfor -%}
        loaded_at desc nulls last,
        row_fingerprint
{%- endmacro %}


{#-
    A hash of a row's staged values (`columns`, without the load time): two
    rows with the same fingerprint are exact repeats of each other.
-#}
{% macro row_fingerprint(columns) -%}
    {{ dbt.hash(readable_key(columns)) }}
{%- endmacro %}
