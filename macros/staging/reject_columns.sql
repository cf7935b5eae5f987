{#-
    Why a staging row is rejected: its first failed check, else, when it is
    not the row its natural key keeps, `duplicate` (the same values as the
    kept row: an exact repeat, e.g. a reload) or `conflicting_duplicate`
    (same key, different values); NULL = kept.
    Expects `validation_reason`, `duplicate_rank`, `row_fingerprint` and
    `kept_fingerprint` columns.
-#}
{% macro reject_reason() -%}
    coalesce(
        validation_reason,
        case
            when duplicate_rank > 1 and row_fingerprint = kept_fingerprint
                then 'duplicate'
            when duplicate_rank > 1 then 'conflicting_duplicate'
        end
    )
{%- endmacro %}


{#-
    Reasons of rows that are not defects but outside what the project
    stages: BettingPros markets other than points and the under side of a
    line, play-by-play events other than field-goal attempts. Every other
    reason is a defect (is_defect = true in stg_rejected_rows).
-#}
{% macro out_of_scope_reasons() -%}
    {{ return(['other_market', 'under_side', 'not_a_shot']) }}
{%- endmacro %}


{#- True for a rejected row that is a defect, false for an out-of-scope one. -#}
{% macro is_defect(reason_column='reject_reason') -%}
    ({{ reason_column }} not in (
        '{{ out_of_scope_reasons() | join("', '") }}'
    ))
{%- endmacro %}


{#-
    The raw row as JSON text for rejected defect rows (stg_rejected_rows
    keeps it as evidence); NULL for kept rows and for out-of-scope rows
    (there are many of them and nothing is wrong with them).
    Expects `reject_reason` and the raw row as column `raw_row`.
-#}
{% macro raw_record_if_rejected() -%}
    case
        when reject_reason is not null and {{ is_defect() }}
            then {{ row_to_json_string('raw_row') }}
    end
{%- endmacro %}
