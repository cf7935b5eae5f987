{{ config(**restaged_base_config('game_date')) }}

{%- set raw_names = [
    'game_id', 'odds_api_event_id', 'game_date', 'game_start_time',
    'home_team_abbr', 'away_team_abbr', 'snapshot_timestamp', 'bookmaker',
    'player_name', 'points_line', 'over_price', 'under_price',
    'over_price_american', 'under_price_american', 'processed_at',
] -%}
{%- set staged = [
    'snapshot_at', 'event_id', 'game_id', 'game_date', 'commence_at',
    'home_team_abbr', 'away_team_abbr', 'bookmaker', 'player_name',
    'player_lookup', 'points_line', 'over_price', 'under_price',
] %}

with source_rows as (
    select * from {{ source('nba_raw', 'odds_api_player_points_props') }}
    where game_date >= {{ raw_partition_floor() }}
        and {{ is_restaged_date('odds_api_player_points_props', 'game_date') }}
),

games as (
    select
        game_id,
        game_date,
        home_team_abbr,
        away_team_abbr
    from {{ ref('base_nba_raw__schedule') }}
    where reject_reason is null
),

typed as (
    select
        {{ raw_columns('odds_api_player_points_props', raw_names) }},
        {{ unparseable_reason('odds_api_player_points_props', raw_names) }}
            as unparseable_reason,
        -- the raw row itself, rendered as JSON only if it is rejected
        src as raw_row
    from source_rows as src
),

renamed as (
    select
        snapshot_timestamp as snapshot_at,
        odds_api_event_id as event_id,
        -- mixed formats (NBA.com ids on newer rows): only used to tell a
        -- wrong date from an unknown game
        game_id as feed_game_id,
        game_date,
        game_start_time as commence_at,
        upper(home_team_abbr) as home_team_abbr,
        upper(away_team_abbr) as away_team_abbr,
        lower(bookmaker) as bookmaker,
        player_name,
        -- recomputed with the project's rule
        {{ normalize_player_lookup('player_name') }} as player_lookup,
        points_line,
        -- the staged prices are the American ones; the decimal ones are
        -- only checked
        over_price_american as over_price,
        under_price_american as under_price,
        over_price as over_price_decimal,
        under_price as under_price_decimal,
        processed_at as loaded_at,
        unparseable_reason,
        raw_row
    from typed
),

with_game as (
    {#- The feed's game_id is not the project's on newer rows: the game is
        the schedule's game of that date and those two teams. -#}
    select
        renamed.*,
        games.game_id,
        feed_games.game_id is not null as is_feed_game_scheduled,
        feed_games.game_date as feed_game_date
    from renamed
    left join games
        on
            renamed.game_date = games.game_date
            and renamed.home_team_abbr = games.home_team_abbr
            and renamed.away_team_abbr = games.away_team_abbr
    left join games as feed_games
        on renamed.feed_game_id = feed_games.game_id
),

-- a row without a scheduled game of its date and teams whose own game id
-- names a scheduled game has either the wrong date or the wrong teams
validated as (
    select
        *,
        coalesce(unparseable_reason, {{ first_reject_reason([
            ['snapshot_at is null', 'null_snapshot_at'],
            ['game_date is null', 'null_game_date'],
            ['commence_at is null', 'null_commence_at'],
            ['player_name is null or player_lookup = \'\'',
                'null_player_name'],
            [is_unknown_team('home_team_abbr'), 'unknown_team_abbr'],
            [is_unknown_team('away_team_abbr'), 'unknown_team_abbr'],
            ['bookmaker is null', 'null_bookmaker'],
            [is_non_finite('points_line') ~ ' or '
                ~ is_non_finite('over_price_decimal') ~ ' or '
                ~ is_non_finite('under_price_decimal'), 'non_finite_number'],
            ['points_line is null or points_line <= 0 or points_line > 100',
                'line_out_of_range'],
            ['game_id is null and feed_game_date != game_date',
                'game_date_mismatch'],
            ['game_id is null and is_feed_game_scheduled',
                'team_not_in_game'],
            ['game_id is null', 'game_not_in_schedule'],
        ]) }}) as validation_reason
    from with_game
),

fingerprinted as (
    select
        *,
        {{ row_fingerprint(staged) }} as row_fingerprint
    from validated
),

ranked as (
    {#- game_date adds nothing to the key (an event has one date) but lets
        a date filter of a daily run reach below this window function
        instead of ranking every snapshot ever loaded. -#}
    {%- set key = [
        'game_date', 'snapshot_at', 'event_id', 'bookmaker', 'player_lookup',
    ] %}
    select
        *,
        {{ duplicate_rank(key) }} as duplicate_rank,
        {{ kept_fingerprint(key) }} as kept_fingerprint
    from fingerprinted
),

keyed as (
    select
        {% for column in staged -%}
        {{ column }},
        {% endfor -%}
        loaded_at,
        {{ readable_key([
            'snapshot_at', 'event_id', 'bookmaker', 'player_name',
        ]) }} as record_key,
        {{ reject_reason() }} as reject_reason,
        raw_row
    from ranked
),

final as (
    select
        {{ star_except(['raw_row']) }},
        {{ raw_record_if_rejected() }} as raw_record
    from keyed
)

select * from final
