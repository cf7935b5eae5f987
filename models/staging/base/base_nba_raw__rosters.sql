{{ config(**restaged_base_config('roster_date')) }}

{%- set raw_names = [
    'roster_date', 'scrape_hour', 'team_abbr', 'player_full_name',
    'position', 'birth_date', 'roster_status', 'processed_at',
] -%}
{%- set staged = [
    'roster_date', 'team_abbr', 'player_name', 'player_lookup', 'position',
    'birth_date', 'roster_status',
] %}

with source_rows as (
    select * from {{ source('nba_raw', 'espn_team_rosters') }}
    where roster_date >= {{ raw_partition_floor() }}
        and {{ is_restaged_date('espn_team_rosters', 'roster_date', follows=[]) }}
),

typed as (
    select
        {{ raw_columns('espn_team_rosters', raw_names) }},
        {{ unparseable_reason('espn_team_rosters', raw_names) }}
            as unparseable_reason,
        -- the raw row itself, rendered as JSON only if it is rejected
        src as raw_row
    from source_rows as src
),

renamed as (
    select
        roster_date,
        scrape_hour,
        upper(team_abbr) as team_abbr,
        player_full_name as player_name,
        -- recomputed: older stored lookups strip suffixes
        {{ normalize_player_lookup('player_full_name') }} as player_lookup,
        upper(position) as position,
        birth_date,
        roster_status as roster_status_text,
        -- ESPN's contract type; the current scraper writes 'Active Roster'
        -- for everyone (no two-way distinction)
        case
            when lower(trim(roster_status)) in ('active roster', 'active')
                then 'active'
            when lower(trim(roster_status)) in ('two-way', 'two way', 'two_way')
                then 'two_way'
        end as roster_status,
        processed_at as loaded_at,
        unparseable_reason,
        raw_row
    from typed
),

validated as (
    select
        *,
        coalesce(unparseable_reason, {{ first_reject_reason([
            ['roster_date is null', 'null_roster_date'],
            ['player_name is null or player_lookup = \'\'',
                'null_player_name'],
            [is_unknown_team('team_abbr'), 'unknown_team_abbr'],
            ['roster_status is null', 'unknown_roster_status'],
            ['birth_date > roster_date', 'birth_date_after_roster_date'],
        ]) }}) as validation_reason
    from renamed
),

fingerprinted as (
    select
        *,
        {{ row_fingerprint(staged) }} as row_fingerprint
    from validated
),

ranked as (
    {#- Several scrapes of one date: the newest scrape slot wins. -#}
    select
        *,
        {{ duplicate_rank(
            ['roster_date', 'team_abbr', 'player_lookup'],
            ['scrape_hour desc nulls last']) }} as duplicate_rank,
        {{ kept_fingerprint(
            ['roster_date', 'team_abbr', 'player_lookup'],
            ['scrape_hour desc nulls last']) }} as kept_fingerprint
    from fingerprinted
),

keyed as (
    select
        {% for column in staged -%}
        {{ column }},
        {% endfor -%}
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
