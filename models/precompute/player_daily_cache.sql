{{ config(**date_window_incremental_config('cache_date', ['player_lookup'])) }}
{#-
    Rolling player statistics as of the START of cache_date (only games with
    game_date < cache_date) for every active player of the season on every
    game date, whether or not the player plays that day.

    Per-game state rows (int_player_played_game_state) are as-of joined to
    each date; load over the last 7 / 14 days comes from expanding each
    played game to the 14 dates it can count for. Feature columns are NULL
    with fewer than var('min_history_games') played games this season.
-#}
with spine as (
    select * from {{ ref('int_player_season_date_spine') }}
    where {{ in_date_window('spine_date') }}
),

played_states as (
    select * from {{ ref('int_player_played_game_state') }}
),

games as (
    select * from {{ ref('player_game_summary') }}
),

team_daily as (
    select * from {{ ref('int_team_daily_state') }}
),

rosters as (
    select * from {{ ref('stg_nba_raw__rosters') }}
),

appearances as (
    select
        player_lookup,
        season_year,
        game_date,
        team_abbr as appearance_team_abbr,
        count(*) over last_10 as appearances_last_10,
        sum(case when player_status = 'dnp' then 1 else 0 end)
            over last_10 as dnp_last_10
    from games
    window last_10 as (
        partition by player_lookup, season_year
        order by game_date, game_id
        rows between 9 preceding and current row
    )
),

roster_entries as (
    select
        player_lookup,
        {{ fs_season_year('roster_date') }} as season_year,
        roster_date,
        max(team_abbr) as roster_team_abbr
    from rosters
    where player_lookup is not null
    group by player_lookup, roster_date
),

season_first_roster as (
    select
        player_lookup,
        season_year,
        min(roster_date) as roster_date
    from roster_entries
    group by player_lookup, season_year
),

-- newest played game, box-score appearance and roster snapshot before each
-- spine date, in one as-of pass
as_of as (
    {{ fs_asof_multi(
        spine='spine', spine_date='spine_date',
        keys=['player_lookup', 'season_year'],
        sources=[
            {'events': 'played_states', 'event_date': 'game_date',
             'asof_column': 'last_played_date'},
            {'events': 'appearances', 'event_date': 'game_date',
             'asof_column': 'last_appearance_date',
             'carry': ['appearance_team_abbr']},
            {'events': 'roster_entries', 'event_date': 'roster_date',
             'asof_column': 'last_roster_date',
             'carry': ['roster_team_abbr']},
        ]) }}
),

load_offsets as (
    {{ fs_integers(1, 14, 'days_back') }}
),

load_days as (
    select
        played_states.player_lookup,
        {{ fs_add_days('played_states.game_date', 'load_offsets.days_back') }}
            as load_date,
        load_offsets.days_back,
        played_states.minutes,
        played_states.usage_rate,
        played_states.is_back_to_back
    from played_states
    cross join load_offsets
),

recent_load as (
    select
        player_lookup,
        load_date,
        sum(case when days_back <= 7 then 1 else 0 end) as games_last_7_days,
        {#- exact sum (macro fs_exact_sum): minutes from MM:SS are not
            exact floats, so a float sum() would differ between reruns -#}
        {{ fs_exact_sum('case when days_back <= 7 then minutes else 0 end', 9) }}
            as minutes_last_7_days,
        {#- exact mean (macro fs_exact_mean): a float avg() differs in the
            last bit with the summation order, so reruns would differ -#}
        {{ fs_exact_mean('case when days_back <= 7 then usage_rate end', 9) }}
            as usage_rate_last_7_days,
        sum(case when is_back_to_back then 1 else 0 end)
            as back_to_backs_last_14_days
    from load_days
    group by player_lookup, load_date
),

joined as (
    select
        spine.spine_date as cache_date,
        spine.player_lookup,
        spine.season_year,
        coalesce(
            as_of.appearance_team_abbr,
            as_of.roster_team_abbr,
            first_roster.roster_team_abbr
        ) as team_abbr,
        as_of.last_played_date,
        coalesce(state.games_played_season, 0) as games_played_season,
        state.points_avg_last_5,
        state.points_avg_last_10,
        state.points_avg_season,
        state.points_std_last_10,
        state.minutes_avg_last_10,
        state.ppm_avg_last_10,
        state.minutes_avg_season,
        state.usage_rate_last_10,
        state.usage_rate_season,
        state.points_avg_last_3,
        state.points_avg_games_4_5,
        state.points_max_last_5,
        state.points_sum_last_10,
        state.ft_made_sum_last_10,
        state.points_slope_last_10,
        state.games_in_window_10,
        state.breakout_games_last_10,
        coalesce(appearance.appearances_last_10, 0) as appearances_last_10,
        coalesce(appearance.dnp_last_10, 0) as dnp_last_10,
        coalesce(recent_load.games_last_7_days, 0) as load_games_last_7_days,
        coalesce(recent_load.minutes_last_7_days, 0)
            as load_minutes_last_7_days,
        recent_load.usage_rate_last_7_days,
        coalesce(recent_load.back_to_backs_last_14_days, 0)
            as load_back_to_backs_last_14_days
    from spine
    inner join as_of
        on
            spine.player_lookup = as_of.player_lookup
            and spine.season_year = as_of.season_year
            and spine.spine_date = as_of.spine_date
    left join played_states as state
        on
            spine.player_lookup = state.player_lookup
            and as_of.last_played_date = state.game_date
    left join appearances as appearance
        on
            spine.player_lookup = appearance.player_lookup
            and as_of.last_appearance_date = appearance.game_date
    left join season_first_roster
        on
            spine.player_lookup = season_first_roster.player_lookup
            and spine.season_year = season_first_roster.season_year
    left join roster_entries as first_roster
        on
            season_first_roster.player_lookup = first_roster.player_lookup
            and season_first_roster.roster_date = first_roster.roster_date
    left join recent_load
        on
            spine.player_lookup = recent_load.player_lookup
            and spine.spine_date = recent_load.load_date
),

final as (
    select
        joined.cache_date,
        joined.player_lookup,
        joined.season_year,
        joined.team_abbr,
        joined.last_played_date,
        joined.games_played_season,
        {%- set gated = [
            'points_avg_last_5', 'points_avg_last_10', 'points_avg_season',
            'points_std_last_10', 'minutes_avg_last_10', 'ppm_avg_last_10',
            'minutes_avg_season', 'usage_rate_last_10', 'usage_rate_season',
            'points_avg_last_3', 'points_avg_games_4_5', 'points_max_last_5',
            'points_sum_last_10', 'ft_made_sum_last_10',
            'points_slope_last_10', 'breakout_games_last_10'] %}
        {%- for col in gated %}
        case
            when joined.games_played_season >= {{ var('min_history_games') }}
                then joined.{{ col }}
        end as {{ col }},
        {%- endfor %}
        case
            when joined.games_played_season >= {{ var('min_history_games') }}
                then joined.load_games_last_7_days
        end as games_in_last_7_days,
        joined.games_in_window_10,
        joined.appearances_last_10,
        joined.dnp_last_10,
        joined.load_games_last_7_days,
        joined.load_minutes_last_7_days,
        joined.usage_rate_last_7_days,
        joined.load_back_to_backs_last_14_days,
        case
            when team_daily.team_games_season > 0
                then team_daily.pace_avg_last_10
        end as team_pace_last_10,
        case
            when team_daily.team_games_season > 0
                then team_daily.off_rating_avg_last_10
        end as team_off_rating_last_10
    from joined
    left join team_daily
        on
            joined.team_abbr = team_daily.team_abbr
            and joined.cache_date = team_daily.state_date
)

select * from final
