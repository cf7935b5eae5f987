{#-
    Tier of a 0-100 quality percentage (used for quality_tier and
    matchup_quality_tier): gold, silver, bronze, poor, else critical.
    Thresholds: vars tier_gold_min .. tier_poor_min. NULL -> critical.
-#}
{% macro quality_tier(pct_expr) -%}
    case
        when {{ pct_expr }} >= {{ var('tier_gold_min') }} then 'gold'
        when {{ pct_expr }} >= {{ var('tier_silver_min') }} then 'silver'
        when {{ pct_expr }} >= {{ var('tier_bronze_min') }} then 'bronze'
        when {{ pct_expr }} >= {{ var('tier_poor_min') }} then 'poor'
        else 'critical'
    end
{%- endmacro %}
