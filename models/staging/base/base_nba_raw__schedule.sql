{%- set raw_names = [
    'game_id', 'season_year', 'game_date', 'game_date_est', 'game_status',
    'home_team_tricode', 'away_team_tricode', 'home_team_score',
    'away_team_score', 'is_regular_season', 'is_playoffs', 'playoff_round',
    'processed_at',
] -%}
{%- set staged = [
    'game_id', 'nba_game_id', 'game_date', 'tipoff_at', 'season_year',
    'game_type', 'home_team_abbr', 'away_team_abbr', 'game_status',
    'home_score', 'away_score', 'playoff_round',
] -%}

with source_rows as (
    select * from {{ source('nba_raw', 'nbac_schedule') }}
    where game_date >= {{ raw_partition_floor() }}
),

typed as (
    select
        {{ raw_columns('nbac_schedule', raw_names) }},
        {{ unparseable_reason('nbac_schedule', raw_names) }}
            as unparseable_reason,
        -- the raw row itself, rendered as JSON only if it is rejected
        src as raw_row
    from source_rows as src
),

renamed as (
    select
        {{ project_game_id(
            'game_date', 'upper(away_team_tricode)', 'upper(home_team_tricode)'
        ) }} as game_id,
        game_id as nba_game_id,
        game_date,
        -- despite its name, game_date_est holds the UTC tipoff instant
        game_date_est as tipoff_at,
        season_year,
        case
            when is_playoffs then 'playoffs'
            when is_regular_season then 'regular'
        end as game_type,
        upper(home_team_tricode) as home_team_abbr,
        upper(away_team_tricode) as away_team_abbr,
        game_status as game_status_code,
        -- there is no postponed code: a postponed game stays final (3)
        -- without scores on its original date
        case
            when game_status = 1 then 'scheduled'
            when game_status = 2 then 'live'
            when game_status = 3
                and home_team_score is null and away_team_score is null
                then 'postponed'
            when game_status = 3
                and home_team_score is not null
                and away_team_score is not null
                then 'final'
        end as game_status,
        home_team_score as home_score,
        away_team_score as away_score,
        lower(playoff_round) as playoff_round_label,
        case lower(playoff_round)
            when 'play_in' then 0
            when 'first_round' then 1
            when 'conf_semifinals' then 2
            when 'conf_finals' then 3
            when 'nba_finals' then 4
        end as playoff_round,
        -- a season starts in October: a date from October on belongs to that
        -- year's season, an earlier one to the previous year's
        case
            when extract(month from game_date) >= 10
                then extract(year from game_date)
            else extract(year from game_date) - 1
        end as season_of_date,
        processed_at as loaded_at,
        unparseable_reason,
        raw_row
    from typed
),

validated as (
    select
        *,
        coalesce(unparseable_reason, {{ first_reject_reason([
            ['nba_game_id is null', 'null_game_id'],
            ['game_date is null', 'null_game_date'],
            ['tipoff_at is null', 'null_tipoff_at'],
            ['game_type is null', 'unknown_game_type'],
            ['game_status_code = 3 and game_status is null',
                'incomplete_final_score'],
            ['game_status is null', 'unknown_game_status'],
            ['playoff_round_label is not null and playoff_round is null',
                'unknown_playoff_round'],
            [is_unknown_team('home_team_abbr'), 'unknown_team_abbr'],
            [is_unknown_team('away_team_abbr'), 'unknown_team_abbr'],
            ['home_team_abbr = away_team_abbr', 'same_home_and_away_team'],
            ['season_year is null or season_year != season_of_date',
                'season_mismatch'],
            ['home_score < 0 or away_score < 0', 'negative_score'],
            ['game_status_code = 3 and game_date > '
                ~ date_literal(run_date()), 'final_after_run_date'],
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
    {#- The project game_id carries the date and both teams, so it is the
        schedule's (game_id, game_date) key and the one every other table
        joins on. Of conflicting rows the highest status wins (a final
        beats a scheduled row of the same game). -#}
    select
        *,
        {{ duplicate_rank(['game_id'], ['game_status_code desc nulls last']) }}
            as duplicate_rank,
        {{ kept_fingerprint(['game_id'], ['game_status_code desc nulls last']) }}
            as kept_fingerprint
    from fingerprinted
),

keyed as (
    select
        {% for column in staged -%}
        {{ column }},
        {% endfor -%}
        loaded_at,
        {{ readable_key(['nba_game_id', 'game_date']) }} as record_key,
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
