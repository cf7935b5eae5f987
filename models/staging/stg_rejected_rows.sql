{#-
    Every raw row staging did not keep, with the reason: the rows a base
    model flagged invalid, the duplicates it dropped (`duplicate`,
    `conflicting_duplicate`) and the rows outside what the project stages
    (`other_market`, `under_side`, `not_a_shot`: is_defect = false, no raw
    record). Each raw row is in exactly one place: its staging model or
    here. source_table is the raw table's name.
-#}
{%- set sources = [
    ['nbac_schedule', 'schedule', 'game_date'],
    ['nbac_gamebook_player_stats', 'gamebook_player_stats', 'game_date'],
    ['bigdataball_play_by_play', 'shot_events', 'game_date'],
    ['nbac_team_boxscore', 'team_box_scores', 'game_date'],
    ['nbac_injury_report', 'injury_report', 'game_date'],
    ['espn_team_rosters', 'rosters', 'roster_date'],
    ['odds_api_player_points_props', 'odds_api_player_points_props',
        'game_date'],
    ['bettingpros_player_points_props', 'bettingpros_player_points_props',
        'game_date'],
] -%}

{{ config(materialized='table') }}

with
{% for raw_table, base, game_date in sources %}
{{ base }}_rejects as (
    select
        '{{ raw_table }}' as source_table,
        record_key,
        reject_reason,
        {{ is_defect() }} as is_defect,
        {{ game_date }} as game_date,
        raw_record,
        loaded_at
    from {{ ref('base_nba_raw__' ~ base) }}
    where reject_reason is not null
),
{% endfor %}
final as (
    {% for raw_table, base, game_date in sources %}
    select * from {{ base }}_rejects
    {% if not loop.last %}
    union all
    {% endif %}
    {% endfor %}
)

select * from final
