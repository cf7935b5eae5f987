{{ config(**restaged_base_config('game_date')) }}

{#- Raw column -> staged column (the project's names). -#}
{%- set counts = {
    'points': 'points',
    'fg_made': 'fg_made',
    'fg_attempted': 'fg_attempted',
    'three_pt_made': 'three_made',
    'three_pt_attempted': 'three_attempted',
    'ft_made': 'ft_made',
    'ft_attempted': 'ft_attempted',
    'offensive_rebounds': 'off_rebounds',
    'defensive_rebounds': 'def_rebounds',
    'turnovers': 'turnovers',
} -%}
{%- set ratios = ['fg_percentage', 'three_pt_percentage', 'ft_percentage'] -%}
{%- set raw_names = ['game_id', 'game_date', 'team_abbr', 'minutes']
    + (counts.keys() | list) + ratios + ['processed_at'] -%}
{%- set staged = ['game_id', 'game_date', 'team_abbr']
    + (counts.values() | list) + ['team_minutes'] -%}
{%- set negative_checks = [] -%}
{%- for column in counts.values() -%}
{%- do negative_checks.append(column ~ ' < 0') -%}
{%- endfor -%}
{%- set non_finite_checks = [] -%}
{%- for column in ratios -%}
{%- do non_finite_checks.append(is_non_finite(column)) -%}
{%- endfor %}

with source_rows as (
    select * from {{ source('nba_raw', 'nbac_team_boxscore') }}
    where game_date >= {{ raw_partition_floor() }}
        and {{ is_restaged_date('nbac_team_boxscore', 'game_date') }}
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
        {{ raw_columns('nbac_team_boxscore', raw_names) }},
        {{ unparseable_reason('nbac_team_boxscore', raw_names) }}
            as unparseable_reason,
        -- the raw row itself, rendered as JSON only if it is rejected
        src as raw_row
    from source_rows as src
),

renamed as (
    select
        game_id,
        game_date,
        upper(team_abbr) as team_abbr,
        {% for raw, column in counts.items() -%}
        {{ raw }} as {{ column }},
        {% endfor -%}
        {% for column in ratios -%}
        {{ column }},
        {% endfor -%}
        -- team player-minutes as clock text: '240:00' regulation, +25 per
        -- overtime period
        minutes as minutes_text,
        cast(floor(coalesce(
            {{ clock_text_minutes('minutes') }},
            {{ dbt.safe_cast('minutes', dbt.type_float()) }}
        )) as {{ dbt.type_int() }}) as team_minutes,
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

validated as (
    select
        *,
        coalesce(unparseable_reason, {{ first_reject_reason([
            ['game_id is null', 'null_game_id'],
            ['game_date is null', 'null_game_date'],
            [is_unknown_team('team_abbr'), 'unknown_team_abbr'],
            ['minutes_text is not null and team_minutes is null',
                'unparseable_minutes'],
            [non_finite_checks | join(' or '), 'non_finite_number'],
            ['points < 0', 'negative_points'],
            [negative_checks | join(' or '), 'negative_stat'],
            ['fg_made > fg_attempted or three_made > three_attempted'
                ~ ' or ft_made > ft_attempted', 'made_exceeds_attempted'],
            ['three_made > fg_made or three_attempted > fg_attempted',
                'threes_exceed_field_goals'],
            ['points != 2 * fg_made + three_made + ft_made',
                'points_inconsistent'],
            ['team_minutes is null or team_minutes < 240',
                'impossible_minutes'],
        ] + game_reference_checks()) }}) as validation_reason
    from with_game
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
        {{ duplicate_rank(['game_id', 'team_abbr']) }} as duplicate_rank,
        {{ kept_fingerprint(['game_id', 'team_abbr']) }} as kept_fingerprint
    from fingerprinted
),

keyed as (
    select
        {% for column in staged -%}
        {{ column }},
        {% endfor -%}
        loaded_at,
        {{ readable_key(['game_id', 'team_abbr']) }} as record_key,
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
