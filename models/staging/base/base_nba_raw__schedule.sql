{%- set t_str = dbt.type_string() -%}
{%- set t_int = dbt.type_int() -%}
{%- set t_ts = dbt.type_timestamp() -%}
{#- The All-Star game is played by conference teams (EST/WST), not tricodes. -#}

with source_rows as (
    select * from {{ source('nba_raw', 'schedule') }}
),

renamed as (
    select
        {{ dbt.safe_cast('src.game_id', t_str) }} as game_id,
        {{ dbt.safe_cast('src.game_date', 'date') }} as game_date,
        {{ dbt.safe_cast('src.tipoff_at', t_ts) }} as tipoff_at,
        {{ dbt.safe_cast('src.season_year', t_int) }} as season_year,
        lower({{ dbt.safe_cast('src.game_type', t_str) }}) as game_type,
        upper({{ dbt.safe_cast('src.home_team_abbr', t_str) }})
            as home_team_abbr,
        upper({{ dbt.safe_cast('src.away_team_abbr', t_str) }})
            as away_team_abbr,
        lower({{ dbt.safe_cast('src.game_status', t_str) }}) as game_status,
        {{ dbt.safe_cast('src.home_score', t_int) }} as home_score,
        {{ dbt.safe_cast('src.away_score', t_int) }} as away_score,
        {{ dbt.safe_cast('src.playoff_round', t_int) }} as playoff_round,
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
            ['tipoff_at is null', 'unparseable_tipoff_at'],
            ["game_type is null or game_type not in "
                ~ "('preseason', 'regular', 'all_star', 'playoffs')",
                'unknown_game_type'],
            ["game_status is null or game_status not in "
                ~ "('scheduled', 'live', 'final', 'postponed')",
                'unknown_game_status'],
            ["game_type != 'all_star' and " ~ is_unknown_team('home_team_abbr'),
                'unknown_team_abbr'],
            ["game_type != 'all_star' and " ~ is_unknown_team('away_team_abbr'),
                'unknown_team_abbr'],
            ['home_team_abbr = away_team_abbr', 'same_home_and_away_team'],
            ['home_score < 0 or away_score < 0', 'negative_score'],
        ]) }} as validation_reason
    from renamed
),

ranked as (
    select
        *,
        {{ duplicate_rank(['game_id']) }} as duplicate_rank
    from validated
),

keyed as (
    select
        game_id,
        game_date,
        tipoff_at,
        season_year,
        game_type,
        home_team_abbr,
        away_team_abbr,
        game_status,
        home_score,
        away_score,
        playoff_round,
        loaded_at,
        {{ readable_key(['game_id']) }} as record_key,
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
