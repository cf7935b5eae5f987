{#-
    is_quality_ready: tier in (gold, silver, bronze), score >= ready_min_score,
    matchup >= ready_min_matchup_pct and no required default (legacy rule
    applied). is_training_ready: tier in (gold, silver), matchup >=
    training_min_matchup_pct, player_history >=
    training_min_player_history_pct. NULL inputs give false.
-#}
{% macro is_quality_ready(
    quality_tier='quality_tier',
    feature_quality_score='feature_quality_score',
    matchup_quality_pct='matchup_quality_pct',
    required_default_count='required_default_count',
    default_feature_count='default_feature_count') -%}
    coalesce(
        {{ quality_tier }} in ('gold', 'silver', 'bronze')
        and {{ feature_quality_score }} >= {{ var('ready_min_score') }}
        and {{ matchup_quality_pct }} >= {{ var('ready_min_matchup_pct') }}
        and {{ effective_required_default_count(
            required_default_count, default_feature_count) }} = 0,
        false
    )
{%- endmacro %}

{% macro is_training_ready(
    quality_tier='quality_tier',
    matchup_quality_pct='matchup_quality_pct',
    player_history_quality_pct='player_history_quality_pct') -%}
    coalesce(
        {{ quality_tier }} in ('gold', 'silver')
        and {{ matchup_quality_pct }}
            >= {{ var('training_min_matchup_pct') }}
        and {{ player_history_quality_pct }}
            >= {{ var('training_min_player_history_pct') }},
        false
    )
{%- endmacro %}
