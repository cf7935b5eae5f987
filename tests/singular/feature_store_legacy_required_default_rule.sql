{#-
    The legacy-row rule on literal cases: a NULL required_default_count
    falls back to default_feature_count, and a real 0 stays 0 (fixed:
    production's `required or default` turned 0 into the total), so a
    vegas-only row stays ready and green. Returns one row per wrong case.
-#}

with cases as (
    select
        cast(null as {{ dbt.type_int() }}) as required_default_count,
        3 as default_feature_count,
        3 as expected_count,
        false as expected_ready,
        'yellow' as expected_level
    union all
    select
        0 as required_default_count,
        3 as default_feature_count,
        0 as expected_count,
        true as expected_ready,
        'green' as expected_level
    union all
    select
        2 as required_default_count,
        5 as default_feature_count,
        2 as expected_count,
        false as expected_ready,
        'yellow' as expected_level
),

evaluated as (
    select
        *,
        {{ effective_required_default_count() }} as effective_count,
        {{ is_quality_ready(
            quality_tier="'silver'",
            feature_quality_score='90.79',
            matchup_quality_pct='100.0') }} as is_ready,
        {{ quality_alert_level(
            feature_quality_score='90.79',
            matchup_quality_pct='100.0') }} as alert_level
    from cases
),

final as (
    select *
    from evaluated
    where effective_count != expected_count
        or is_ready != expected_ready
        or alert_level != expected_level
)

select * from final
