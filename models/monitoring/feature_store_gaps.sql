{{ config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key=['player_lookup', 'game_date'],
    on_schema_change='append_new_columns',
) }}

{#-
    Gap lifecycle (docs/monitoring.md). A gap is an expected
    player on a date (upcoming_player_game_context) whose feature row is
    missing, or not quality ready because of a required default.

    Each run looks at the dates of the build window only and merges on
    (player_lookup, game_date), so a rerun never duplicates a gap and the
    history outside the window is never touched:
      - a new gap is inserted (attempt_count 1, detected now);
      - a gap seen again keeps detected_at, gets last_seen_at now and
        attempt_count + 1 (a resolved gap seen again is reopened);
        attempt_count is a run counter: a rerun of the same build adds 1;
      - an open gap of the window that is no longer a gap (the player now
        has a ready row, or is no longer expected) is resolved for that
        player alone (resolved_at now, resolved_by daily | backfill).
-#}

{%- set run_mode = monitoring_run_mode() -%}
{#- Required features that can be a default (the others are always
    computable, their source_absent is null). -#}
{%- set optional = optional_feature_indices() -%}
{%- set defaultable_required = [] -%}
{%- for feature in var('feature_contract') -%}
{%- if feature['source_absent'] and feature['index'] | int not in optional -%}
{%- do defaultable_required.append(feature['index'] | int) -%}
{%- endif -%}
{%- endfor -%}
{#- The phase 4 models of the required features (contract field
    `upstream`), each with the indices it feeds; each must be one this
    model joins below (is_<table>_absent). -#}
{%- set phase4_tables = features_by_upstream(required_feature_indices()) -%}
{%- set joined_tables = [
    'player_daily_cache', 'player_composite_factors',
    'team_defense_zone_analysis', 'player_shot_zone_analysis'] -%}
{%- for table in phase4_tables if table not in joined_tables -%}
{{ exceptions.raise_compiler_error(
    "feature_store_gaps joins no upstream " ~ table
    ~ " (a required feature's contract upstream): add its join") }}
{%- endfor -%}

with expected as (
    select * from {{ ref('upcoming_player_game_context') }}
    where {{ in_date_window('game_date') }}
),

features as (
    select * from {{ ref('ml_feature_store_v2') }}
    where {{ in_date_window('game_date') }}
),

game_summaries as (
    select * from {{ ref('player_game_summary') }}
),

daily_cache as (
    select * from {{ ref('player_daily_cache') }}
    where {{ in_date_window('cache_date') }}
),

composite_factors as (
    select * from {{ ref('player_composite_factors') }}
    where {{ in_date_window('game_date') }}
),

shot_zones as (
    select * from {{ ref('player_shot_zone_analysis') }}
    where {{ in_date_window('analysis_date') }}
),

team_defense_zones as (
    select * from {{ ref('team_defense_zone_analysis') }}
    where {{ in_date_window('analysis_date') }}
),

not_ready as (
    select
        expected.player_lookup,
        expected.game_date,
        expected.game_id,
        expected.team_abbr,
        expected.opponent_team_abbr,
        expected.season_year,
        expected.is_past_game,
        features.player_lookup is not null as has_feature_row,
        rtrim(
            {%- for index in defaultable_required %}
            case when {{ is_default_source(
                'features.feature_' ~ index ~ '_source') }}
                    then '{{ index }},'
                else ''
            end
            {%- if not loop.last %} ||{% endif %}
            {%- endfor %},
            ','
        ) as required_default_indices,
    {%- for table, indices in phase4_tables.items() %}
    (
        {%- for index in indices %}
        {{ is_default_source('features.feature_' ~ index ~ '_source') }}
        {%- if not loop.last %} or{% endif %}
        {%- endfor %}
    ) as defaults_{{ table }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
    from expected
    left join features
        on expected.player_lookup = features.player_lookup
            and expected.game_date = features.game_date
    where features.player_lookup is null
        or {{ effective_required_default_count(
            'features.required_default_count',
            'features.default_feature_count') }} > 0
),

played_history as (
    select
        not_ready.player_lookup,
        not_ready.game_date,
        {{ count_where('game_summaries.is_played') }} as played_games
    from not_ready
    left join game_summaries
        on not_ready.player_lookup = game_summaries.player_lookup
            and not_ready.season_year = game_summaries.season_year
            and not_ready.game_date > game_summaries.game_date
    group by not_ready.player_lookup, not_ready.game_date
),

upstream as (
    select
        not_ready.*,
        coalesce(played_history.played_games, 0) as played_games,
        own_summary.player_lookup is null as is_game_summary_absent,
        daily_cache.player_lookup is null as is_player_daily_cache_absent,
        composite_factors.player_lookup is null
            as is_player_composite_factors_absent,
        team_defense_zones.team_abbr is null
            as is_team_defense_zone_analysis_absent,
        shot_zones.player_lookup is null as is_player_shot_zone_analysis_absent
    from not_ready
    left join played_history
        on not_ready.player_lookup = played_history.player_lookup
            and not_ready.game_date = played_history.game_date
    left join game_summaries as own_summary
        on not_ready.player_lookup = own_summary.player_lookup
            and not_ready.game_id = own_summary.game_id
    left join daily_cache
        on not_ready.player_lookup = daily_cache.player_lookup
            and not_ready.game_date = daily_cache.cache_date
    left join composite_factors
        on not_ready.player_lookup = composite_factors.player_lookup
            and not_ready.game_date = composite_factors.game_date
    left join team_defense_zones
        on not_ready.opponent_team_abbr = team_defense_zones.team_abbr
            and not_ready.game_date = team_defense_zones.analysis_date
    left join shot_zones
        on not_ready.player_lookup = shot_zones.player_lookup
            and not_ready.game_date = shot_zones.analysis_date
),

absent_phase4 as (
    select
        upstream.*,
        rtrim(
            {%- for table in phase4_tables %}
            case when is_{{ table }}_absent and defaults_{{ table }}
                    then '{{ table }},'
                else ''
            end
            {%- if not loop.last %} ||{% endif %}
            {%- endfor %},
            ','
        ) as absent_phase4_tables
    from upstream
),

classified as (
    select
        *,
        case
            when played_games < {{ var('min_history_games') }}
                then 'insufficient_data'
            when not has_feature_row then 'missing_row'
            when absent_phase4_tables != '' then 'missing_phase4'
            when coalesce(is_past_game, false) and is_game_summary_absent
                then 'no_game_summary'
            else 'missing_phase3'
        end as reason
    from absent_phase4
),

current_gaps as (
    select
        player_lookup,
        game_date,
        game_id,
        team_abbr,
        opponent_team_abbr,
        season_year,
        reason,
        case reason
            when 'insufficient_data'
                then
                    'played games this season before the date: '
                    || cast(played_games as {{ dbt.type_string() }})
                    || ' (< {{ var("min_history_games") }})'
            when 'missing_row' then 'no ml_feature_store_v2 row'
            when 'missing_phase4'
                then
                    'absent: ' || absent_phase4_tables
                    || '; required defaults: ' || required_default_indices
            when 'no_game_summary'
                then
                    'no player_game_summary row for game ' || game_id
                    || '; required defaults: ' || required_default_indices
            else 'required defaults: ' || required_default_indices
        end as reason_detail,
        reason != 'insufficient_data' as is_fault
    from classified
),

{% if is_incremental() %}
previous as (
    select
        player_lookup,
        game_date,
        game_id,
        team_abbr,
        opponent_team_abbr,
        season_year,
        reason,
        reason_detail,
        is_fault,
        detected_at,
        detected_by,
        last_seen_at,
        attempt_count,
        resolved_at,
        resolved_by
    from {{ this }}
    where {{ in_date_window('game_date') }}
),
{% else %}
previous as (
    {#- First build: no history yet (typed empty set). -#}
    select
        cast(null as {{ dbt.type_string() }}) as player_lookup,
        cast(null as date) as game_date,
        cast(null as {{ dbt.type_timestamp() }}) as detected_at,
        cast(null as {{ dbt.type_string() }}) as detected_by,
        cast(null as {{ dbt.type_int() }}) as attempt_count,
        cast(null as {{ dbt.type_timestamp() }}) as resolved_at
    from current_gaps
    where false
),
{% endif %}

observed as (
    select
        current_gaps.player_lookup,
        current_gaps.game_date,
        current_gaps.game_id,
        current_gaps.team_abbr,
        current_gaps.opponent_team_abbr,
        current_gaps.season_year,
        current_gaps.reason,
        current_gaps.reason_detail,
        current_gaps.is_fault,
        coalesce(previous.detected_at, {{ utc_now() }}) as detected_at,
        coalesce(previous.detected_by, '{{ run_mode }}') as detected_by,
        {{ utc_now() }} as last_seen_at,
        coalesce(previous.attempt_count, 0) + 1 as attempt_count,
        cast(null as {{ dbt.type_timestamp() }}) as resolved_at,
        cast(null as {{ dbt.type_string() }}) as resolved_by
    from current_gaps
    left join previous
        on current_gaps.player_lookup = previous.player_lookup
            and current_gaps.game_date = previous.game_date
),

{% if is_incremental() %}
resolved as (
    select
        previous.player_lookup,
        previous.game_date,
        previous.game_id,
        previous.team_abbr,
        previous.opponent_team_abbr,
        previous.season_year,
        previous.reason,
        previous.reason_detail,
        previous.is_fault,
        previous.detected_at,
        previous.detected_by,
        previous.last_seen_at,
        previous.attempt_count,
        {{ utc_now() }} as resolved_at,
        '{{ run_mode }}' as resolved_by
    from previous
    left join current_gaps
        on previous.player_lookup = current_gaps.player_lookup
        and previous.game_date = current_gaps.game_date
    where current_gaps.player_lookup is null
        and previous.resolved_at is null
),

final as (
    select * from observed
    union all
    select * from resolved
)
{% else %}
final as (
    select * from observed
)
{% endif %}

select * from final
