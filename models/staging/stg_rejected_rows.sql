{#-
    Every raw row staging did not keep, with the reason: the rows a base
    model flagged invalid, and the duplicates it dropped
    (reject_reason = 'duplicate'). Each raw row is in exactly one place:
    its staging model or here.
-#}
{%- set sources = [
    ['schedule', 'game_date'],
    ['gamebook_player_stats', 'game_date'],
    ['shot_events', 'shot_games.game_date'],
    ['team_box_scores', 'game_date'],
    ['injury_report', 'game_date'],
    ['rosters', 'roster_date'],
    ['odds_api_player_points_props', 'game_date'],
    ['bettingpros_player_points_props', 'game_date'],
] -%}

{{ config(materialized='table') }}

with shot_games as (
    {#- shot events carry no date: take it from the game -#}
    select
        game_id,
        game_date
    from {{ ref('base_nba_raw__schedule') }}
    where reject_reason is null
),
{% for table, game_date in sources %}
{{ table }}_rejects as (
    select
        '{{ table }}' as source_table,
        rejected.record_key,
        rejected.reject_reason,
        {{ game_date if '.' in game_date else 'rejected.' ~ game_date }}
            as game_date,
        rejected.raw_record,
        rejected.loaded_at
    from {{ ref('base_nba_raw__' ~ table) }} as rejected
    {% if table == 'shot_events' %}
    left join shot_games on rejected.game_id = shot_games.game_id
    {% endif %}
    where rejected.reject_reason is not null
),
{% endfor %}
final as (
    {% for table, game_date in sources %}
    select * from {{ table }}_rejects
    {% if not loop.last %}
    union all
    {% endif %}
    {% endfor %}
)

select * from final
