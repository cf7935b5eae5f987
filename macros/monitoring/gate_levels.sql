{#-
    Gate levels (docs/monitoring.md, "Gating tests"): the one place where a
    gating threshold is compared with a figure. daily_quality_counts
    carries one level column per gate (daily_gate_levels); the gate tests,
    `nba-fs alerts` and the report read those columns.
-#}

{#-
    The level of `value` against the thresholds given (numbers; leave out
    the ones a gate does not have): 'error' past an error threshold, else
    'warn' past a warn threshold, else 'ok'; 'not_judged' when `value` is
    NULL (nothing to judge) or when the SQL condition `judged` does not
    hold (e.g. the season warm-up).
-#}
{% macro gate_level(
    value,
    warn_below=none,
    error_below=none,
    warn_above=none,
    error_above=none,
    judged=none
) -%}
    {%- set error_checks = [] -%}
    {%- set warn_checks = [] -%}
    {%- if error_below is not none -%}
        {%- do error_checks.append(value ~ ' < ' ~ error_below) -%}
    {%- endif -%}
    {%- if error_above is not none -%}
        {%- do error_checks.append(value ~ ' > ' ~ error_above) -%}
    {%- endif -%}
    {%- if warn_below is not none -%}
        {%- do warn_checks.append(value ~ ' < ' ~ warn_below) -%}
    {%- endif -%}
    {%- if warn_above is not none -%}
        {%- do warn_checks.append(value ~ ' > ' ~ warn_above) -%}
    {%- endif -%}
    {%- if not (error_checks or warn_checks) -%}
        {{ exceptions.raise_compiler_error(
            'gate_level on ' ~ value ~ ' needs a threshold') }}
    {%- endif -%}
    case
        {%- if judged is not none %}
        when not coalesce({{ judged }}, false) then 'not_judged'
        {%- endif %}
        when {{ value }} is null then 'not_judged'
        {%- if error_checks %}
        when {{ error_checks | join(' or ') }} then 'error'
        {%- endif %}
        {%- if warn_checks %}
        when {{ warn_checks | join(' or ') }} then 'warn'
        {%- endif %}
        else 'ok'
    end
{%- endmacro %}


{#-
    The gate level columns of daily_quality_counts, from the vars of
    dbt_project.yml, as a select list (column expressions of its `final`
    CTE). The four readiness gates do not judge the season warm-up nor a
    provisional date; the vegas coverage gate judges a date once its
    lines are due; the canary and star gates judge every date.
-#}
{% macro daily_gate_levels() -%}
    {%- set readiness = 'not is_season_warmup and not is_provisional' -%}
    {{ gate_level('canary_shortfall', error_above=0) }} as canary_level,
    {{ gate_level(
        'pct_ready',
        warn_below=var('gate_pct_ready_warn_below'),
        error_below=var('gate_pct_ready_error_below'),
        judged=readiness) }} as pct_ready_level,
    {{ gate_level(
        'red_alert_pct',
        warn_above=var('gate_red_share_warn_above'),
        error_above=var('gate_red_share_error_above'),
        judged=readiness) }} as red_alert_level,
    {{ gate_level(
        'mean_matchup_quality_pct',
        warn_below=var('gate_matchup_pct_warn_below'),
        error_below=var('gate_matchup_pct_error_below'),
        judged=readiness) }} as matchup_quality_level,
    {{ gate_level(
        'mean_default_feature_count',
        warn_above=var('gate_mean_defaults_warn_above'),
        error_above=var('gate_mean_defaults_error_above'),
        judged=readiness) }} as mean_defaults_level,
    {{ gate_level(
        'vegas_coverage_pct',
        warn_below=var('gate_vegas_coverage_warn_below'),
        error_below=var('gate_vegas_coverage_error_below'),
        judged='is_lines_due') }} as vegas_coverage_level,
    {{ gate_level(
        'stars_missing_lines',
        warn_above=var('gate_stars_missing_lines_warn_above')) }}
        as stars_missing_lines_level
{%- endmacro %}
