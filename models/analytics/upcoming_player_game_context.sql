{#-
    Who is expected to play on a date, one row per (game_date,
    player_lookup), with the game context features read.
    - Games with box scores (past): every player of the box score who was
      active or DNP (not inactive), with the team of that game.
    - Scheduled games without box scores: every player on the latest roster
      (on or before the game date) of each team, unless the latest
      pre-tipoff injury report says Out. Scheduled games within the date
      window get rows (on a daily run: yesterday through tomorrow of the run
      date, macro run_date). The run date, never the latest final game in
      the data, sets that horizon, so opening night, the day after the
      All-Star break or an outage, and tomorrow always get rows, and a game
      of the window whose box score is late (final or not) keeps its roster
      rows until the box score arrives.
    Injury status = the latest report published strictly before tipoff.
-#}
with schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
),

player_games as (
    select * from {{ ref('player_game_summary') }}
),

rosters as (
    select * from {{ ref('stg_nba_raw__rosters') }}
),

injury_reports as (
    select * from {{ ref('stg_nba_raw__injury_report') }}
),

games as (
    select
        game_id,
        game_date,
        tipoff_at,
        season_year,
        game_type,
        game_status,
        home_team_abbr,
        away_team_abbr
    from schedule
    where
        {{ is_feature_game('game_type') }}
        and game_status != 'postponed'
),

team_games as (
    select
        game_id,
        game_date,
        tipoff_at,
        season_year,
        home_team_abbr as team_abbr,
        away_team_abbr as opponent_team_abbr,
        true as is_home
    from games
    union all
    select
        game_id,
        game_date,
        tipoff_at,
        season_year,
        away_team_abbr as team_abbr,
        home_team_abbr as opponent_team_abbr,
        false as is_home
    from games
),

team_rest as (
    select
        game_id,
        team_abbr,
        {{ dbt.datediff(
            'lag(game_date) over (partition by team_abbr, season_year '
            ~ 'order by game_date, tipoff_at)',
            'game_date', 'day'
        ) }} as days_rest
    from team_games
),

games_with_box_scores as (
    select distinct game_id from player_games
),

upcoming_horizon as (
    {#- The date window, around the run date (today) on daily runs: read
        from the one clock, never from the latest final game in the data. -#}
    select
        {{ date_literal(date_window_bounds()[0]) }} as first_upcoming_date,
        {{ date_literal(date_window_bounds()[1]) }} as last_upcoming_date
),

upcoming_team_games as (
    select team_games.*
    from team_games
    inner join games
        on team_games.game_id = games.game_id
    cross join upcoming_horizon
    left join games_with_box_scores
        on team_games.game_id = games_with_box_scores.game_id
    {#- Final but without box scores: they are late; the players keep
        the roster rows the day's predictions were made from. #}
    where
        games_with_box_scores.game_id is null
        and team_games.game_date
        between upcoming_horizon.first_upcoming_date
        and upcoming_horizon.last_upcoming_date
),

roster_dates as (
    select distinct
        team_abbr,
        roster_date
    from rosters
),

latest_rosters as (
    select
        upcoming_team_games.game_id,
        upcoming_team_games.team_abbr,
        max(roster_dates.roster_date) as roster_date
    from upcoming_team_games
    inner join roster_dates
        on
            upcoming_team_games.team_abbr = roster_dates.team_abbr
            and upcoming_team_games.game_date >= roster_dates.roster_date
    group by upcoming_team_games.game_id, upcoming_team_games.team_abbr
),

upcoming_players as (
    select
        upcoming_team_games.game_date,
        rosters.player_lookup,
        upcoming_team_games.game_id,
        upcoming_team_games.team_abbr,
        rosters.player_name,
        false as is_past_game,
        cast(null as {{ dbt.type_string() }}) as player_status,
        latest_rosters.roster_date
    from upcoming_team_games
    inner join latest_rosters
        on
            upcoming_team_games.game_id = latest_rosters.game_id
            and upcoming_team_games.team_abbr = latest_rosters.team_abbr
    inner join rosters
        on
            latest_rosters.team_abbr = rosters.team_abbr
            and latest_rosters.roster_date = rosters.roster_date
),

past_players as (
    select
        game_date,
        player_lookup,
        game_id,
        team_abbr,
        player_name,
        true as is_past_game,
        player_status,
        game_date as roster_date
    from player_games
    where player_status in ('active', 'dnp')
),

candidates as (
    select
        *,
        row_number() over (
            partition by game_date, player_lookup
            order by is_past_game desc, roster_date desc, game_id asc
        ) as candidate_rank
    from (
        select * from past_players
        union all
        select * from upcoming_players
    ) as all_players
),

pre_tipoff_injuries as (
    select
        candidates.game_date,
        candidates.player_lookup,
        injury_reports.injury_status,
        injury_reports.injury_reason,
        row_number() over (
            partition by candidates.game_date, candidates.player_lookup
            order by
                injury_reports.report_at desc,
                injury_reports.loaded_at desc
        ) as report_rank
    from candidates
    inner join games
        on candidates.game_id = games.game_id
    inner join injury_reports
        on
            candidates.game_date = injury_reports.game_date
            and candidates.player_lookup = injury_reports.player_lookup
            and {{ injury_report_counts('injury_reports.report_at', 'games.tipoff_at') }}
    where candidates.candidate_rank = 1
),

birth_dates as (
    select
        player_lookup,
        max(birth_date) as birth_date
    from rosters
    group by player_lookup
),

joined as (
    select
        candidates.game_date,
        candidates.player_lookup,
        candidates.game_id,
        games.season_year,
        games.game_type,
        games.game_type = 'playoffs' as is_playoffs,
        games.tipoff_at,
        candidates.player_name,
        candidates.team_abbr,
        team_games.opponent_team_abbr,
        team_games.is_home,
        team_rest.days_rest,
        opponent_rest.days_rest as opponent_days_rest,
        coalesce(team_rest.days_rest = 1, false) as is_back_to_back,
        injuries.injury_status,
        injuries.injury_reason,
        birth_dates.birth_date,
        {{ age_in_years('birth_dates.birth_date', 'candidates.game_date') }}
            as age_years,
        candidates.is_past_game,
        candidates.player_status
    from candidates
    inner join games
        on candidates.game_id = games.game_id
    inner join team_games
        on
            candidates.game_id = team_games.game_id
            and candidates.team_abbr = team_games.team_abbr
    left join team_rest
        on
            candidates.game_id = team_rest.game_id
            and candidates.team_abbr = team_rest.team_abbr
    left join team_rest as opponent_rest
        on
            candidates.game_id = opponent_rest.game_id
            and team_games.opponent_team_abbr = opponent_rest.team_abbr
    left join pre_tipoff_injuries as injuries
        on
            candidates.game_date = injuries.game_date
            and candidates.player_lookup = injuries.player_lookup
            and injuries.report_rank = 1
    left join birth_dates
        on candidates.player_lookup = birth_dates.player_lookup
    where candidates.candidate_rank = 1
),

final as (
    select * from joined
    where is_past_game or coalesce(injury_status, '') != 'out'
)

select * from final
