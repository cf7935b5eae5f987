{{ config(**date_window_incremental_config('game_date', ['player_lookup'])) }}
{#-
    The vegas points line of each player-game, as known at tipoff.

    Tipoff is the schedule's tipoff (macro odds_record_counts).
    Odds API: only snapshots taken at or before the earlier of tipoff and
    the feed's own commence time, with a line > 0; the book is chosen by
    priority (draftkings, fanduel, then alphabetical); current = that book's
    latest snapshot, opening = its earliest.
    BettingPros (fallback): the latest record created at or before tipoff,
    with its own opening line. One row per player with any record for the
    date.
-#}
with odds as (
    select * from {{ ref('stg_nba_raw__odds_api_player_points_props') }}
    where {{ in_date_window('game_date') }}
),

bettingpros as (
    select * from {{ ref('stg_nba_raw__bettingpros_player_points_props') }}
    where {{ in_date_window('game_date') }}
),

schedule as (
    select * from {{ ref('stg_nba_raw__schedule') }}
),

team_games as (
    select
        game_id,
        game_date,
        tipoff_at,
        home_team_abbr as team_abbr
    from schedule
    union all
    select
        game_id,
        game_date,
        tipoff_at,
        away_team_abbr as team_abbr
    from schedule
),

-- every snapshot once, flagged usable (before the cut-off, line > 0)
odds_flagged as (
    select
        odds.player_lookup,
        odds.game_date,
        odds.game_id,
        odds.bookmaker,
        odds.snapshot_at,
        odds.points_line,
        coalesce(odds.points_line > 0, false)
        and {{ odds_record_counts(
            'odds.snapshot_at', 'schedule.tipoff_at', 'odds.commence_at') }}
            as is_usable,
        case odds.bookmaker
            when 'draftkings' then 1
            when 'fanduel' then 2
            else 3
        end as book_priority
    from odds
    left join schedule
        on odds.game_id = schedule.game_id
    where odds.player_lookup is not null
),

-- the chosen book (draftkings, fanduel, then alphabetical) and its newest
-- and earliest usable snapshots, with aggregates and joins: ranking every
-- snapshot with window functions (sorts of the whole odds table) dominated
-- the model's full builds
best_book as (
    select
        player_lookup,
        game_date,
        coalesce(
            max(case when bookmaker = 'draftkings' then bookmaker end),
            max(case when bookmaker = 'fanduel' then bookmaker end),
            min(bookmaker)
        ) as bookmaker
    from odds_flagged
    where is_usable
    group by player_lookup, game_date
),

best_book_snapshots as (
    select odds_flagged.*
    from odds_flagged
    inner join best_book
        on
            odds_flagged.player_lookup = best_book.player_lookup
            and odds_flagged.game_date = best_book.game_date
            and odds_flagged.bookmaker = best_book.bookmaker
    where odds_flagged.is_usable
),

snapshot_span as (
    select
        player_lookup,
        game_date,
        max(snapshot_at) as newest_at,
        min(snapshot_at) as oldest_at
    from best_book_snapshots
    group by player_lookup, game_date
),

-- the newest snapshot; the highest line among snapshots taken at once
newest_snapshots as (
    select best_book_snapshots.*
    from best_book_snapshots
    inner join snapshot_span
        on
            best_book_snapshots.player_lookup = snapshot_span.player_lookup
            and best_book_snapshots.game_date = snapshot_span.game_date
            and best_book_snapshots.snapshot_at = snapshot_span.newest_at
),

newest_line as (
    select
        player_lookup,
        game_date,
        max(points_line) as points_line
    from newest_snapshots
    group by player_lookup, game_date
),

odds_current as (
    select
        newest_snapshots.player_lookup,
        newest_snapshots.game_date,
        max(newest_snapshots.game_id) as game_id,
        newest_snapshots.bookmaker,
        newest_snapshots.snapshot_at,
        newest_snapshots.points_line
    from newest_snapshots
    inner join newest_line
        on
            newest_snapshots.player_lookup = newest_line.player_lookup
            and newest_snapshots.game_date = newest_line.game_date
            and newest_snapshots.points_line = newest_line.points_line
    group by
        newest_snapshots.player_lookup,
        newest_snapshots.game_date,
        newest_snapshots.bookmaker,
        newest_snapshots.snapshot_at,
        newest_snapshots.points_line
),

-- the earliest snapshot's line (the highest among snapshots taken at once)
odds_opening as (
    select
        best_book_snapshots.player_lookup,
        best_book_snapshots.game_date,
        max(best_book_snapshots.points_line) as points_line
    from best_book_snapshots
    inner join snapshot_span
        on
            best_book_snapshots.player_lookup = snapshot_span.player_lookup
            and best_book_snapshots.game_date = snapshot_span.game_date
            and best_book_snapshots.snapshot_at = snapshot_span.oldest_at
    group by best_book_snapshots.player_lookup, best_book_snapshots.game_date
),

bettingpros_pre_tipoff as (
    select
        bettingpros.player_lookup,
        bettingpros.game_date,
        team_games.game_id,
        bettingpros.book,
        bettingpros.created_at,
        bettingpros.points_line,
        bettingpros.opening_points_line,
        row_number() over (
            partition by bettingpros.player_lookup, bettingpros.game_date
            order by
                bettingpros.created_at desc,
                case bettingpros.book
                    when 'draftkings' then 1
                    when 'fanduel' then 2
                    else 3
                end asc,
                bettingpros.book asc
        ) as newest_rank
    from bettingpros
    inner join team_games
        on
            bettingpros.game_date = team_games.game_date
            and bettingpros.team_abbr = team_games.team_abbr
    where
        {{ odds_record_counts(
            'bettingpros.created_at', 'team_games.tipoff_at') }}
        and bettingpros.points_line > 0
        and bettingpros.player_lookup is not null
        and coalesce(bettingpros.market, 'points') = 'points'
),

bettingpros_current as (
    select * from bettingpros_pre_tipoff
    where newest_rank = 1
),

players as (
    select
        player_lookup,
        game_date,
        max(game_id) as game_id
    from odds_flagged
    group by player_lookup, game_date
    union all
    select
        bettingpros.player_lookup,
        bettingpros.game_date,
        max(team_games.game_id) as game_id
    from bettingpros
    left join team_games
        on
            bettingpros.game_date = team_games.game_date
            and bettingpros.team_abbr = team_games.team_abbr
    where bettingpros.player_lookup is not null
    group by bettingpros.player_lookup, bettingpros.game_date
),

player_games as (
    select
        player_lookup,
        game_date,
        max(game_id) as game_id
    from players
    group by player_lookup, game_date
),

final as (
    select
        player_games.game_date,
        player_games.player_lookup,
        coalesce(
            odds_current.game_id,
            bettingpros_current.game_id,
            player_games.game_id
        ) as game_id,
        coalesce(odds_current.points_line, bettingpros_current.points_line)
            as current_line,
        coalesce(
            odds_opening.points_line,
            case
                when bettingpros_current.opening_points_line > 0
                    then bettingpros_current.opening_points_line
            end,
            odds_current.points_line,
            bettingpros_current.points_line
        ) as opening_line,
        case
            when odds_current.points_line is not null then 'odds_api'
            when bettingpros_current.points_line is not null
                then 'bettingpros'
        end as line_source,
        coalesce(odds_current.bookmaker, bettingpros_current.book)
            as sportsbook,
        coalesce(odds_current.snapshot_at, bettingpros_current.created_at)
            as current_snapshot_at,
        odds_current.points_line is not null as has_odds_api_line,
        bettingpros_current.points_line is not null as has_bettingpros_line
    from player_games
    left join odds_current
        on
            player_games.player_lookup = odds_current.player_lookup
            and player_games.game_date = odds_current.game_date
    left join odds_opening
        on
            player_games.player_lookup = odds_opening.player_lookup
            and player_games.game_date = odds_opening.game_date
    left join bettingpros_current
        on
            player_games.player_lookup = bettingpros_current.player_lookup
            and player_games.game_date = bettingpros_current.game_date
)

select
    game_date,
    player_lookup,
    game_id,
    current_line,
    opening_line,
    current_line - opening_line as line_move,
    line_source,
    sportsbook,
    current_snapshot_at,
    has_odds_api_line,
    has_bettingpros_line
from final
