{%- set t_str = dbt.type_string() -%}
{%- set t_int = dbt.type_int() -%}
{%- set t_float = dbt.type_float() -%}
{%- set t_ts = dbt.type_timestamp() -%}
{%- set counts = [
    'points', 'fg_made', 'fg_attempted', 'three_made', 'three_attempted',
    'ft_made', 'ft_attempted', 'off_rebounds', 'def_rebounds', 'assists',
    'steals', 'blocks', 'turnovers', 'fouls',
] -%}
{%- set negative_checks = [] -%}
{%- for column in counts -%}
{%- do negative_checks.append(column ~ ' < 0') -%}
{%- endfor %}

with source_rows as (
    select * from {{ source('nba_raw', 'gamebook_player_stats') }}
),

renamed as (
    select
        {{ dbt.safe_cast('src.game_id', t_str) }} as game_id,
        {{ dbt.safe_cast('src.game_date', 'date') }} as game_date,
        upper({{ dbt.safe_cast('src.team_abbr', t_str) }}) as team_abbr,
        {{ dbt.safe_cast('src.player_name', t_str) }} as player_name,
        {{ normalize_player_lookup('src.player_name') }} as player_lookup,
        lower({{ dbt.safe_cast('src.player_status', t_str) }})
            as player_status,
        {{ dbt.safe_cast('src.dnp_reason', t_str) }} as dnp_reason,
        {{ dbt.safe_cast('src.minutes', t_float) }} as minutes,
        {% for column in counts %}
        {{ dbt.safe_cast('src.' ~ column, t_int) }} as {{ column }},
        {% endfor %}
        {{ dbt.safe_cast('src.is_starter', dbt.type_boolean()) }}
            as is_starter,
        {{ dbt.safe_cast('src.loaded_at', t_ts) }} as loaded_at,
        -- the raw row itself, rendered as JSON only if it is rejected
        src as raw_row
    from source_rows as src
),

validated as (
    select
        *,
        {{ first_reject_reason([
            ['game_id is null', 'null_game_id'],
            ['game_date is null', 'unparseable_game_date'],
            ['player_name is null or player_lookup = \'\'',
                'null_player_name'],
            [is_unknown_team('team_abbr'), 'unknown_team_abbr'],
            ["player_status is null or player_status not in "
                ~ "('active', 'dnp', 'inactive')", 'unknown_player_status'],
            ['points < 0', 'negative_points'],
            ['minutes < 0 or minutes > 70', 'impossible_minutes'],
            [negative_checks | join(' or '), 'negative_stat'],
            ['fg_made > fg_attempted or three_made > three_attempted'
                ~ ' or ft_made > ft_attempted', 'made_exceeds_attempted'],
            ['three_made > fg_made or three_attempted > fg_attempted',
                'threes_exceed_field_goals'],
            ['points != 2 * fg_made + three_made + ft_made',
                'points_inconsistent'],
        ]) }} as validation_reason
    from renamed
),

ranked as (
    select
        *,
        {{ duplicate_rank(['game_id', 'player_lookup']) }} as duplicate_rank
    from validated
),

keyed as (
    select
        game_id,
        game_date,
        team_abbr,
        player_name,
        player_lookup,
        player_status,
        dnp_reason,
        minutes,
        {% for column in counts %}
        {{ column }},
        {% endfor %}
        is_starter,
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
