{#-
    The 39-feature contract as a queryable table, generated at compile time
    from var `feature_contract` (dbt_project.yml): nothing here is a copy.
-#}

with contract as (
    {{ feature_contract_rows() }}
),

final as (
    select
        feature_index,
        feature_name,
        category,
        source_present,
        source_absent,
        default_value,
        is_optional,
        weight_when_present,
        weight_when_absent,
        stand_in_index
    from contract
)

select * from final
