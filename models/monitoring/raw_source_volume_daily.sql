{{ config(**date_window_incremental_config(
    'game_date', require_partition_filter=false)) }}

{#-
    Volume of each raw source per date with counted games: the rows it
    delivered against its usual volume. A source that delivers nothing, or
    far fewer rows than usual, for a date with games is an incident, not a
    bad row: no row is there to reject, so only a count can see it.

    Delivered = the rows that reached the source's staging model plus the
    defect rows staging quarantined (stg_rejected_rows, is_defect): every
    raw row of the date. Usual = the median rows per game of the source's
    previous dates that had rows (up to var raw_volume_history_dates of
    them), so one bad day neither hides itself nor the next one. History is
    read from before the window; only the window's dates are written.

    A source is due on a date when its rows should exist by the build:
    box scores and play-by-play once a game of the date is final, injury
    reports and odds on the run date and before.
-#}

{%- set history_dates = var('raw_volume_history_dates', 20) | int -%}
{#- An incremental run reads the dates its window's history can need:
    20 game dates lie within about two months, 240 days also span an
    off-season. A full build reads every date. -#}
{%- if is_incremental() -%}
{%- set history_start = date_window_bounds()[0]
    - modules.datetime.timedelta(days=240) -%}
{%- set read_dates = 'game_date >= ' ~ date_literal(history_start) -%}
{%- else -%}
{%- set read_dates = all_dates_predicate('game_date') -%}
{%- endif -%}
{%- set low_share = var('raw_volume_low_share', 0.25) -%}
{#- Raw table (source_table in stg_rejected_rows), its staging model
    (stg_nba_raw__<entity>), when it is due: 'final' or 'pregame'. -#}
{%- set sources = [
    ['nbac_gamebook_player_stats', 'gamebook_player_stats', 'final'],
    ['nbac_team_boxscore', 'team_box_scores', 'final'],
    ['bigdataball_play_by_play', 'shot_events', 'final'],
    ['nbac_injury_report', 'injury_report', 'pregame'],
    ['odds_api_player_points_props', 'odds_api_player_points_props',
        'pregame'],
    ['bettingpros_player_points_props', 'bettingpros_player_points_props',
        'pregame'],
] -%}

with schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
    where {{ read_dates }}
),

rejected as (
    select * from {{ ref('stg_rejected_rows') }}
    where {{ read_dates }}
),

counted_games as (
    select * from schedule
    where
        {{ is_feature_game('game_type') }}
        and game_status != 'postponed'
),

game_dates as (
    select
        game_date,
        count(*) as games_scheduled,
        {{ count_where("game_status = 'final'") }} as games_final
    from counted_games
    group by game_date
),

shot_events as (
    {#- Shot events carry no date: the game's, from the schedule. -#}
    select
        counted_games.game_date,
        shots.game_id
    from {{ ref('stg_nba_raw__shot_events') }} as shots
    inner join counted_games on shots.game_id = counted_games.game_id
),

staged_counts as (
    {% for table, entity, due in sources %}
    select
        '{{ table }}' as source_table,
        game_date,
        count(*) as rows_staged
    {% if entity == 'shot_events' %}
    from shot_events
    {% else %}
    from {{ ref('stg_nba_raw__' ~ entity) }}
    where {{ read_dates }}
    {% endif %}
    group by game_date
    {% if not loop.last %}
    union all
    {% endif %}
    {% endfor %}
),

rejected_counts as (
    select
        source_table,
        game_date,
        count(*) as rows_rejected
    from rejected
    where is_defect
    group by source_table, game_date
),

source_dates as (
    {% for table, entity, due in sources %}
    select
        '{{ table }}' as source_table,
        game_date,
        {% if due == 'final' %}
        games_final as games_counted,
        games_final > 0 as is_due
        {% else %}
        games_scheduled as games_counted,
        game_date <= {{ date_literal(run_date()) }} as is_due
        {% endif %}
    from game_dates
    {% if not loop.last %}
    union all
    {% endif %}
    {% endfor %}
),

delivered as (
    select
        source_dates.source_table,
        source_dates.game_date,
        source_dates.games_counted,
        source_dates.is_due,
        coalesce(staged_counts.rows_staged, 0) as rows_staged,
        coalesce(rejected_counts.rows_rejected, 0) as rows_rejected,
        coalesce(staged_counts.rows_staged, 0)
        + coalesce(rejected_counts.rows_rejected, 0) as rows_delivered
    from source_dates
    left join staged_counts
        on
            source_dates.source_table = staged_counts.source_table
            and source_dates.game_date = staged_counts.game_date
    left join rejected_counts
        on
            source_dates.source_table = rejected_counts.source_table
            and source_dates.game_date = rejected_counts.game_date
),

due_dates as (
    {#- The source's due dates in order: history is counted in dates, not
        days, so the All-Star break and the off-season do not empty it. -#}
    select
        *,
        row_number() over (
            partition by source_table order by game_date
        ) as due_date_number,
        1.0 * rows_delivered / nullif(games_counted, 0) as rows_per_game
    from delivered
    where is_due
),

history as (
    select
        judged.source_table,
        judged.game_date,
        earlier.rows_per_game,
        row_number() over (
            partition by judged.source_table, judged.game_date
            order by earlier.rows_per_game
        ) as value_number,
        count(*) over (
            partition by judged.source_table, judged.game_date
        ) as value_count
    from due_dates as judged
    inner join due_dates as earlier
        on
            judged.source_table = earlier.source_table
            and judged.due_date_number > earlier.due_date_number
            and judged.due_date_number
            <= earlier.due_date_number + {{ history_dates }}
    where earlier.rows_delivered > 0
),

usual as (
    {#- Median without a median function (none is portable): the middle
        value, or the mean of the two middle values. -#}
    select
        source_table,
        game_date,
        max(value_count) as history_dates,
        avg(rows_per_game) as usual_rows_per_game
    from history
    where
        value_number in (
            cast(floor((value_count + 1) / 2.0) as {{ dbt.type_int() }}),
            cast(ceiling((value_count + 1) / 2.0) as {{ dbt.type_int() }})
        )
    group by source_table, game_date
),

first_deliveries as (
    {#- Has the source ever delivered before the date? Before its first
        delivery a source is not live yet, not failing. -#}
    select
        source_table,
        min(game_date) as first_delivery_date
    from delivered
    where is_due and rows_delivered > 0
    group by source_table
),

windowed as (
    select * from delivered
    where
        {{ in_date_window('game_date') }}
        and game_date <= {{ date_literal(date_window_bounds()[1]) }}
),

final as (
    select
        windowed.game_date,
        windowed.source_table,
        windowed.games_counted,
        windowed.is_due,
        windowed.rows_staged,
        windowed.rows_rejected,
        windowed.rows_delivered,
        coalesce(usual.history_dates, 0) as history_dates,
        round(usual.usual_rows_per_game, 1) as usual_rows_per_game,
        round(usual.usual_rows_per_game * windowed.games_counted, 1)
            as usual_rows,
        {{ pct_of('windowed.rows_delivered',
            'usual.usual_rows_per_game * windowed.games_counted') }}
            as pct_of_usual,
        case
            when not windowed.is_due then 'not_due'
            when
                first_deliveries.first_delivery_date is null
                or first_deliveries.first_delivery_date
                > windowed.game_date
                then 'not_live'
            when windowed.rows_delivered = 0 then 'empty'
            when
                windowed.rows_delivered < {{ low_share }}
                * usual.usual_rows_per_game * windowed.games_counted
                then 'low'
            else 'ok'
        end as volume_status
    from windowed
    left join usual
        on
            windowed.source_table = usual.source_table
            and windowed.game_date = usual.game_date
    left join first_deliveries
        on windowed.source_table = first_deliveries.source_table
)

select * from final
