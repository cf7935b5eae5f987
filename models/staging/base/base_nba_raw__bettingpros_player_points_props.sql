{%- set t_str = dbt.type_string() -%}
{%- set t_float = dbt.type_float() -%}
{%- set t_ts = dbt.type_timestamp() -%}

with source_rows as (
    select * from {{ source('nba_raw', 'bettingpros_player_points_props') }}
),

renamed as (
    select
        {{ dbt.safe_cast('src.created_at', t_ts) }} as created_at,
        {{ dbt.safe_cast('src.game_date', 'date') }} as game_date,
        {{ dbt.safe_cast('src.player_name', t_str) }} as player_name,
        {{ normalize_player_lookup('src.player_name') }} as player_lookup,
        upper({{ dbt.safe_cast('src.team_abbr', t_str) }}) as team_abbr,
        lower({{ dbt.safe_cast('src.market', t_str) }}) as market,
        lower({{ dbt.safe_cast('src.book', t_str) }}) as book,
        {{ dbt.safe_cast('src.line', t_float) }} as points_line,
        {{ dbt.safe_cast('src.opening_line', t_float) }}
            as opening_points_line,
        {{ dbt.safe_cast('src.loaded_at', t_ts) }} as loaded_at,
        -- the raw row itself, rendered as JSON only if it is rejected
        src as raw_row
    from source_rows as src
),

validated as (
    select
        *,
        {{ first_reject_reason([
            ['created_at is null', 'unparseable_created_at'],
            ['game_date is null', 'unparseable_game_date'],
            ['player_name is null or player_lookup = \'\'',
                'null_player_name'],
            [is_unknown_team('team_abbr'), 'unknown_team_abbr'],
            ["market is null or market != 'points'", 'unknown_market'],
            ['points_line is null or points_line <= 0 or points_line > 80',
                'line_out_of_range'],
            ['opening_points_line <= 0 or opening_points_line > 80',
                'line_out_of_range'],
        ]) }} as validation_reason
    from renamed
),

ranked as (
    select
        *,
        {{ duplicate_rank([
            'created_at', 'game_date', 'player_lookup', 'book',
        ]) }} as duplicate_rank
    from validated
),

keyed as (
    select
        created_at,
        game_date,
        player_name,
        player_lookup,
        team_abbr,
        market,
        book,
        points_line,
        opening_points_line,
        loaded_at,
        {{ readable_key(['created_at', 'game_date', 'book', 'player_name']) }}
            as record_key,
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
