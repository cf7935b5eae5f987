{#-
    quality_alerts: array of alert names in their fixed order:
    all_matchup_features_defaulted, composite_factors_missing,
    opponent_defense_missing, high_default_rate_<N>pct (defaults / features
    > var high_default_rate; N = that share in percent, rounded),
    matchup_quality_critical and game_context_quality_critical (below
    alert_red_below_pct). Arguments are column names / SQL expressions.
-#}
{% macro quality_alerts(
    default_feature_count='default_feature_count',
    matchup_default_count='matchup_default_count',
    matchup_quality_pct='matchup_quality_pct',
    game_context_quality_pct='game_context_quality_pct',
    has_composite_factors='has_composite_factors',
    has_opponent_defense='has_opponent_defense') -%}
    {%- set n_features = feature_indices() | length -%}
    {%- set n_matchup = feature_indices('matchup') | length -%}
    {%- set red = var('alert_red_below_pct') -%}
    {%- set default_pct -%}
        round({{ default_feature_count }} * 100.0 / {{ n_features }})
    {%- endset -%}
    {%- set candidates = [
        "case when " ~ matchup_default_count ~ " = " ~ n_matchup
            ~ " then 'all_matchup_features_defaulted' end",
        "case when not " ~ has_composite_factors
            ~ " then 'composite_factors_missing' end",
        "case when not " ~ has_opponent_defense
            ~ " then 'opponent_defense_missing' end",
        "case when " ~ default_feature_count ~ " * 1.0 / " ~ n_features
            ~ " > " ~ var('high_default_rate')
            ~ " then concat('high_default_rate_', cast(cast("
            ~ default_pct ~ " as " ~ dbt.type_int() ~ ") as "
            ~ dbt.type_string() ~ "), 'pct') end",
        "case when " ~ matchup_quality_pct ~ " < " ~ red
            ~ " then 'matchup_quality_critical' end",
        "case when " ~ game_context_quality_pct ~ " < " ~ red
            ~ " then 'game_context_quality_critical' end",
    ] -%}
    {{ array_without_nulls(array_of_strings(candidates)) }}
{%- endmacro %}
