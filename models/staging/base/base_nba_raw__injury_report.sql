{%- set raw_names = [
    'report_date', 'report_hour', 'game_date', 'team', 'player_full_name',
    'injury_status', 'reason', 'confidence_score', 'processed_at',
] -%}
{%- set staged = [
    'report_at', 'game_date', 'team_abbr', 'player_name', 'player_lookup',
    'injury_status', 'injury_reason',
] %}

with source_rows as (
    select * from {{ source('nba_raw', 'nbac_injury_report') }}
    where report_date >= {{ raw_partition_floor() }}
),

typed as (
    select
        {{ raw_columns('nbac_injury_report', raw_names) }},
        {{ unparseable_reason('nbac_injury_report', raw_names) }}
            as unparseable_reason,
        -- the raw row itself, rendered as JSON only if it is rejected
        src as raw_row
    from source_rows as src
),

renamed as (
    select
        -- the report's date and hour are US Eastern wall time
        case
            when report_hour between 0 and 23
                then {{ local_hour_to_utc(
                    'report_date', 'report_hour', 'America/New_York') }}
        end as report_at,
        report_date,
        report_hour,
        game_date,
        upper(team) as team_abbr,
        -- the 'First Last' form (player_name_original is 'Last, First')
        player_full_name as player_name,
        -- recomputed: the stored lookup deletes jr/sr/ii/iii/iv anywhere in
        -- the name
        {{ normalize_player_lookup('player_full_name') }} as player_lookup,
        lower(trim(injury_status)) as injury_status,
        reason as injury_reason,
        confidence_score,
        processed_at as loaded_at,
        unparseable_reason,
        raw_row
    from typed
),

validated as (
    select
        *,
        coalesce(unparseable_reason, {{ first_reject_reason([
            ['report_date is null', 'null_report_date'],
            ['report_at is null', 'impossible_report_hour'],
            ['game_date is null', 'null_game_date'],
            ['player_name is null or player_lookup = \'\'',
                'null_player_name'],
            [is_unknown_team('team_abbr'), 'unknown_team_abbr'],
            ["injury_status is null or injury_status not in ('out', "
                ~ "'doubtful', 'questionable', 'probable', 'available')",
                'unknown_injury_status'],
            [is_non_finite('confidence_score'), 'non_finite_number'],
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
    select
        *,
        {{ duplicate_rank(['report_at', 'game_date', 'player_lookup']) }}
            as duplicate_rank,
        {{ kept_fingerprint(['report_at', 'game_date', 'player_lookup']) }}
            as kept_fingerprint
    from fingerprinted
),

keyed as (
    select
        {% for column in staged -%}
        {{ column }},
        {% endfor -%}
        loaded_at,
        {{ readable_key([
            'report_date', 'report_hour', 'game_date', 'player_name',
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
