{{ config(**restaged_base_config('game_date')) }}

{#- Raw column -> staged column (the project's names). -#}
{%- set counts = {
    'points': 'points',
    'field_goals_made': 'fg_made',
    'field_goals_attempted': 'fg_attempted',
    'three_pointers_made': 'three_made',
    'three_pointers_attempted': 'three_attempted',
    'free_throws_made': 'ft_made',
    'free_throws_attempted': 'ft_attempted',
    'offensive_rebounds': 'off_rebounds',
    'defensive_rebounds': 'def_rebounds',
    'assists': 'assists',
    'steals': 'steals',
    'blocks': 'blocks',
    'turnovers': 'turnovers',
    'personal_fouls': 'fouls',
} -%}
{%- set raw_names = [
    'game_id', 'game_date', 'team_abbr', 'player_name', 'player_status',
    'dnp_reason', 'name_resolution_status', 'minutes', 'minutes_decimal',
] + (counts.keys() | list) + ['processed_at'] -%}
{%- set staged = [
    'game_id', 'game_date', 'team_abbr', 'player_name', 'player_lookup',
    'player_status', 'dnp_reason', 'minutes',
] + (counts.values() | list) + ['is_starter'] -%}
{%- set negative_checks = [] -%}
{%- for column in counts.values() -%}
{%- do negative_checks.append(column ~ ' < 0') -%}
{%- endfor -%}
{#- Longest possible game when its length is not known: three overtimes. -#}
{%- set max_game_minutes = 48 + 5 * 3 %}

with source_rows as (
    select * from {{ source('nba_raw', 'nbac_gamebook_player_stats') }}
    where game_date >= {{ raw_partition_floor() }}
        and {{ is_restaged_date(
            'nbac_gamebook_player_stats', 'game_date',
            follows=['base_nba_raw__schedule', 'base_nba_raw__team_box_scores']) }}
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

-- a game's length in minutes (48 + 5 per overtime) from its team box
-- score: team player-minutes are five times the game's
game_lengths as (
    select
        game_id,
        max(team_minutes) / 5.0 as game_minutes
    from {{ ref('base_nba_raw__team_box_scores') }}
    where reject_reason is null
    group by game_id
),

typed as (
    select
        {{ raw_columns('nbac_gamebook_player_stats', raw_names) }},
        {{ unparseable_reason('nbac_gamebook_player_stats', raw_names) }}
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
        player_name,
        -- recomputed: the stored player_lookup is not the project's rule
        {{ normalize_player_lookup('player_name') }} as player_lookup,
        lower(player_status) as player_status,
        dnp_reason,
        lower(name_resolution_status) as name_resolution_status,
        minutes as minutes_text,
        -- 'MM:SS', else a plain number, else minutes_decimal ('-' and NULL
        -- mean no minutes)
        coalesce(
            {{ clock_text_minutes('minutes') }},
            {{ dbt.safe_cast('minutes', dbt.type_float()) }},
            minutes_decimal
        ) as minutes,
        minutes_decimal,
        {% for raw, column in counts.items() -%}
        {{ raw }} as {{ column }},
        {% endfor -%}
        processed_at as loaded_at,
        unparseable_reason,
        raw_row
    from typed
),

with_game as (
    select
        renamed.*,
        -- there is no starter flag: production's rule is more than 20 minutes
        coalesce(renamed.minutes > 20, false) as is_starter,
        coalesce(game_lengths.game_minutes, {{ max_game_minutes }})
            as game_minutes,
        games.game_date as schedule_game_date,
        games.home_team_abbr as schedule_home_team,
        games.away_team_abbr as schedule_away_team,
        games.game_id is not null as is_scheduled
    from renamed
    left join games on renamed.game_id = games.game_id
    left join game_lengths on renamed.game_id = game_lengths.game_id
),

validated as (
    select
        *,
        coalesce(unparseable_reason, {{ first_reject_reason([
            ['game_id is null', 'null_game_id'],
            ['game_date is null', 'null_game_date'],
            ["minutes_text is not null and trim(minutes_text) != '-'"
                ~ ' and minutes is null', 'unparseable_minutes'],
            ['player_name is null or player_lookup = \'\'',
                'null_player_name'],
            ["player_status = 'inactive' and name_resolution_status in "
                ~ "('not_found', 'multiple_matches')",
                'unresolved_player_name'],
            [is_unknown_team('team_abbr'), 'unknown_team_abbr'],
            ["player_status is null or player_status not in "
                ~ "('active', 'dnp', 'inactive')", 'unknown_player_status'],
            [is_non_finite('minutes') ~ ' or '
                ~ is_non_finite('minutes_decimal'), 'non_finite_number'],
            ['points < 0', 'negative_points'],
            ['points > 100', 'impossible_points'],
            ['minutes < 0 or minutes > game_minutes', 'impossible_minutes'],
            [negative_checks | join(' or '), 'negative_stat'],
            ["player_status = 'active' and coalesce(minutes, 0) = 0 and ("
                ~ 'points > 0 or fg_attempted > 0 or ft_attempted > 0'
                ~ ' or off_rebounds > 0 or def_rebounds > 0)',
                'stats_without_minutes'],
            ['fg_made > fg_attempted or three_made > three_attempted'
                ~ ' or ft_made > ft_attempted', 'made_exceeds_attempted'],
            ['three_made > fg_made or three_attempted > fg_attempted',
                'threes_exceed_field_goals'],
            ['points != 2 * fg_made + three_made + ft_made',
                'points_inconsistent'],
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
        {{ duplicate_rank(['game_id', 'player_lookup']) }} as duplicate_rank,
        {{ kept_fingerprint(['game_id', 'player_lookup']) }}
            as kept_fingerprint
    from fingerprinted
),

keyed as (
    select
        {% for column in staged -%}
        {{ column }},
        {% endfor -%}
        loaded_at,
        {{ readable_key(['game_id', 'team_abbr', 'player_name']) }}
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
