{%- set t_str = dbt.type_string() -%}
{%- set t_int = dbt.type_int() -%}
{%- set t_ts = dbt.type_timestamp() -%}

with source_rows as (
    select * from {{ source('nba_raw', 'odds_api_player_points_props') }}
),

renamed as (
    select
        {{ dbt.safe_cast('src.snapshot_at', t_ts) }} as snapshot_at,
        {{ dbt.safe_cast('src.event_id', t_str) }} as event_id,
        {{ dbt.safe_cast('src.game_date', 'date') }} as game_date,
        {{ dbt.safe_cast('src.commence_at', t_ts) }} as commence_at,
        upper({{ dbt.safe_cast('src.home_team_abbr', t_str) }})
            as home_team_abbr,
        upper({{ dbt.safe_cast('src.away_team_abbr', t_str) }})
            as away_team_abbr,
        lower({{ dbt.safe_cast('src.bookmaker', t_str) }}) as bookmaker,
        {{ dbt.safe_cast('src.player_name', t_str) }} as player_name,
        {{ normalize_player_lookup('src.player_name') }} as player_lookup,
        {{ dbt.safe_cast('src.points_line', dbt.type_float()) }}
            as points_line,
        {{ dbt.safe_cast('src.over_price', t_int) }} as over_price,
        {{ dbt.safe_cast('src.under_price', t_int) }} as under_price,
        {{ dbt.safe_cast('src.loaded_at', t_ts) }} as loaded_at,
        -- the raw row itself, rendered as JSON only if it is rejected
        src as raw_row
    from source_rows as src
),

validated as (
    select
        *,
        {{ first_reject_reason([
            ['snapshot_at is null', 'unparseable_snapshot_at'],
            ['game_date is null', 'unparseable_game_date'],
            ['commence_at is null', 'unparseable_commence_at'],
            ['player_name is null or player_lookup = \'\'',
                'null_player_name'],
            [is_unknown_team('home_team_abbr'), 'unknown_team_abbr'],
            [is_unknown_team('away_team_abbr'), 'unknown_team_abbr'],
            ['bookmaker is null', 'null_bookmaker'],
            ['points_line is null or points_line <= 0 or points_line > 80',
                'line_out_of_range'],
        ]) }} as validation_reason
    from renamed
),

ranked as (
    select
        *,
        {#- game_date adds nothing to the key (an event has one date) but
            lets a date filter of a daily run reach below this window
            function instead of ranking every snapshot ever loaded. -#}
        {{ duplicate_rank([
            'game_date', 'snapshot_at', 'event_id', 'bookmaker',
            'player_lookup',
        ]) }} as duplicate_rank
    from validated
),

keyed as (
    select
        snapshot_at,
        event_id,
        game_date,
        commence_at,
        home_team_abbr,
        away_team_abbr,
        bookmaker,
        player_name,
        player_lookup,
        points_line,
        over_price,
        under_price,
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
