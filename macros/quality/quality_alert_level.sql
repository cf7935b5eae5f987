{#-
    quality_alert_level: red if matchup or score is below
    alert_red_below_pct; else yellow if a required default exists or score
    or matchup is below alert_yellow_below_pct; else green (vegas-only
    defaults are green). Arguments are column names / SQL expressions.
-#}
{% macro quality_alert_level(
    feature_quality_score='feature_quality_score',
    matchup_quality_pct='matchup_quality_pct',
    required_default_count='required_default_count',
    default_feature_count='default_feature_count') -%}
    {%- set red = var('alert_red_below_pct') -%}
    {%- set yellow = var('alert_yellow_below_pct') -%}
    case
        when {{ matchup_quality_pct }} < {{ red }}
            or {{ feature_quality_score }} < {{ red }}
            then 'red'
        when {{ effective_required_default_count(
                required_default_count, default_feature_count) }} > 0
            or {{ feature_quality_score }} < {{ yellow }}
            or {{ matchup_quality_pct }} < {{ yellow }}
            then 'yellow'
        else 'green'
    end
{%- endmacro %}
