"""Injury reports and rosters from the season state and player-game rows."""

from __future__ import annotations

import numpy as np

from .players import INJURY_REASONS, SeasonState

MIN = np.timedelta64(1, "m")


def last_injured_day(state: SeasonState, rows: dict[str, np.ndarray]) -> np.ndarray:
    """Player-games that are an injury's last game missed: the 1:30 PM report
    lists them Doubtful, the 5:30 PM one Out."""
    next_day = np.minimum(rows["day"] + 1, state.n_days - 1)
    return (rows["status"] == 2) & ~state.injured[rows["pidx"], next_day]


def out_on_first_report(state: SeasonState, rows: dict[str, np.ndarray]) -> np.ndarray:
    """Player-games the 1:30 PM report lists Out (what books and the daily
    run see): out, two-way or on assignment, except an injury's last day."""
    status = rows["status"]
    return (((status == 2) | (status >= 4)) & ~last_injured_day(state, rows))


def injury_report_rows(
    rng: np.random.Generator, state: SeasonState, rows: dict[str, np.ndarray],
    report1_at: np.ndarray, report2_at: np.ndarray, tipoff: np.ndarray, cutoff: np.datetime64,
    after_tip_share: float = 0.1,
) -> dict[str, np.ndarray]:
    """Rows of the 1:30 PM and 5:30 PM ET reports (+ an after-tipoff one for some games).

    ``rows``: gidx, pidx, day, status, side (player-game rows of the day's games);
    ``report1_at``/``report2_at``/``tipoff`` are indexed by gidx.
    """
    pidx, day, status, gidx = rows["pidx"], rows["day"], rows["status"], rows["gidx"]
    n = len(pidx)
    prev_day = np.maximum(day - 1, 0)
    doubtful_first = last_injured_day(state, rows)
    returning = (status <= 1) & state.injured[pidx, prev_day] & (day > 0)
    roll = rng.random(n)
    q_plays = (status == 0) & ~returning & (roll < 0.03)
    probable = (status == 0) & ~returning & (roll >= 0.03) & (roll < 0.05)
    reason_idx = np.where(status == 2, state.injury_reason[pidx, day], rng.integers(len(INJURY_REASONS), size=n))
    reason = np.asarray(INJURY_REASONS, dtype=object)[np.maximum(reason_idx, 0)]
    reason = np.where(status == 4, "G League - Two-Way", reason)
    reason = np.where(status == 5, "G League - On Assignment", reason)
    r1 = np.full(n, None, dtype=object)
    r2 = np.full(n, None, dtype=object)
    out_like = (status == 2) | (status >= 4)
    r1[out_like] = "Out"
    r2[out_like] = "Out"
    r1[doubtful_first] = "Doubtful"
    r1[status == 3] = "Questionable"
    r2[status == 3] = "Out"
    r1[returning] = "Questionable"
    r2[returning] = np.where(rng.random(returning.sum()) < 0.5, "Probable", "Available")
    r1[q_plays] = "Questionable"
    # Some stay questionable until tipoff (game-time decision) and then play.
    r2[q_plays] = np.where(rng.random(q_plays.sum()) < 0.4, "Questionable", "Available")
    r1[probable] = "Probable"
    r2[probable] = "Probable"
    parts = []
    for status_col, at in ((r1, report1_at[gidx]), (r2, report2_at[gidx])):
        keep = (status_col != None) & (at < cutoff)  # noqa: E711 (object array)
        parts.append((np.nonzero(keep)[0], at[keep], status_col[keep], reason[keep]))
    # After tipoff: an in-game injury (a player who played is listed Out).
    games = np.unique(gidx)
    late_games = games[rng.random(len(games)) < after_tip_share]
    cand = np.nonzero(np.isin(gidx, late_games) & (status == 0) & (rows["minutes"] > 0 if "minutes" in rows else True))[0]
    if len(cand):
        order = rng.permutation(len(cand))
        _, first = np.unique(gidx[cand[order]], return_index=True)
        chosen = cand[order][first]
        at = tipoff[gidx[chosen]] + MIN * rng.integers(50, 160, len(chosen))
        keep = at < cutoff
        chosen, at = chosen[keep], at[keep]
        parts.append((chosen, at, np.full(len(chosen), "Out", dtype=object), reason[chosen]))
    idx = np.concatenate([p[0] for p in parts])
    return {
        "row": idx,
        "report_at": np.concatenate([p[1] for p in parts]),
        "injury_status": np.concatenate([p[2] for p in parts]),
        "reason": np.concatenate([p[3] for p in parts]),
        "n_after_tipoff": np.array(len(parts[2][0]) if len(parts) > 2 else 0),
    }


def roster_rows(state: SeasonState, day_indices: np.ndarray) -> dict[str, np.ndarray]:
    """One row per (day, player on a roster) for the given season days."""
    sub = state.team_of[:, day_indices]
    p, j = np.nonzero(sub >= 0)
    d = day_indices[j]
    return {"pidx": p, "day": d, "team": state.team_of[p, d], "two_way": state.two_way[p, d]}
