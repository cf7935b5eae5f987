{%- set t_str = dbt.type_string() -%}
{%- set t_int = dbt.type_int() -%}
{%- set t_ts = dbt.type_timestamp() -%}
{%- set counts = [
    'points', 'fg_made', 'fg_attempted', 'three_made', 'three_attempted',
    'ft_made', 'ft_attempted', 'off_rebounds', 'def_rebounds', 'turnovers',
] -%}
{%- set negative_checks = [] -%}
{%- for column in counts -%}
{%- do negative_checks.append(column ~ ' < 0') -%}
{%- endfor %}

with source_rows as (
    select * from {{ source('nba_raw', 'team_box_scores') }}
),

renamed as (
    select
        {{ dbt.safe_cast('src.game_id', t_str) }} as game_id,
        {{ dbt.safe_cast('src.game_date', 'date') }} as game_date,
        upper({{ dbt.safe_cast('src.team_abbr', t_str) }}) as team_abbr,
        {% for column in counts %}
        {{ dbt.safe_cast('src.' ~ column, t_int) }} as {{ column }},
        {% endfor %}
        {{ dbt.safe_cast('src.minutes', t_int) }} as team_minutes,
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
            [is_unknown_team('team_abbr'), 'unknown_team_abbr'],
            ['points < 0', 'negative_points'],
            [negative_checks | join(' or '), 'negative_stat'],
            ['fg_made > fg_attempted or three_made > three_attempted'
                ~ ' or ft_made > ft_attempted', 'made_exceeds_attempted'],
            ['points != 2 * fg_made + three_made + ft_made',
                'points_inconsistent'],
            ['team_minutes is null or team_minutes < 240', 'impossible_minutes'],
        ]) }} as validation_reason
    from renamed
),

ranked as (
    select
        *,
        {{ duplicate_rank(['game_id', 'team_abbr']) }} as duplicate_rank
    from validated
),

keyed as (
    select
        game_id,
        game_date,
        team_abbr,
        {% for column in counts %}
        {{ column }},
        {% endfor %}
        team_minutes,
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
