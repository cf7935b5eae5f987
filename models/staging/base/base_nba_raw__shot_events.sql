{{ config(**restaged_base_config('game_date')) }}

{%- set raw_names = [
    'game_id', 'game_date', 'event_sequence', 'period', 'game_clock',
    'event_type', 'event_subtype', 'player_1_name', 'player_1_team_abbr',
    'shot_made', 'shot_distance', 'processed_at',
] -%}
{%- set staged = [
    'game_id', 'game_date', 'event_num', 'player_name', 'player_lookup',
    'team_abbr', 'period', 'clock', 'shot_zone', 'shot_distance_ft',
    'is_made',
] %}

with source_rows as (
    select * from {{ source('nba_raw', 'bigdataball_play_by_play') }}
    where game_date >= {{ raw_partition_floor() }}
        and {{ is_restaged_date('bigdataball_play_by_play', 'game_date') }}
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
        {{ raw_columns('bigdataball_play_by_play', raw_names) }},
        {{ unparseable_reason('bigdataball_play_by_play', raw_names) }}
            as unparseable_reason,
        -- the raw row itself, rendered as JSON only if it is rejected
        src as raw_row
    from source_rows as src
),

renamed as (
    select
        game_id,
        game_date,
        event_sequence as event_num,
        lower(event_type) as event_type,
        player_1_name as player_name,
        -- recomputed: the stored lookup drops suffixes and can carry a
        -- numeric player-id prefix
        {{ normalize_player_lookup('player_1_name') }} as player_lookup,
        upper(player_1_team_abbr) as team_abbr,
        period,
        -- 'H:MM:SS' with a zero hour -> 'MM:SS'
        regexp_replace(game_clock, '^0:', '') as clock,
        -- the production shot-zone rule: the paint within 8 ft, a three when
        -- the play says so or from 23.75 ft (the arc), else mid-range
        case
            when shot_distance is null
                then case when lower(event_subtype) like '%3pt%' then 'three' end
            when shot_distance <= 8 then 'paint'
            when lower(event_subtype) like '%3pt%' or shot_distance >= 23.75
                then 'three'
            else 'mid_range'
        end as shot_zone,
        shot_distance as shot_distance_ft,
        shot_made as is_made,
        processed_at as loaded_at,
        unparseable_reason,
        raw_row
    from typed
),

with_game as (
    select
        renamed.*,
        games.game_date as schedule_game_date,
        games.home_team_abbr as schedule_home_team,
        games.away_team_abbr as schedule_away_team,
        games.game_id is not null as is_scheduled
    from renamed
    left join games on renamed.game_id = games.game_id
),

scoped as (
    select
        *,
        -- events other than field-goal attempts are out of scope, not
        -- defects: they are set aside before any check
        case
            when event_type is null then 'null_event_type'
            when event_type != 'shot' then 'not_a_shot'
            else unparseable_reason
        end as scope_reason
    from with_game
),

validated as (
    select
        *,
        coalesce(scope_reason, {{ first_reject_reason([
            ['game_id is null or event_num is null', 'null_event_key'],
            ['game_date is null', 'null_game_date'],
            ['player_name is null or player_lookup = \'\'',
                'null_player_name'],
            [is_unknown_team('team_abbr'), 'unknown_team_abbr'],
            [is_non_finite('shot_distance_ft'), 'non_finite_number'],
            ['shot_zone is null', 'unknown_shot_zone'],
            ['period is null or period < 1', 'impossible_period'],
            ['shot_distance_ft < 0 or shot_distance_ft > 94',
                'impossible_shot_distance'],
            ['is_made is null', 'null_is_made'],
        ] + game_reference_checks()) }}) as validation_reason
    from scoped
),

fingerprinted as (
    select
        *,
        {{ row_fingerprint(staged) }} as row_fingerprint
    from validated
),

ranked as (
    select
        *,
        {{ duplicate_rank(['game_id', 'event_num']) }} as duplicate_rank,
        {{ kept_fingerprint(['game_id', 'event_num']) }} as kept_fingerprint
    from fingerprinted
),

keyed as (
    select
        {% for column in staged -%}
        {{ column }},
        {% endfor -%}
        loaded_at,
        {{ readable_key(['game_id', 'event_num']) }} as record_key,
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
