"""The league's players: latent ability, ageing across seasons, team rosters,
trades, call-ups, injuries and form (hot/cold streaks) per season day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from .names import STRESS_NAMES, generate_names
from .schedule import TEAMS

N_TEAMS = len(TEAMS)
# Minutes target by rank among a team's available players (rank 0 = best).
MINUTES_BY_RANK = np.array([34, 33, 31, 29, 27, 25, 22, 19, 16, 12, 8, 5, 3, 2, 2, 1, 1, 1, 1, 1], dtype=float)
BODY_PARTS = ["Left Ankle", "Right Ankle", "Left Knee", "Right Knee", "Lower Back", "Left Hamstring",
              "Right Hamstring", "Right Foot", "Left Calf", "Right Shoulder", "Left Wrist", "Illness"]
INJURY_TYPES = ["Sprain", "Soreness", "Strain", "Contusion", "Tendinitis", "Bone Bruise"]


@dataclass
class Player:
    pid: int
    name: str
    birth_date: dt.date
    position: str
    talent: float
    three_rate: float
    paint_share: float
    fta_per_fga: float
    ft_pct: float
    fg_paint: float
    fg_mid: float
    fg_three: float
    reb36: float
    oreb_share: float
    ast36: float
    stl36: float
    blk36: float
    tov36: float
    pf36: float
    team: int = -1
    two_way: bool = False
    retired: bool = False


def pts_per_36(talent: float | np.ndarray) -> np.ndarray:
    u = np.asarray(talent, dtype=float)
    return 8.0 + 8.0 * u + 14.0 * u**14


# Per player kind: ranges drawn uniformly (in this order) and constants.
# Bigs shoot in the paint and rebound; guards shoot threes and pass.
PROFILES: dict[str, dict[str, tuple[float, float] | float]] = {
    "G": {"three_rate": (.38, .55), "paint_share": (.35, .55), "reb36": (4, 6), "ast36": (4.5, 8.5),
          "fg_paint": (.53, .61), "fg_mid": (.38, .46), "fg_three": (.33, .40), "oreb_share": .12, "blk": .35},
    "F": {"three_rate": (.28, .45), "paint_share": (.45, .65), "reb36": (6, 8.5), "ast36": (2.2, 4.2),
          "fg_paint": (.55, .63), "fg_mid": (.37, .45), "fg_three": (.32, .39), "oreb_share": .19, "blk": .7},
    "C": {"three_rate": (.01, .2), "paint_share": (.75, .92), "reb36": (10, 13.5), "ast36": (1.8, 3.5),
          "fg_paint": (.60, .69), "fg_mid": (.36, .44), "fg_three": (.28, .36), "oreb_share": .28, "blk": 1.8},
}
POSITIONS = {"G": ["G", "G", "G-F"], "F": ["F", "F", "G-F", "F-C"], "C": ["C", "C", "F-C"]}


def _make_player(rng: np.random.Generator, pid: int, name: str, birth: dt.date, talent: float) -> Player:
    kind = str(rng.choice(["G", "F", "C"], p=[0.42, 0.38, 0.20]))
    position = {k: str(rng.choice(v)) for k, v in POSITIONS.items()}[kind]
    profile = PROFILES[kind]
    drawn = {k: float(rng.uniform(*v)) for k, v in profile.items() if isinstance(v, tuple)}
    return Player(
        pid=pid, name=name, birth_date=birth, position=position, talent=float(talent),
        three_rate=drawn["three_rate"], paint_share=drawn["paint_share"],
        fta_per_fga=float(rng.uniform(.16, .26) + .12 * talent), ft_pct=float(rng.uniform(.66, .9)),
        fg_paint=drawn["fg_paint"], fg_mid=drawn["fg_mid"], fg_three=drawn["fg_three"],
        reb36=drawn["reb36"], oreb_share=float(profile["oreb_share"]), ast36=drawn["ast36"],
        stl36=float(rng.uniform(.7, 1.6)), blk36=float(profile["blk"]) * float(rng.uniform(.6, 1.4)),
        tov36=float(rng.uniform(1.0, 2.0) + 1.0 * talent), pf36=float(rng.uniform(2.5, 4.2)),
    )


def _random_birth(rng: np.random.Generator, season_year: int, age_lo: float, age_hi: float) -> dt.date:
    age = rng.uniform(age_lo, age_hi)
    return dt.date(season_year, 10, 15) - dt.timedelta(days=int(age * 365.25))


@dataclass
class League:
    """All players ever generated; evolves season by season."""

    players: list[Player] = field(default_factory=list)
    last_season: int | None = None

    def age(self, p: Player, season_year: int) -> float:
        return (dt.date(season_year, 10, 15) - p.birth_date).days / 365.25

    def _new_players(self, rng: np.random.Generator, count: int, season_year: int, rookies: bool) -> list[Player]:
        names = generate_names(rng, count, {p.name for p in self.players})
        out = []
        for name in names:
            if rookies:
                birth = _random_birth(rng, season_year, 19, 22.5)
                talent = float(np.clip(rng.beta(2.0, 3.2), 0.02, 0.97))
            else:
                birth = _random_birth(rng, season_year, 21, 35)
                talent = float(np.clip(rng.beta(2.2, 2.2), 0.02, 0.985))
            out.append(_make_player(rng, len(self.players) + len(out), name, birth, talent))
        self.players.extend(out)
        return out

    def start(self, rng: np.random.Generator, season_year: int) -> None:
        """First season: stress names (stars get high talent) plus generated players."""
        for box, _odds, _bp, star in STRESS_NAMES:
            talent = rng.uniform(.965, .995) if star else rng.uniform(.35, .85)
            birth = _random_birth(rng, season_year, 21, 27 if star else 32)
            self.players.append(_make_player(rng, len(self.players), box, birth, float(talent)))
        self._new_players(rng, N_TEAMS * 17 + 60 - len(self.players), season_year, rookies=False)
        self.last_season = season_year
        self._assign_teams(rng, season_year, keep_prob=0.0)

    def advance(self, rng: np.random.Generator, season_year: int) -> None:
        """Age the league to ``season_year``: development, retirements, rookies, moves."""
        assert self.last_season is not None
        years = season_year - self.last_season
        for _ in range(years):
            for p in self.players:
                if p.retired:
                    continue
                age = self.age(p, season_year)
                delta = 0.04 if age < 24 else (0.0 if age < 30 else -0.045)
                p.talent = float(np.clip(p.talent + delta + rng.normal(0, 0.04), 0.01, 0.995))
                if (age > 33 and rng.random() < 0.35) or (p.talent < 0.25 and age > 27 and rng.random() < 0.3):
                    p.retired = True
                    p.team = -1
            self._new_players(rng, 58, season_year, rookies=True)
        self.last_season = season_year
        self._assign_teams(rng, season_year, keep_prob=0.72**years)

    def _assign_teams(self, rng: np.random.Generator, season_year: int, keep_prob: float) -> None:
        active = [p for p in self.players if not p.retired]
        for p in active:
            if p.team >= 0 and rng.random() > keep_prob:
                p.team = -1
            p.two_way = False
        standard_size = rng.choice([14, 15], size=N_TEAMS, p=[0.3, 0.7])
        two_way_size = rng.choice([2, 3], size=N_TEAMS, p=[0.5, 0.5])
        # Trim teams that kept too many (lowest talent released).
        for t in range(N_TEAMS):
            members = sorted((p for p in active if p.team == t), key=lambda p: -p.talent)
            for p in members[standard_size[t]:]:
                p.team = -1
        free = sorted((p for p in active if p.team < 0), key=lambda p: -(p.talent + rng.normal(0, 0.05)))
        counts = np.array([sum(1 for p in active if p.team == t) for t in range(N_TEAMS)])
        for p in free:
            needy = np.nonzero(counts < standard_size)[0]
            if len(needy) == 0:
                break
            t = int(rng.choice(needy))
            p.team = t
            counts[t] += 1
        leftovers = [p for p in active if p.team < 0]
        leftovers.sort(key=lambda p: (self.age(p, season_year) > 25, rng.random()))
        k = 0
        for t in range(N_TEAMS):
            for _ in range(int(two_way_size[t])):
                leftovers[k].team = t
                leftovers[k].two_way = True
                k += 1


@dataclass
class SeasonState:
    """Per-season matrices indexed [season player index, day index]."""

    season_year: int
    first_day: dt.date
    n_days: int
    pids: np.ndarray  # season player index -> league pid
    team_of: np.ndarray  # int8, -1 = not on a roster
    two_way: np.ndarray  # bool
    injured: np.ndarray  # bool
    injury_reason: np.ndarray  # int16 index into reasons, -1 none
    form: np.ndarray  # float32 log multiplier
    talent: np.ndarray
    moves: list[dict]  # trades and call-ups (manifest info rows)

    def day_index(self, day: dt.date) -> int:
        return (day - self.first_day).days


INJURY_REASONS = [f"Injury/Illness - {b}; {t}" if b != "Illness" else "Injury/Illness - Illness"
                  for b in BODY_PARTS for t in INJURY_TYPES]


def build_season_state(
    rng: np.random.Generator, league: League, season_year: int, first_day: dt.date, n_days: int,
    trade_window: tuple[int, int], n_trades: int = 10, n_call_ups: int = 3,
) -> SeasonState:
    members = [p for p in league.players if not p.retired and p.team >= 0]
    pids = np.array([p.pid for p in members], dtype=np.int64)
    n = len(members)
    team_of = np.repeat(np.array([p.team for p in members], dtype=np.int8)[:, None], n_days, axis=1)
    two_way = np.repeat(np.array([p.two_way for p in members])[:, None], n_days, axis=1)
    # Ability within the season's league (quantile), so the scoring
    # distribution is stable however the league aged.
    raw_talent = np.array([p.talent for p in members])
    talent = (np.argsort(np.argsort(raw_talent)) + 0.5) / len(members)
    moves: list[dict] = []
    lo, hi = trade_window
    for _ in range(n_trades):
        day = int(rng.integers(lo, hi))
        a_team, b_team = rng.choice(N_TEAMS, size=2, replace=False)

        def pick(team: int) -> int:
            cand = np.nonzero((team_of[:, day] == team) & ~two_way[:, day])[0]
            cand = cand[np.argsort(-talent[cand])][1:12]
            return int(rng.choice(cand))

        pa, pb = pick(int(a_team)), pick(int(b_team))
        team_of[pa, day:] = b_team
        team_of[pb, day:] = a_team
        for p, src, dst in ((pa, a_team, b_team), (pb, b_team, a_team)):
            moves.append({"kind": "trade", "season_index": p, "day": day, "from": TEAMS[src], "to": TEAMS[dst]})
    for _ in range(n_call_ups):
        day = int(rng.integers(lo, hi))
        team = int(rng.integers(N_TEAMS))
        tw = np.nonzero((team_of[:, day] == team) & two_way[:, day])[0]
        std = np.nonzero((team_of[:, day] == team) & ~two_way[:, day])[0]
        if len(tw) == 0 or len(std) == 0:
            continue
        up = int(tw[np.argmax(talent[tw])])
        waived = int(std[np.argmin(talent[std])])
        two_way[up, day:] = False
        team_of[waived, day:] = -1
        moves.append({"kind": "call_up", "season_index": up, "day": day, "from": TEAMS[team], "to": TEAMS[team]})
        moves.append({"kind": "waived", "season_index": waived, "day": day, "from": TEAMS[team], "to": None})

    ages = np.array([league.age(p, season_year) for p in members])
    injured = np.zeros((n, n_days), dtype=bool)
    reason = np.full((n, n_days), -1, dtype=np.int16)
    spells = rng.poisson(1.1 + 0.05 * np.clip(ages - 26, 0, None))
    for i in np.nonzero(spells)[0]:
        for _ in range(int(spells[i])):
            start = int(rng.integers(0, n_days))
            roll = rng.random()
            length = int(rng.integers(1, 8) if roll < 0.65 else rng.integers(8, 26) if roll < 0.93 else rng.integers(26, 70))
            injured[i, start:start + length] = True
            reason[i, start:start + length] = int(rng.integers(len(INJURY_REASONS)))

    phi, sigma = 0.92, 0.13
    form = np.empty((n, n_days), dtype=np.float32)
    form[:, 0] = rng.normal(0, sigma, n)
    shocks = rng.normal(0, sigma * np.sqrt(1 - phi**2), (n, n_days))
    for d in range(1, n_days):
        form[:, d] = phi * form[:, d - 1] + shocks[:, d]
    return SeasonState(season_year, first_day, n_days, pids, team_of, two_way, injured, reason, form, talent, moves)
