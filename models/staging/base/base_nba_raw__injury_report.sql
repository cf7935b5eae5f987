{%- set t_str = dbt.type_string() -%}
{%- set t_ts = dbt.type_timestamp() -%}

with source_rows as (
    select * from {{ source('nba_raw', 'injury_report') }}
),

renamed as (
    select
        {{ dbt.safe_cast('src.report_at', t_ts) }} as report_at,
        {{ dbt.safe_cast('src.game_date', 'date') }} as game_date,
        upper({{ dbt.safe_cast('src.team_abbr', t_str) }}) as team_abbr,
        {{ dbt.safe_cast('src.player_name', t_str) }} as player_name,
        {{ normalize_player_lookup('src.player_name') }} as player_lookup,
        lower({{ dbt.safe_cast('src.injury_status', t_str) }})
            as injury_status,
        {{ dbt.safe_cast('src.reason', t_str) }} as injury_reason,
        {{ dbt.safe_cast('src.loaded_at', t_ts) }} as loaded_at,
        -- the raw row itself, rendered as JSON only if it is rejected
        src as raw_row
    from source_rows as src
),

validated as (
    select
        *,
        {{ first_reject_reason([
            ['report_at is null', 'unparseable_report_at'],
            ['game_date is null', 'unparseable_game_date'],
            ['player_name is null or player_lookup = \'\'',
                'null_player_name'],
            [is_unknown_team('team_abbr'), 'unknown_team_abbr'],
            ["injury_status is null or injury_status not in ('out', "
                ~ "'doubtful', 'questionable', 'probable', 'available')",
                'unknown_injury_status'],
        ]) }} as validation_reason
    from renamed
),

ranked as (
    select
        *,
        {{ duplicate_rank(['report_at', 'game_date', 'player_lookup']) }}
            as duplicate_rank
    from validated
),

keyed as (
    select
        report_at,
        game_date,
        team_abbr,
        player_name,
        player_lookup,
        injury_status,
        injury_reason,
        loaded_at,
        {{ readable_key(['report_at', 'game_date', 'player_name']) }}
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
