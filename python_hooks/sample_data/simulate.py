"""Box scores from latent ability: who plays, minutes, and every stat line.

Everything is vectorised over player-game rows; rows are grouped by team-game
(``group`` = game row * 2 + side, side 0 home / 1 away).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .players import MINUTES_BY_RANK, League, SeasonState, pts_per_36

TEAM_POINTS_BASE = 108.0


@dataclass
class TeamRatings:
    pace: np.ndarray  # multiplicative, ~1
    offense: np.ndarray  # multiplicative efficiency
    defense: np.ndarray  # multiplicative on opponents' efficiency (<1 = good)


def team_ratings(rng: np.random.Generator, n_teams: int) -> TeamRatings:
    return TeamRatings(
        pace=rng.normal(1.0, 0.03, n_teams),
        offense=rng.normal(1.0, 0.035, n_teams),
        defense=rng.normal(1.0, 0.035, n_teams),
    )


def group_rank(group: np.ndarray, value: np.ndarray, n_groups: int) -> np.ndarray:
    """0-based rank of ``value`` (descending) within each group."""
    order = np.lexsort((-value, group))
    starts = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=n_groups))[:-1]])
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - starts[group[order]]
    return rank


def participation(
    rng: np.random.Generator, state: SeasonState, day_idx: np.ndarray,
    home: np.ndarray, away: np.ndarray, is_playoffs: np.ndarray,
) -> dict[str, np.ndarray]:
    """One row per rostered player per team-game with availability and status.

    status codes: 0 played, 1 dnp (coach's decision), 2 inactive injured,
    3 inactive game-time decision (questionable, then out), 4 inactive two-way,
    5 inactive on G League assignment.
    """
    g_list, side_list, p_list = [], [], []
    for g in range(len(day_idx)):
        col = state.team_of[:, day_idx[g]]
        for side, team in ((0, home[g]), (1, away[g])):
            members = np.nonzero(col == team)[0]
            g_list.append(np.full(len(members), g))
            side_list.append(np.full(len(members), side))
            p_list.append(members)
    game = np.concatenate(g_list)
    side = np.concatenate(side_list)
    pidx = np.concatenate(p_list)
    day = day_idx[game]
    n = len(game)
    group = game * 2 + side
    n_groups = len(day_idx) * 2
    injured = state.injured[pidx, day]
    two_way = state.two_way[pidx, day]
    u = rng.random(n)
    gtd_sit = ~injured & ~two_way & (rng.random(n) < 0.012)
    tw_roll = rng.random(n)
    tw_inactive = two_way & ~injured & (tw_roll < 0.8)
    tw_dnp = two_way & ~injured & (tw_roll >= 0.8) & (tw_roll < 0.93)
    available = ~injured & ~gtd_sit & ~tw_inactive
    # Rank available standard players by talent; two-way players go last.
    score = np.where(available, state.talent[pidx] + rng.normal(0, 0.03, n), -10.0) - 5.0 * two_way
    rank = group_rank(group, score, n_groups)
    po = is_playoffs[game]
    # Only 13 dress: the deepest healthy standard players are often inactive
    # ("G League - On Assignment") rather than DNP.
    assign_prob = np.select([rank >= 12, rank >= 10, po & (rank >= 9)], [0.95, 0.7, 0.6], 0.0)
    assigned = available & ~two_way & (rng.random(n) < assign_prob)
    available &= ~assigned
    dnp_prob = np.select(
        [rank >= 10, rank == 9, rank == 8],
        [np.where(po, 0.92, 0.7), np.where(po, 0.8, 0.3), np.where(po, 0.4, 0.08)],
        0.0,
    )
    dnp = available & ~two_way & (u < dnp_prob) | tw_dnp
    status = np.zeros(n, dtype=np.int8)
    status[dnp] = 1
    status[injured] = 2
    status[gtd_sit] = 3
    status[tw_inactive] = 4
    status[assigned] = 5
    target = np.where(status == 0, MINUTES_BY_RANK[np.minimum(rank, len(MINUTES_BY_RANK) - 1)], 0.0)
    target = np.where(po, target ** 1.15 / 34 ** 0.15, target)
    return {
        "game": game, "side": side, "pidx": pidx, "day": day, "group": group,
        "status": status, "rank": rank, "target": target, "gtd_sit": gtd_sit,
    }


def _allocate_minutes(rng: np.random.Generator, group: np.ndarray, target: np.ndarray,
                      total_by_group: np.ndarray, cap_by_group: np.ndarray) -> np.ndarray:
    n_groups = len(total_by_group)
    w = np.where(target > 0, target * np.exp(rng.normal(0, 0.15, len(target))), 0.0)
    for _ in range(3):
        sums = np.bincount(group, weights=w, minlength=n_groups)
        m = np.where(w > 0, w / np.maximum(sums[group], 1e-9) * total_by_group[group], 0.0)
        over = m > cap_by_group[group]
        if not over.any():
            break
        w = np.where(over, w * cap_by_group[group] / np.maximum(m, 1e-9), w)
    m = np.where(w > 0, np.maximum(m, 2.0), 0.0)  # nobody plays a lone minute
    base = np.floor(m)
    frac = m - base
    remainder = (total_by_group - np.bincount(group, weights=base, minlength=n_groups)).astype(np.int64)
    rank = group_rank(group, np.where(w > 0, frac, -1.0), n_groups)
    add = (w > 0) & (rank < remainder[group])
    minutes = base + add
    # If flooring to >= 1 overshot, take the excess from each group's top player.
    excess = np.bincount(group, weights=minutes, minlength=n_groups) - total_by_group
    if (excess != 0).any():
        top = group_rank(group, minutes, n_groups) == 0
        minutes = minutes - np.where(top, excess[group], 0)
    return minutes.astype(np.int64)


def _team_attempts(rng: np.random.Generator, group: np.ndarray, n_groups: int,
                   mean: np.ndarray) -> np.ndarray:
    """Field-goal attempts: a team total close to its expectation (pace
    drives it, not the sum of independent player draws), shared out among
    the players by a multinomial draw around their expected shares."""
    team_mean = np.bincount(group, weights=mean, minlength=n_groups)
    team_total = np.maximum(np.round(team_mean + rng.normal(0, 3.5, n_groups)), 0).astype(np.int64)
    weight = mean * np.exp(rng.normal(0, 0.2, len(mean)))
    slot = group_rank(group, weight, n_groups)
    width = int(slot.max()) + 1 if len(slot) else 1
    probs = np.zeros((n_groups, width))
    probs[group, slot] = weight
    sums = probs.sum(axis=1, keepdims=True)
    probs = np.where(sums > 0, probs / np.where(sums > 0, sums, 1.0), 0.0)
    probs[:, 0] += 1.0 - probs.sum(axis=1)  # exact normalisation for numpy
    probs[sums[:, 0] == 0, 0] = 1.0
    team_total[sums[:, 0] == 0] = 0
    draws = rng.multinomial(team_total, np.clip(probs, 0.0, 1.0))
    return draws[group, slot]


def box_stats(
    rng: np.random.Generator, league_arrays: dict[str, np.ndarray], state: SeasonState,
    ratings: TeamRatings, rows: dict[str, np.ndarray], home: np.ndarray, away: np.ndarray,
    ot: np.ndarray,
) -> dict[str, np.ndarray]:
    """Stat lines for ``rows`` (from ``participation``), given overtime periods per game."""
    game, side, group = rows["game"], rows["side"], rows["group"]
    n_groups = len(home) * 2
    total = np.repeat(240 + 25 * ot, 2).astype(float)
    cap = np.repeat(44 + 4 * ot, 2).astype(float)
    minutes = _allocate_minutes(rng, group, rows["target"], total, cap)
    played = minutes > 0
    pid = state.pids[rows["pidx"]]
    a = {k: v[pid] for k, v in league_arrays.items()}
    team = np.where(side == 0, home[game], away[game])
    opp = np.where(side == 0, away[game], home[game])
    form = state.form[rows["pidx"], rows["day"]].astype(float)
    eff = ratings.offense[team] * ratings.defense[opp] * np.where(side == 0, 1.012, 0.988)
    pace = np.sqrt(ratings.pace[team] * ratings.pace[opp])
    # Usage is zero-sum: the team's volume comes from pace, players take shares.
    raw = pts_per_36(state.talent[rows["pidx"]]) / 36.0 * minutes * np.exp(form)
    team_raw = np.bincount(group, weights=raw, minlength=n_groups)
    team_volume = TEAM_POINTS_BASE * total[group] / 240.0 * pace
    exp_pts = raw / np.maximum(team_raw[group], 1e-9) * team_volume
    two_rate = 1 - a["three_rate"]
    ppfga = (2 * two_rate * (a["paint_share"] * a["fg_paint"] + (1 - a["paint_share"]) * a["fg_mid"])
             + 3 * a["three_rate"] * a["fg_three"] + a["fta_per_fga"] * a["ft_pct"])
    fga_mean = exp_pts / ppfga
    fga = _team_attempts(rng, group, n_groups, np.where(played, fga_mean, 0.0))
    three_att = rng.binomial(fga, a["three_rate"])
    paint_att = rng.binomial(fga - three_att, a["paint_share"])
    mid_att = fga - three_att - paint_att
    shoot = np.clip(np.exp(form * 0.5) * eff, 0.8, 1.2)
    paint_made = rng.binomial(paint_att, np.clip(a["fg_paint"] * shoot, 0, 0.95))
    mid_made = rng.binomial(mid_att, np.clip(a["fg_mid"] * shoot, 0, 0.95))
    three_made = rng.binomial(three_att, np.clip(a["fg_three"] * shoot, 0, 0.95))
    fta = rng.poisson(fga_mean * a["fta_per_fga"])
    ftm = rng.binomial(fta, a["ft_pct"])
    per_min = minutes / 36.0
    reb = rng.poisson(a["reb36"] * per_min)
    oreb = rng.binomial(reb, a["oreb_share"])
    out = {
        "minutes": minutes,
        "fg_made": paint_made + mid_made + three_made,
        "fg_attempted": fga,
        "three_made": three_made,
        "three_attempted": three_att,
        "ft_made": ftm,
        "ft_attempted": fta,
        "off_rebounds": oreb,
        "def_rebounds": reb - oreb,
        "assists": rng.poisson(a["ast36"] * per_min),
        "steals": rng.poisson(a["stl36"] * per_min),
        "blocks": rng.poisson(a["blk36"] * per_min),
        "turnovers": rng.poisson(a["tov36"] * per_min),
        "fouls": np.minimum(rng.poisson(a["pf36"] * per_min), 6),
        "paint_att": paint_att, "paint_made": paint_made,
        "mid_att": mid_att, "mid_made": mid_made,
    }
    for key, value in out.items():
        out[key] = np.where(played, value, 0).astype(np.int64)
    out["points"] = 2 * out["fg_made"] + out["three_made"] + out["ft_made"]
    starter_rank = group_rank(group, np.where(played, minutes + 0.001 * rows["target"], -1.0), n_groups)
    out["is_starter"] = played & (starter_rank < 5)
    out["played"] = played
    return out


def team_points(group: np.ndarray, points: np.ndarray, n_games: int) -> tuple[np.ndarray, np.ndarray]:
    sums = np.bincount(group, weights=points, minlength=n_games * 2).astype(np.int64)
    return sums[0::2], sums[1::2]


def league_arrays(league: League) -> dict[str, np.ndarray]:
    fields = ["three_rate", "paint_share", "fta_per_fga", "ft_pct", "fg_paint", "fg_mid", "fg_three",
              "reb36", "oreb_share", "ast36", "stl36", "blk36", "tov36", "pf36"]
    return {f: np.array([getattr(p, f) for p in league.players], dtype=float) for f in fields}


def simulate_games(
    rng: np.random.Generator, league: League, state: SeasonState, ratings: TeamRatings,
    day_idx: np.ndarray, home: np.ndarray, away: np.ndarray, is_playoffs: np.ndarray,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Play a batch of games. Returns (rows with stats, home pts, away pts, ot)."""
    arrays = league_arrays(league)
    rows = participation(rng, state, day_idx, home, away, is_playoffs)
    n_games = len(day_idx)
    ot = np.zeros(n_games, dtype=np.int64)
    stats = box_stats(rng, arrays, state, ratings, rows, home, away, ot)
    hp, ap = team_points(rows["group"], stats["points"], n_games)
    close = (np.abs(hp - ap) == 0) | ((np.abs(hp - ap) <= 2) & (rng.random(n_games) < 0.55))
    if close.any():
        ot = np.where(close, np.where(rng.random(n_games) < 0.15, 2, 1), 0)
        redo = close[rows["game"]]
        sub_rows = {k: v for k, v in rows.items()}
        stats2 = box_stats(rng, arrays, state, ratings, sub_rows, home, away, ot)
        for key in stats:
            stats[key] = np.where(redo, stats2[key], stats[key])
        hp, ap = team_points(rows["group"], stats["points"], n_games)
    # Break remaining ties with one made free throw by a random side's top scorer.
    tied = np.nonzero(hp == ap)[0]
    if len(tied):
        top = group_rank(rows["group"], stats["minutes"] + 0.0, n_games * 2) == 0
        for g in tied:
            s = int(rng.integers(2))
            i = np.nonzero(top & (rows["group"] == g * 2 + s))[0][0]
            stats["ft_made"][i] += 1
            stats["ft_attempted"][i] += 1
            stats["points"][i] += 1
        hp, ap = team_points(rows["group"], stats["points"], n_games)
    rows.update(stats)
    return rows, hp, ap, ot
