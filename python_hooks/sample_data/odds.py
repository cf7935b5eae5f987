"""Points-prop lines: the odds API snapshots and BettingPros records."""

from __future__ import annotations

import numpy as np

from .players import MINUTES_BY_RANK, pts_per_36
from .simulate import group_rank

BOOKS = np.array(["betmgm", "bovada", "caesars", "draftkings", "fanduel", "pointsbet"])
BOOK_PRESENCE = np.array([0.8, 0.45, 0.75, 0.8, 0.92, 0.5])
BP_BOOKS = np.array(["consensus", "draftkings", "fanduel", "betmgm", "caesars"])


def _x5(value: np.ndarray) -> np.ndarray:
    """Nearest x.5 line, at least 0.5."""
    return np.maximum(np.floor(value) + 0.5, 0.5)


def _under_price(over: np.ndarray) -> np.ndarray:
    under = -220 - over
    return np.where(under > -100, 200 + under, under)


def select_lined(
    rng: np.random.Generator, cand: dict[str, np.ndarray], talent: np.ndarray, form_prev: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Which candidate player-games books price, and the books' expected score.

    ``cand``: group (team-game), out (bool: Out on the morning report), rank,
    prior_avg, prior_games. Stars (season average >= 19 over >= 5 games or a
    high expected score) are always priced; otherwise the top 3-5 per team.
    """
    group = cand["group"]
    n_groups = int(group.max()) + 1 if len(group) else 0
    exp_min = MINUTES_BY_RANK[np.minimum(cand["rank"], len(MINUTES_BY_RANK) - 1)]
    latent = pts_per_36(talent) / 36.0 * exp_min * np.exp(0.5 * form_prev)
    book_exp = np.where(cand["prior_games"] >= 3, 0.5 * cand["prior_avg"] + 0.5 * latent, latent)
    eligible = ~cand["out"]
    rank = group_rank(group, np.where(eligible, book_exp, -1.0), n_groups)
    k = rng.choice([4, 5], size=n_groups, p=[0.6, 0.4]) + cand["is_playoffs_group"]
    star = (cand["prior_avg"] >= 19) & (cand["prior_games"] >= 5) | (book_exp >= 18)
    lined = eligible & ((rank < k[group]) | star)
    return lined, book_exp


def odds_api_rows(
    rng: np.random.Generator, lined: dict[str, np.ndarray], game_first_snapshot: np.ndarray,
    game_tipoff: np.ndarray, cutoff: np.datetime64, step_minutes: float, after_tip_games: np.ndarray,
) -> dict[str, np.ndarray]:
    """Snapshot x book x player rows for lined player-games.

    ``lined``: game (index into the game arrays), book_exp, key (row id).
    """
    n_games = len(game_tipoff)
    present = rng.random((n_games, len(BOOKS))) < BOOK_PRESENCE
    short = present.sum(axis=1) < 3
    present[short, 0] = present[short, 2] = present[short, 4] = True
    n = len(lined["game"])
    pair_row = np.repeat(np.arange(n), len(BOOKS))
    pair_book = np.tile(np.arange(len(BOOKS)), n)
    keep = present[lined["game"][pair_row], pair_book]
    listed = rng.random(len(pair_row)) < 0.9
    star = lined["book_exp"][pair_row] >= 18
    keep &= listed | star
    # Every lined player is listed by at least one present book.
    first_book = np.argmax(present, axis=1)[lined["game"][pair_row]] == pair_book
    keep |= first_book
    pair_row, pair_book = pair_row[keep], pair_book[keep]
    g = lined["game"][pair_row]
    bias = rng.normal(0, 0.35, len(BOOKS))
    open_line = _x5(lined["book_exp"][pair_row] + rng.normal(0, 0.6, len(pair_row)) + bias[pair_book])
    step = np.timedelta64(int(step_minutes * 60), "s")
    span = (game_tipoff[g] - np.timedelta64(10, "m") - game_first_snapshot[g]) // step
    n_snap = np.maximum(span.astype(np.int64) + 1, 1)
    rep = np.repeat(np.arange(len(pair_row)), n_snap)
    starts = np.concatenate([[0], np.cumsum(n_snap)[:-1]])
    j = np.arange(len(rep)) - starts[rep]
    snap_at = game_first_snapshot[g[rep]] + j * step
    moves = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], size=len(rep), p=[0.03, 0.1, 0.74, 0.1, 0.03])
    moves[starts] = 0.0
    cum = np.cumsum(moves)
    cum -= np.repeat(cum[starts], n_snap)
    line = np.maximum(open_line[rep] + cum, 0.5)
    keep_snap = snap_at < cutoff
    rows = {
        "row": lined["key"][pair_row[rep]][keep_snap],
        "game": g[rep][keep_snap],
        "book": BOOKS[pair_book[rep]][keep_snap],
        "snapshot_at": snap_at[keep_snap],
        "points_line": line[keep_snap],
    }
    # In-game snapshots after tipoff for some games: wildly different lines.
    late = np.isin(g, after_tip_games)
    if late.any():
        delay = np.timedelta64(1, "m") * rng.integers(20, 150, late.sum())
        late_at = game_tipoff[g[late]] + delay
        ok = late_at < cutoff
        wild = _x5(open_line[late] + rng.choice([-1, 1], late.sum()) * rng.uniform(4, 12, late.sum()))
        rows = {
            "row": np.concatenate([rows["row"], lined["key"][pair_row[late]][ok]]),
            "game": np.concatenate([rows["game"], g[late][ok]]),
            "book": np.concatenate([rows["book"], BOOKS[pair_book[late]][ok]]),
            "snapshot_at": np.concatenate([rows["snapshot_at"], late_at[ok]]),
            "points_line": np.concatenate([rows["points_line"], wild[ok]]),
        }
    over = -110 + 5 * np.round(rng.normal(0, 1.6, len(rows["row"])))
    rows["over_price"] = over.astype(np.int64)
    rows["under_price"] = _under_price(over).astype(np.int64)
    return rows


def bettingpros_rows(
    rng: np.random.Generator, lined: dict[str, np.ndarray], game_tipoff: np.ndarray,
    game_day_start: np.ndarray, cutoff: np.datetime64,
) -> dict[str, np.ndarray]:
    """Two records a day per covered player-game (late morning, late afternoon),
    plus an after-tipoff record for a few; ``opening_line`` is the first line."""
    n = len(lined["game"])
    g = lined["game"]
    opening = _x5(lined["book_exp"] + rng.normal(0, 0.7, n))
    second = np.maximum(opening + rng.choice([-0.5, 0.0, 0.5], n, p=[0.15, 0.7, 0.15]), 0.5)
    book = BP_BOOKS[rng.integers(len(BP_BOOKS), size=n)]
    t1 = game_day_start[g] + np.timedelta64(16 * 60, "m")  # ~11-12 AM ET
    t2 = game_day_start[g] + np.timedelta64(21 * 60 + 30, "m")  # ~4:30-5:30 PM ET
    t2 = np.minimum(t2, game_tipoff[g] - np.timedelta64(20, "m"))
    after = rng.random(n) < 0.03
    t3 = game_tipoff[g] + np.timedelta64(1, "m") * rng.integers(30, 140, n)
    wild = _x5(opening + rng.choice([-1, 1], n) * rng.uniform(4, 10, n))
    idx = np.concatenate([np.arange(n), np.arange(n), np.nonzero(after)[0]])
    created = np.concatenate([t1, t2, t3[after]])
    line = np.concatenate([opening, second, wild[after]])
    keep = created < cutoff
    return {
        "row": lined["key"][idx][keep],
        "game": g[idx][keep],
        "created_at": created[keep],
        "book": book[idx][keep],
        "line": line[keep],
        "opening_line": opening[idx][keep],
    }
