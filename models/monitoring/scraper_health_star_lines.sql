{{ config(**date_window_incremental_config(
    'game_date', require_partition_filter=false)) }}

{#-
    Scraper health (docs/monitoring.md): star players expected
    to play who have no pre-tipoff line from any source (books price nearly
    every star, so this points to a scraper fault). One row per
    (player_lookup, game_date). Per star, the sources without a line; per
    game, how many players each source priced, to tell a source outage
    (whole game or date) from a single missing star.
    A game still ahead of the build time is judged only once lines are
    normally up: within lines_up_hours_before_tipoff hours of its tipoff.
-#}

with expected as (
    select * from {{ ref('upcoming_player_game_context') }}
    where {{ in_date_window('game_date') }}
),

daily_cache as (
    select * from {{ ref('player_daily_cache') }}
    where {{ in_date_window('cache_date') }}
),

prop_lines as (
    select * from {{ ref('player_prop_lines') }}
    where {{ in_date_window('game_date') }}
),

stars as (
    select
        expected.game_date,
        expected.player_lookup,
        expected.team_abbr,
        expected.opponent_team_abbr,
        expected.game_id,
        expected.tipoff_at,
        expected.season_year,
        daily_cache.points_avg_season as season_ppg,
        daily_cache.games_played_season,
        case
            when daily_cache.points_avg_season >= {{ var('star_tier1_min_ppg') }}
                then 1
            else 2
        end as star_tier
    from expected
    inner join daily_cache
        on expected.player_lookup = daily_cache.player_lookup
            and expected.game_date = daily_cache.cache_date
    where daily_cache.points_avg_season >= {{ var('star_tier2_min_ppg') }}
        and daily_cache.games_played_season >= {{ var('star_min_games') }}
        and coalesce(expected.injury_status, 'available') != 'out'
        and {{ timestamp_minus_hours(
            'expected.tipoff_at', var('lines_up_hours_before_tipoff')
        ) }} <= {{ utc_now() }}
),

player_lines as (
    select
        game_date,
        player_lookup,
        max(case when has_odds_api_line then 1 else 0 end) = 1
            as has_odds_api_line,
        max(case when has_bettingpros_line then 1 else 0 end) = 1
            as has_bettingpros_line,
        max(case when current_line is not null then 1 else 0 end) = 1
            as has_any_line
    from prop_lines
    group by game_date, player_lookup
),

game_lines as (
    select
        game_id,
        {{ count_where('current_line is not null') }} as players_with_line,
        {{ count_where('has_odds_api_line') }} as odds_api_players,
        {{ count_where('has_bettingpros_line') }} as bettingpros_players
    from prop_lines
    group by game_id
),

judged as (
    select
        stars.*,
        not coalesce(player_lines.has_odds_api_line, false)
            as missing_odds_api,
        not coalesce(player_lines.has_bettingpros_line, false)
            as missing_bettingpros,
        coalesce(player_lines.has_any_line, false) as has_any_line,
        coalesce(game_lines.players_with_line, 0) = 0
            as is_game_level_outage,
        coalesce(game_lines.odds_api_players, 0) as game_odds_api_players,
        coalesce(game_lines.bettingpros_players, 0)
            as game_bettingpros_players
    from stars
    left join player_lines
        on stars.player_lookup = player_lines.player_lookup
            and stars.game_date = player_lines.game_date
    left join game_lines
        on stars.game_id = game_lines.game_id
),

final as (
    select
        game_date,
        player_lookup,
        team_abbr,
        opponent_team_abbr,
        game_id,
        tipoff_at,
        season_year,
        star_tier,
        season_ppg,
        games_played_season,
        missing_odds_api,
        missing_bettingpros,
        is_game_level_outage,
        game_odds_api_players,
        game_bettingpros_players,
        rtrim(
            case when missing_odds_api then 'odds_api,' else '' end
            || case when missing_bettingpros then 'bettingpros,' else '' end,
            ','
        ) as missing_sources
    from judged
    where not has_any_line
)

select * from final
