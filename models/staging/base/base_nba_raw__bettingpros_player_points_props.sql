{{ config(**restaged_base_config('game_date')) }}

{%- set raw_names = [
    'game_date', 'market_type', 'bet_side', 'player_name', 'player_team',
    'bookmaker', 'points_line', 'opening_line', 'created_at', 'processed_at',
] -%}
{%- set staged = [
    'created_at', 'game_date', 'player_name', 'player_lookup', 'team_abbr',
    'market', 'book', 'points_line', 'opening_points_line',
] %}

with source_rows as (
    select * from {{ source('nba_raw', 'bettingpros_player_points_props') }}
    where game_date >= {{ raw_partition_floor() }}
        and {{ is_restaged_date(
            'bettingpros_player_points_props', 'game_date', follows=[]) }}
),

typed as (
    select
        {{ raw_columns('bettingpros_player_points_props', raw_names) }},
        {{ unparseable_reason('bettingpros_player_points_props', raw_names) }}
            as unparseable_reason,
        -- the raw row itself, rendered as JSON only if it is rejected
        src as raw_row
    from source_rows as src
),

renamed as (
    select
        created_at,
        game_date,
        player_name,
        -- recomputed: older stored lookups strip suffixes
        {{ normalize_player_lookup('player_name') }} as player_lookup,
        upper(player_team) as team_abbr,
        lower(market_type) as market,
        lower(bet_side) as bet_side,
        lower(bookmaker) as book,
        points_line,
        opening_line as opening_points_line,
        processed_at as loaded_at,
        unparseable_reason,
        raw_row
    from typed
),

scoped as (
    select
        *,
        -- the table holds every prop market and one row per side; only the
        -- over side of the points market is staged (the under row repeats
        -- its line), the rest is out of scope, not defective
        case
            when market is null then 'unknown_market'
            when market != 'points' then 'other_market'
            when bet_side is null or bet_side not in ('over', 'under')
                then 'unknown_bet_side'
            when bet_side = 'under' then 'under_side'
            else unparseable_reason
        end as scope_reason
    from renamed
),

validated as (
    select
        *,
        coalesce(scope_reason, {{ first_reject_reason([
            ['created_at is null', 'null_created_at'],
            ['game_date is null', 'null_game_date'],
            ['player_name is null or player_lookup = \'\'',
                'null_player_name'],
            [is_unknown_team('team_abbr'), 'unknown_team_abbr'],
            [is_non_finite('points_line') ~ ' or '
                ~ is_non_finite('opening_points_line'), 'non_finite_number'],
            ['points_line is null or points_line <= 0 or points_line > 100',
                'line_out_of_range'],
            ['opening_points_line <= 0 or opening_points_line > 100',
                'line_out_of_range'],
        ]) }}) as validation_reason
    from scoped
),

fingerprinted as (
    select
        *,
        {{ row_fingerprint(staged) }} as row_fingerprint
    from validated
),

ranked as (
    {%- set key = ['created_at', 'game_date', 'player_lookup', 'book'] %}
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
            'created_at', 'game_date', 'book', 'player_name', 'bet_side',
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
