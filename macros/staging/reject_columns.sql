{#-
    Why a staging row is rejected: its first failed check, else 'duplicate'
    when it is not the row its natural key keeps, else NULL (kept).
    Expects `validation_reason` and `duplicate_rank` columns.
-#}
{% macro reject_reason() -%}
    coalesce(
        validation_reason,
        case when duplicate_rank > 1 then 'duplicate' end
    )
{%- endmacro %}


{#-
    The raw row as JSON text for rejected rows (stg_rejected_rows keeps it
    as evidence), NULL for kept rows.
    Expects `reject_reason` and the raw row as column `raw_row`.
-#}
{% macro raw_record_if_rejected() -%}
    case
        when reject_reason is not null
            then {{ row_to_json_string('raw_row') }}
    end
{%- endmacro %}
