{%- set t_str = dbt.type_string() -%}
{%- set t_ts = dbt.type_timestamp() -%}

with source_rows as (
    select * from {{ source('nba_raw', 'rosters') }}
),

renamed as (
    select
        {{ dbt.safe_cast('src.roster_date', 'date') }} as roster_date,
        upper({{ dbt.safe_cast('src.team_abbr', t_str) }}) as team_abbr,
        {{ dbt.safe_cast('src.player_name', t_str) }} as player_name,
        {{ normalize_player_lookup('src.player_name') }} as player_lookup,
        upper({{ dbt.safe_cast('src.position', t_str) }}) as position,
        {{ dbt.safe_cast('src.birth_date', 'date') }} as birth_date,
        lower({{ dbt.safe_cast('src.roster_status', t_str) }})
            as roster_status,
        {{ dbt.safe_cast('src.loaded_at', t_ts) }} as loaded_at,
        -- the raw row itself, rendered as JSON only if it is rejected
        src as raw_row
    from source_rows as src
),

validated as (
    select
        *,
        {{ first_reject_reason([
            ['roster_date is null', 'unparseable_roster_date'],
            ['player_name is null or player_lookup = \'\'',
                'null_player_name'],
            [is_unknown_team('team_abbr'), 'unknown_team_abbr'],
            ["roster_status is null or roster_status not in "
                ~ "('active', 'two_way')", 'unknown_roster_status'],
            ['birth_date > roster_date', 'birth_date_after_roster_date'],
        ]) }} as validation_reason
    from renamed
),

ranked as (
    select
        *,
        {{ duplicate_rank(['roster_date', 'team_abbr', 'player_lookup']) }}
            as duplicate_rank
    from validated
),

keyed as (
    select
        roster_date,
        team_abbr,
        player_name,
        player_lookup,
        position,
        birth_date,
        roster_status,
        loaded_at,
        {{ readable_key(['roster_date', 'team_abbr', 'player_name']) }}
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
