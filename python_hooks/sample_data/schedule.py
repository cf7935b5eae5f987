"""Season calendar and the regular-season schedule (pure functions over numpy)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
import numpy as np

from python_hooks import clock

TEAMS: tuple[str, ...] = tuple(
    "ATL BOS BKN CHA CHI CLE DAL DEN DET GSW HOU IND LAC LAL MEM MIA MIL MIN "
    "NOP NYK OKC ORL PHI PHX POR SAC SAS TOR UTA WAS".split()
)
EAST: frozenset[str] = frozenset(
    "ATL BOS BKN CHA CHI CLE DET IND MIA MIL NYK ORL PHI TOR WAS".split()
)
LATE_TIPOFF_TEAMS: frozenset[str] = frozenset("GSW LAC LAL POR SAC PHX UTA DEN".split())
EASTERN = clock.timezone()  # the one clock's time zone (Eastern)
UTC = dt.timezone.utc

# game_id prefix per game type, as on NBA.com ("002" + yy + 5-digit number).
GAME_TYPE_CODE = {"preseason": "001", "regular": "002", "all_star": "003", "playoffs": "004"}


@dataclass(frozen=True)
class SeasonCalendar:
    season_year: int
    preseason_start: dt.date
    regular_start: dt.date
    regular_end: dt.date
    all_star_date: dt.date
    break_days: frozenset[dt.date]
    no_game_days: frozenset[dt.date]
    playoffs_start: dt.date


def _weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def season_calendar(season_year: int) -> SeasonCalendar:
    """Key dates: regular season from the Tuesday on/after Oct 18 to ~Apr 12."""
    y = season_year
    regular_start = _weekday_on_or_after(dt.date(y, 10, 18), 1)
    regular_end = _weekday_on_or_after(dt.date(y + 1, 4, 8), 6)  # a Sunday
    # All-Star Sunday: third Sunday of February; break Thu..Wed around it.
    all_star = _weekday_on_or_after(dt.date(y + 1, 2, 1), 6) + dt.timedelta(days=14)
    break_days = frozenset(all_star + dt.timedelta(days=k) for k in range(-3, 4))
    thanksgiving = _weekday_on_or_after(dt.date(y, 11, 1), 3) + dt.timedelta(days=21)
    no_game = frozenset({thanksgiving, dt.date(y, 12, 24)})
    return SeasonCalendar(
        season_year=y,
        preseason_start=dt.date(y, 10, 3),
        regular_start=regular_start,
        regular_end=regular_end,
        all_star_date=all_star,
        break_days=break_days,
        no_game_days=no_game,
        playoffs_start=regular_end + dt.timedelta(days=6),
    )


def regular_season_pairs(rng: np.random.Generator) -> np.ndarray:
    """1,230 (home, away) team-index pairs; every team 41 home and 41 away.

    Every ordered pair once (58 games each) plus 12 circulant rounds
    (team i hosts team i+k) on a shuffled team order (24 more games each).
    """
    n = len(TEAMS)
    home, away = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    mask = home != away
    pairs = [np.stack([home[mask], away[mask]], axis=1)]
    order = rng.permutation(n)
    offsets = rng.choice(np.arange(1, 15), size=12, replace=False)
    for k in offsets:
        idx = np.arange(n)
        pairs.append(np.stack([order[idx], order[(idx + k) % n]], axis=1))
    all_pairs = np.concatenate(pairs)
    return all_pairs[rng.permutation(len(all_pairs))]


def regular_season_days(cal: SeasonCalendar) -> list[dt.date]:
    days = []
    day = cal.regular_start
    while day <= cal.regular_end:
        if day not in cal.break_days and day not in cal.no_game_days:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


_WEEKDAY_FACTOR = np.array([1.05, 0.95, 1.25, 0.6, 1.2, 1.0, 0.85])


def assign_dates(
    rng: np.random.Generator, pairs: np.ndarray, days: list[dt.date], b2b_prob: float = 0.27
) -> list[tuple[dt.date, int, int]]:
    """Greedy day-by-day placement: no team twice a day, no 3 games in 3 days,
    back-to-backs allowed for a random share of rested-yesterday teams.
    Extra days are appended after the last day if some games are left over.
    """
    n = len(TEAMS)
    remaining = np.ones(len(pairs), dtype=bool)
    left = np.full(n, 82.0)
    played_on: dict[dt.date, set[int]] = {}
    out: list[tuple[dt.date, int, int]] = []
    day_list = list(days)
    i = 0
    while remaining.any():
        if i >= len(day_list):
            day_list.append(day_list[-1] + dt.timedelta(days=1))
        day = day_list[i]
        days_left = max(len(day_list) - i, 1)
        rate = 1.1 * remaining.sum() / days_left
        target = int(round(rate * _WEEKDAY_FACTOR[day.weekday()] + rng.normal(0, 1.2)))
        target = max(2, min(15, target))
        yesterday = played_on.get(day - dt.timedelta(days=1), set())
        two_days = played_on.get(day - dt.timedelta(days=2), set())
        blocked = yesterday & two_days
        b2b_ok = {t for t in yesterday if rng.random() < b2b_prob}
        idx = np.nonzero(remaining)[0]
        need = left / days_left
        score = need[pairs[idx, 0]] + need[pairs[idx, 1]] + rng.random(len(idx)) * 0.6
        today: set[int] = set()
        chosen = []
        for j in idx[np.argsort(-score, kind="stable")]:
            h, a = int(pairs[j, 0]), int(pairs[j, 1])
            if h in today or a in today or h in blocked or a in blocked:
                continue
            if (h in yesterday and h not in b2b_ok) or (a in yesterday and a not in b2b_ok):
                continue
            chosen.append(j)
            today.update((h, a))
            if len(chosen) >= target:
                break
        for j in chosen:
            remaining[j] = False
            left[pairs[j, 0]] -= 1
            left[pairs[j, 1]] -= 1
            out.append((day, int(pairs[j, 0]), int(pairs[j, 1])))
        played_on[day] = today
        i += 1
    return out


_TIPOFF_SLOTS = np.array([19 * 60, 19 * 60 + 30, 20 * 60, 20 * 60 + 30, 21 * 60, 22 * 60, 22 * 60 + 30])
_EAST_WEIGHTS = np.array([0.35, 0.3, 0.15, 0.1, 0.05, 0.03, 0.02])
_WEST_WEIGHTS = np.array([0.05, 0.05, 0.1, 0.1, 0.2, 0.3, 0.2])


def tipoff_utc(rng: np.random.Generator, day: dt.date, home_team: str) -> dt.datetime:
    """A 7:00-10:30 PM Eastern tipoff as a naive UTC timestamp."""
    weights = _WEST_WEIGHTS if home_team in LATE_TIPOFF_TEAMS else _EAST_WEIGHTS
    minutes = int(rng.choice(_TIPOFF_SLOTS, p=weights))
    local = dt.datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=EASTERN)
    return local.astimezone(UTC).replace(tzinfo=None)


def eastern_to_utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=EASTERN)
    return local.astimezone(UTC).replace(tzinfo=None)


def preseason_pairs(rng: np.random.Generator, cal: SeasonCalendar) -> list[tuple[dt.date, int, int]]:
    """About 5 games per team over the two weeks before the regular season."""
    out = []
    day = cal.preseason_start
    last_played: dict[int, dt.date] = {}
    while day < cal.regular_start - dt.timedelta(days=2):
        teams = [t for t in rng.permutation(len(TEAMS)) if last_played.get(int(t)) != day - dt.timedelta(days=1)]
        n_games = int(rng.integers(3, 8))
        for k in range(min(n_games, len(teams) // 2)):
            h, a = int(teams[2 * k]), int(teams[2 * k + 1])
            out.append((day, h, a))
            last_played[h] = last_played[a] = day
        day += dt.timedelta(days=1)
    return out


def count_back_to_backs(games: list[tuple[dt.date, int, int]]) -> np.ndarray:
    """Back-to-backs per team (second game the day after the first)."""
    dates: dict[int, set[dt.date]] = {}
    for day, h, a in games:
        dates.setdefault(h, set()).add(day)
        dates.setdefault(a, set()).add(day)
    out = np.zeros(len(TEAMS), dtype=int)
    for team, ds in dates.items():
        out[team] = sum(1 for d in ds if d - dt.timedelta(days=1) in ds)
    return out
