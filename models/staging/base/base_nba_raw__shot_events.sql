{%- set t_str = dbt.type_string() -%}
{%- set t_int = dbt.type_int() -%}
{%- set t_ts = dbt.type_timestamp() -%}

with source_rows as (
    select * from {{ source('nba_raw', 'shot_events') }}
),

renamed as (
    select
        {{ dbt.safe_cast('src.game_id', t_str) }} as game_id,
        {{ dbt.safe_cast('src.event_num', t_int) }} as event_num,
        {{ dbt.safe_cast('src.player_name', t_str) }} as player_name,
        {{ normalize_player_lookup('src.player_name') }} as player_lookup,
        upper({{ dbt.safe_cast('src.team_abbr', t_str) }}) as team_abbr,
        {{ dbt.safe_cast('src.period', t_int) }} as period,
        {{ dbt.safe_cast('src.clock', t_str) }} as clock,
        lower({{ dbt.safe_cast('src.shot_zone', t_str) }}) as shot_zone,
        {{ dbt.safe_cast('src.shot_distance_ft', dbt.type_float()) }}
            as shot_distance_ft,
        {{ dbt.safe_cast('src.is_made', dbt.type_boolean()) }} as is_made,
        {{ dbt.safe_cast('src.loaded_at', t_ts) }} as loaded_at,
        -- the raw row itself, rendered as JSON only if it is rejected
        src as raw_row
    from source_rows as src
),

validated as (
    select
        *,
        {{ first_reject_reason([
            ['game_id is null or event_num is null', 'null_event_key'],
            ['player_name is null or player_lookup = \'\'',
                'null_player_name'],
            [is_unknown_team('team_abbr'), 'unknown_team_abbr'],
            ["shot_zone is null or shot_zone not in "
                ~ "('paint', 'mid_range', 'three')", 'unknown_shot_zone'],
            ['period is null or period < 1', 'impossible_period'],
            ['shot_distance_ft < 0 or shot_distance_ft > 94',
                'impossible_shot_distance'],
            ['is_made is null', 'null_is_made'],
        ]) }} as validation_reason
    from renamed
),

ranked as (
    select
        *,
        {{ duplicate_rank(['game_id', 'event_num']) }} as duplicate_rank
    from validated
),

keyed as (
    select
        game_id,
        event_num,
        player_name,
        player_lookup,
        team_abbr,
        period,
        clock,
        shot_zone,
        shot_distance_ft,
        is_made,
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
