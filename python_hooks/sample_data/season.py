"""One season end to end: schedule, rosters, simulated games, playoffs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from .players import League, SeasonState, build_season_state
from .schedule import (
    EAST, GAME_TYPE_CODE, TEAMS, assign_dates, preseason_pairs, regular_season_days,
    regular_season_pairs, season_calendar, tipoff_utc,
)
from .simulate import participation, simulate_games, team_ratings

ALL_STAR_TEAMS = ("EST", "WST")


@dataclass
class Season:
    season_year: int
    state: SeasonState
    as_of: dt.date
    games: list[dict] = field(default_factory=list)
    # Player-game rows with stats for final games (one dict of arrays per batch).
    box_batches: list[dict[str, np.ndarray]] = field(default_factory=list)
    # Player-game rows without stats for games on the as-of date (scheduled).
    pending_rows: dict[str, np.ndarray] | None = None
    postponed: list[dict] = field(default_factory=list)


def _game(game_id: str, day: dt.date, tipoff: dt.datetime, season_year: int, game_type: str,
          home: str, away: str, playoff_round: int | None = None) -> dict:
    return {
        "game_id": game_id, "game_date": day, "tipoff_at": tipoff, "season_year": season_year,
        "game_type": game_type, "home_team_abbr": home, "away_team_abbr": away,
        "game_status": "scheduled", "home_score": None, "away_score": None,
        "playoff_round": playoff_round, "ot": 0,
    }


def _play(rng: np.random.Generator, season: Season, league: League, ratings, games: list[dict],
          is_playoffs: bool) -> None:
    """Simulate ``games`` (all final) and store their rows and scores."""
    if not games:
        return
    idx = {t: i for i, t in enumerate(TEAMS)}
    day_idx = np.array([season.state.day_index(g["game_date"]) for g in games])
    home = np.array([idx[g["home_team_abbr"]] for g in games])
    away = np.array([idx[g["away_team_abbr"]] for g in games])
    po = np.full(len(games), is_playoffs)
    rows, hp, ap, ot = simulate_games(rng, league, season.state, ratings, day_idx, home, away, po)
    base = len(season.games)
    for k, g in enumerate(games):
        g.update(game_status="final", home_score=int(hp[k]), away_score=int(ap[k]), ot=int(ot[k]))
        g["_index"] = base + k
    season.games.extend(games)
    rows["gidx"] = rows["game"] + base
    season.box_batches.append(rows)


def build_season(
    rng: np.random.Generator, league: League, season_year: int, as_of: dt.date,
    n_trades: int = 10,
) -> Season:
    cal = season_calendar(season_year)
    yy = season_year % 100
    pre = preseason_pairs(rng, cal)
    reg = sorted(assign_dates(rng, regular_season_pairs(rng), regular_season_days(cal)))
    last_regular = max(day for day, _, _ in reg)
    playoffs_start = last_regular + dt.timedelta(days=6)
    first_day = cal.preseason_start
    n_days = (playoffs_start + dt.timedelta(days=70) - first_day).days
    deadline = dt.date(season_year + 1, 2, 8)
    window = ((cal.regular_start - first_day).days + 20, (deadline - first_day).days)
    state = build_season_state(rng, league, season_year, first_day, n_days, window, n_trades=n_trades)
    season = Season(season_year, state, as_of)
    ratings = team_ratings(rng, len(TEAMS))

    scheduled: list[dict] = []
    for n, (day, h, a) in enumerate(pre, start=1):
        gid = f"{GAME_TYPE_CODE['preseason']}{yy:02d}{n:05d}"
        scheduled.append(_game(gid, day, tipoff_utc(rng, day, TEAMS[h]), season_year, "preseason", TEAMS[h], TEAMS[a]))
    for n, (day, h, a) in enumerate(reg, start=1):
        gid = f"{GAME_TYPE_CODE['regular']}{yy:02d}{n:05d}"
        scheduled.append(_game(gid, day, tipoff_utc(rng, day, TEAMS[h]), season_year, "regular", TEAMS[h], TEAMS[a]))
    asg = _game(f"{GAME_TYPE_CODE['all_star']}{yy:02d}00001", cal.all_star_date,
                tipoff_utc(rng, cal.all_star_date, "EST"), season_year, "all_star", *ALL_STAR_TEAMS)
    scheduled.append(asg)

    # One postponed regular-season game; made up later under a NEW game_id.
    regular = [g for g in scheduled if g["game_type"] == "regular"]
    lo, hi = dt.date(season_year, 11, 20), min(dt.date(season_year + 1, 1, 31), as_of - dt.timedelta(days=2))
    candidates = [g for g in regular if lo <= g["game_date"] <= hi]
    if candidates:
        ppd = candidates[int(rng.integers(len(candidates)))]
        busy = {(g["game_date"], t) for g in regular for t in (g["home_team_abbr"], g["away_team_abbr"])}
        day = cal.all_star_date + dt.timedelta(days=5)
        while any((day + dt.timedelta(days=k), t) in busy for k in (-1, 0) for t in (ppd["home_team_abbr"], ppd["away_team_abbr"])):
            day += dt.timedelta(days=1)
        makeup = _game(f"{GAME_TYPE_CODE['regular']}{yy:02d}{len(regular) + 1:05d}", day,
                       tipoff_utc(rng, day, ppd["home_team_abbr"]), season_year, "regular",
                       ppd["home_team_abbr"], ppd["away_team_abbr"])
        ppd["game_status"] = "postponed"
        ppd["makeup_game_id"] = makeup["game_id"]
        scheduled.append(makeup)
        season.postponed.append(ppd)

    scheduled.sort(key=lambda g: (g["game_date"], g["tipoff_at"], g["game_id"]))
    final = [g for g in scheduled if g["game_date"] < as_of and g["game_status"] != "postponed"
             and g["game_type"] in ("preseason", "regular")]
    _play(rng, season, league, ratings, final, is_playoffs=False)
    for g in scheduled:
        if g["game_type"] == "all_star" and g["game_date"] < as_of:
            g.update(game_status="final", home_score=int(rng.integers(160, 190)), away_score=int(rng.integers(150, 185)))
            if g["home_score"] == g["away_score"]:
                g["home_score"] += 1
    rest = [g for g in scheduled if "_index" not in g]
    for g in rest:
        g["_index"] = len(season.games)
        season.games.append(g)

    regular_done = all(g["game_status"] in ("final", "postponed") for g in season.games
                       if g["game_type"] == "regular")
    if regular_done:
        _playoffs(rng, season, league, ratings, playoffs_start)

    pending = [g for g in season.games if g["game_date"] == as_of and g["game_status"] == "scheduled"
               and g["game_type"] in ("regular", "playoffs")]
    if pending:
        idx = {t: i for i, t in enumerate(TEAMS)}
        day_idx = np.array([state.day_index(g["game_date"]) for g in pending])
        rows = participation(
            rng, state, day_idx, np.array([idx[g["home_team_abbr"]] for g in pending]),
            np.array([idx[g["away_team_abbr"]] for g in pending]),
            np.array([g["game_type"] == "playoffs" for g in pending]),
        )
        rows["gidx"] = np.array([g["_index"] for g in pending])[rows["game"]]
        season.pending_rows = rows
    # The league remembers where everyone ended the season.
    last = max(0, min(state.n_days - 1, state.day_index(min(as_of, playoffs_start))))
    for i, pid in enumerate(state.pids):
        p = league.players[int(pid)]
        p.team = int(state.team_of[i, last])
        p.two_way = bool(state.two_way[i, last])
    return season


def _standings(season: Season) -> dict[str, tuple[int, int]]:
    wins = {t: 0 for t in TEAMS}
    diff = {t: 0 for t in TEAMS}
    for g in season.games:
        if g["game_type"] != "regular" or g["game_status"] != "final":
            continue
        h, a, hs, as_ = g["home_team_abbr"], g["away_team_abbr"], g["home_score"], g["away_score"]
        wins[h if hs > as_ else a] += 1
        diff[h] += hs - as_
        diff[a] += as_ - hs
    return {t: (wins[t], diff[t]) for t in TEAMS}


def _playoffs(rng: np.random.Generator, season: Season, league: League, ratings, start: dt.date) -> None:
    table = _standings(season)
    yy = season.season_year % 100
    order = {}
    bracket: list[list[tuple[str, str]]] = []
    for conf in (True, False):
        teams = sorted((t for t in TEAMS if (t in EAST) == conf), key=lambda t: (-table[t][0], -table[t][1], t))[:8]
        for seed, t in enumerate(teams):
            order[t] = seed
        bracket.append([(teams[a], teams[b]) for a, b in ((0, 7), (3, 4), (2, 5), (1, 6))])
    round_start = start
    pairs_by_conf = bracket
    for rnd in range(1, 5):
        series = [pair for conf in pairs_by_conf for pair in conf]
        wins = [[0, 0] for _ in series]
        last_day = round_start
        for k in range(7):
            batch, owners = [], []
            for s, (hi, lo) in enumerate(series):
                if max(wins[s]) == 4:
                    continue
                day = round_start + dt.timedelta(days=2 * k + (s % 2))
                if day >= season.as_of:
                    continue
                home, away = (hi, lo) if k in (0, 1, 4, 6) else (lo, hi)
                gid = f"{GAME_TYPE_CODE['playoffs']}{yy:02d}00{rnd}{s}{k + 1}"
                batch.append(_game(gid, day, tipoff_utc(rng, day, home), season.season_year, "playoffs", home, away, rnd))
                owners.append(s)
                last_day = max(last_day, day)
            _play(rng, season, league, ratings, batch, is_playoffs=True)
            for g, s in zip(batch, owners):
                winner = g["home_team_abbr"] if g["home_score"] > g["away_score"] else g["away_team_abbr"]
                wins[s][0 if winner == series[s][0] else 1] += 1
        if any(max(w) < 4 for w in wins):
            return  # the as-of date falls inside this round
        winners = [hi if w[0] == 4 else lo for (hi, lo), w in zip(series, wins)]
        if rnd < 3:
            per_conf = len(winners) // 2
            pairs_by_conf = []
            for c in range(2):
                ws = winners[c * per_conf:(c + 1) * per_conf]
                pairs_by_conf.append([_seeded(ws[i], ws[i + 1], order) for i in range(0, len(ws), 2)])
        elif rnd == 3:
            a, b = winners
            better = (a, b) if table[a] >= table[b] else (b, a)
            pairs_by_conf = [[better]]
        round_start = last_day + dt.timedelta(days=2)


def _seeded(a: str, b: str, order: dict[str, int]) -> tuple[str, str]:
    return (a, b) if order[a] <= order[b] else (b, a)
