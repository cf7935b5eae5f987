"""The simulation's tables in the shape of the production raw tables.

The simulation (generator.py and the modules it calls) works with tables of
its own: one game id, whole minutes, one row per prop record. This module is
the one place that turns them into the eight production tables of
``models/staging/_sources.yml`` (read through ``python_hooks.raw_contract``),
with the production writers' habits: NBA.com and ``YYYYMMDD_AWAY_HOME`` game
ids, ``MM:SS`` minutes, ``Last, First`` injury names, the lookups some writers
store wrongly, BettingPros over and under rows and other markets, non-shot
play-by-play events, and so on (docs/sample_data.md lists them).

Every random draw here comes from its own generator (seeded from the sample's
seed), so the simulation's draws, and therefore its games, are the same as
without this step. ``data_hash`` is left to the writer (generator.write_duckdb).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from dataclasses import dataclass

import numpy as np

from python_hooks import raw_contract

from .names import (
    injury_report_lookup, last_first, last_name, normalize_player_lookup, suffix_stripped_lookup,
)
from .odds import _under_price, _x5
from .schedule import EASTERN, TEAMS, UTC

MIN = np.timedelta64(1, "m")
HOUR = np.timedelta64(1, "h")

# NBA.com team ids (nbac_team_boxscore.team_id).
TEAM_IDS = {
    "ATL": 1610612737, "BOS": 1610612738, "CLE": 1610612739, "NOP": 1610612740, "CHI": 1610612741,
    "DAL": 1610612742, "DEN": 1610612743, "GSW": 1610612744, "HOU": 1610612745, "LAC": 1610612746,
    "LAL": 1610612747, "MIA": 1610612748, "MIL": 1610612749, "MIN": 1610612750, "BKN": 1610612751,
    "NYK": 1610612752, "ORL": 1610612753, "IND": 1610612754, "PHI": 1610612755, "PHX": 1610612756,
    "POR": 1610612757, "SAC": 1610612758, "SAS": 1610612759, "OKC": 1610612760, "TOR": 1610612761,
    "UTA": 1610612762, "MEM": 1610612763, "WAS": 1610612764, "DET": 1610612765, "CHA": 1610612766,
}
PLAYOFF_ROUNDS = {0: "play_in", 1: "first_round", 2: "conf_semifinals", 3: "conf_finals", 4: "nba_finals"}
# The simulation's book names -> the Odds API's lowercase keys.
ODDS_API_BOOKS = {"betmgm": "betmgm", "bovada": "bovada", "caesars": "williamhill_us",
                  "draftkings": "draftkings", "fanduel": "fanduel", "pointsbet": "betrivers"}
# The simulation's BettingPros books -> (book_id, printed name); 0 = consensus.
BETTINGPROS_BOOKS = {"consensus": (0, "BettingPros Consensus"), "draftkings": (12, "DraftKings"),
                     "fanduel": (10, "FanDuel"), "betmgm": (19, "BetMGM"), "caesars": (13, "Caesars")}
BETTINGPROS_MARKETS = {"points": 156, "assists": 151, "rebounds": 157, "threes": 162}
# Odds API rows store the NBA.com game id from this date on (when the writer's
# schedule lookup succeeds; always, in the sample), YYYYMMDD_AWAY_HOME before.
ODDS_NBA_ID_FROM = np.datetime64("2025-12-28")
# ESPN roster and BettingPros rows written before this date stored lookups
# without the name suffix.
LOOKUP_SUFFIX_FIX = np.datetime64("2026-01-11")
# BigDataBall lookups carried a numeric player-id prefix for a while.
BDB_PREFIX_SPAN = (np.datetime64("2024-10-22"), np.datetime64("2025-02-01"))


# ---------------------------------------------------------------------------
# Small vectorised helpers
# ---------------------------------------------------------------------------
def _u(values: np.ndarray) -> np.ndarray:
    return np.asarray(values).astype(str)


def _strs(part, n: int) -> list[str]:
    if isinstance(part, np.ndarray):
        if part.dtype.kind in "iub":
            return list(map(str, part.tolist()))
        return part.tolist()
    return [str(part)] * n


def cat(*parts) -> np.ndarray:
    """Element-wise string concatenation (arrays or scalars) as an object array
    (a plain join over Python lists: faster than numpy's char functions)."""
    n = next(len(p) for p in parts if isinstance(p, np.ndarray))
    return np.array(list(map("".join, zip(*(_strs(p, n) for p in parts)))), dtype=object)


def _per_distinct(values: np.ndarray, fn) -> np.ndarray:
    """``fn`` applied once per distinct value (dates, instants: few distinct)."""
    uniq, inv = np.unique(values, return_inverse=True)
    return np.array([fn(u) for u in uniq], dtype=object)[inv]


def ymd(days: np.ndarray) -> np.ndarray:
    """Dates as YYYYMMDD strings."""
    return _per_distinct(np.asarray(days, dtype="datetime64[D]"), lambda d: str(d).replace("-", ""))


def stamp(ts: np.ndarray) -> np.ndarray:
    """Instants as YYYYMMDD_HHMMSS (file names)."""
    return _per_distinct(np.asarray(ts, dtype="datetime64[s]"),
                         lambda t: str(t).replace("-", "").replace(":", "").replace("T", "_"))


_TEAM_INDEX = {t: i for i, t in enumerate(TEAMS)}


def mapped(values: np.ndarray, mapping: dict, dtype=object) -> np.ndarray:
    """``mapping[v]`` for each value."""
    return np.array([mapping[v] for v in np.asarray(values).tolist()], dtype=dtype)


def game_key(days: np.ndarray, away: np.ndarray, home: np.ndarray) -> np.ndarray:
    """An integer per (date, away, home): one per game."""
    day = np.asarray(days, dtype="datetime64[D]").astype(np.int64)
    return (day * 32 + mapped(away, _TEAM_INDEX, np.int64)) * 32 + mapped(home, _TEAM_INDEX, np.int64)


def project_game_id(days: np.ndarray, away: np.ndarray, home: np.ndarray) -> np.ndarray:
    """``YYYYMMDD_AWAY_HOME``: the game id of every table but the schedule."""
    key = game_key(days, away, home)
    uniq, inv = np.unique(key, return_inverse=True)
    ids = np.array([f"{str(np.datetime64(int(k) // 1024, 'D')).replace('-', '')}_{TEAMS[(int(k) // 32) % 32]}_"
                    f"{TEAMS[int(k) % 32]}" for k in uniq], dtype=object)
    return ids[inv]


def _clock_table(max_seconds: int, fmt) -> np.ndarray:
    return np.array([fmt(s) for s in range(max_seconds + 1)], dtype=object)


def masked(values: np.ndarray, null: np.ndarray) -> np.ma.MaskedArray:
    """A nullable column: ``values`` where ``null`` is False, NULL elsewhere."""
    return np.ma.masked_array(values, mask=np.asarray(null, dtype=bool))




def concat_cols(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate tables column-wise, keeping NULL masks."""
    out = {}
    for k in parts[0]:
        cols = [p[k] for p in parts]
        if any(isinstance(c, np.ma.MaskedArray) for c in cols):
            out[k] = np.ma.concatenate([np.ma.asarray(c) for c in cols])
        else:
            out[k] = np.concatenate(cols)
    return out


def select(table: dict[str, np.ndarray], idx) -> dict[str, np.ndarray]:
    return {k: v[idx] for k, v in table.items()}


def _eastern(ts: np.ndarray) -> np.ndarray:
    """UTC instants (naive) -> Eastern wall-clock (naive), per distinct instant."""
    ts = np.asarray(ts, dtype="datetime64[s]")
    uniq, inv = np.unique(ts, return_inverse=True)
    local = np.array([
        dt.datetime.fromtimestamp(int(u.astype(np.int64)), UTC).astimezone(EASTERN).replace(tzinfo=None)
        for u in uniq], dtype="datetime64[s]")
    return local[inv]


def _to_utc(local: np.ndarray) -> np.ndarray:
    """Eastern wall-clock (naive) -> UTC instants (naive), per distinct value."""
    local = np.asarray(local, dtype="datetime64[s]")
    uniq, inv = np.unique(local, return_inverse=True)
    out = np.array([
        dt.datetime.fromisoformat(str(u)).replace(tzinfo=EASTERN).astimezone(UTC).replace(tzinfo=None)
        for u in uniq], dtype="datetime64[s]")
    return out[inv]


def season_label(season_year: np.ndarray) -> np.ndarray:
    y = np.asarray(season_year, dtype=np.int64)
    return cat(y, "-", np.char.zfill(_u((y + 1) % 100), 2))


@dataclass(frozen=True)
class PlayerKeys:
    """Per league player id: each source's printed name and stored lookup."""

    box: np.ndarray
    odds: np.ndarray
    bettingpros: np.ndarray
    box_lookup: np.ndarray
    odds_lookup: np.ndarray
    bettingpros_lookup: np.ndarray
    box_stripped: np.ndarray
    bettingpros_stripped: np.ndarray
    injury_lookup: np.ndarray
    injury_original: np.ndarray
    surname: np.ndarray
    bdb_prefix: np.ndarray

    @classmethod
    def of(cls, box: np.ndarray, odds: np.ndarray, bettingpros: np.ndarray) -> "PlayerKeys":
        def each(fn, names) -> np.ndarray:
            return np.array([fn(n) for n in names], dtype=object)

        return cls(
            box=box, odds=odds, bettingpros=bettingpros,
            box_lookup=each(normalize_player_lookup, box),
            odds_lookup=each(normalize_player_lookup, odds),
            bettingpros_lookup=each(normalize_player_lookup, bettingpros),
            box_stripped=each(suffix_stripped_lookup, box),
            bettingpros_stripped=each(suffix_stripped_lookup, bettingpros),
            injury_lookup=each(injury_report_lookup, box),
            injury_original=each(last_first, box),
            surname=each(last_name, box),
            bdb_prefix=np.array([str(1_626_000 + zlib.crc32(n.encode()) % 10_000) for n in box], dtype=object),
        )


def _counted(t: dict[str, np.ndarray]) -> np.ndarray:
    """Rows of regular-season and playoff games (production writers skip the rest)."""
    return np.isin(t["game_type"], ["regular", "playoffs"])


# ---------------------------------------------------------------------------
# The eight tables
# ---------------------------------------------------------------------------
def schedule(rng: np.random.Generator, sc: dict[str, np.ndarray], note) -> dict[str, np.ndarray]:
    sc = select(sc, _counted(sc))
    n = len(sc["game_id"])
    status = sc["game_status"]
    final = status == "final"
    code = np.where(status == "scheduled", 1, 3).astype(np.int64)
    rounds = np.array([PLAYOFF_ROUNDS.get(r) if r is not None else None for r in sc["playoff_round"]],
                      dtype=object)
    home_score = masked(np.where(final, sc["home_score"], 0).astype(np.int64), ~final)
    away_score = masked(np.where(final, sc["away_score"], 0).astype(np.int64), ~final)
    season = sc["season_year"].astype(np.int64)
    processed = sc["loaded_at"]
    released = (season - 1970).astype("datetime64[Y]").astype("datetime64[D]") + np.timedelta64(226, "D")
    created = np.minimum(processed, released.astype("datetime64[s]") + 16 * HOUR)
    out = {
        "game_id": sc["nba_game_id"],
        "game_code": cat(ymd(sc["game_date"]), "/", sc["away_team_abbr"], sc["home_team_abbr"]),
        "season_year": season,
        "game_date": sc["game_date"],
        "game_date_est": sc["tipoff_at"],
        "game_status": code,
        "game_status_text": np.where(code == 3, "Final", "Scheduled").astype(object),
        "home_team_tricode": sc["home_team_abbr"],
        "away_team_tricode": sc["away_team_abbr"],
        "home_team_score": home_score,
        "away_team_score": away_score,
        "is_regular_season": sc["game_type"] == "regular",
        "is_playoffs": sc["game_type"] == "playoffs",
        "is_all_star": np.zeros(n, dtype=bool),
        "playoff_round": rounds,
        "source_file_path": cat("nba-com/schedule/", season_label(season), "/", stamp(processed), ".json"),
        "created_at": created,
        "processed_at": processed,
    }
    # A few games also keep an older row still saying "scheduled" (the MERGE
    # did not replace it): the same (game_id, game_date) with status 1 and an
    # earlier processed_at.
    finals = np.nonzero(final & out["is_regular_season"])[0]
    if len(finals) >= 50:
        dup = np.sort(rng.choice(finals, size=max(2, len(finals) // 400), replace=False))
        stale = select(out, dup)
        stale["game_status"] = np.ones(len(dup), dtype=np.int64)
        stale["game_status_text"] = np.full(len(dup), "Scheduled", dtype=object)
        stale["home_team_score"] = masked(np.zeros(len(dup), np.int64), np.ones(len(dup), bool))
        stale["away_team_score"] = masked(np.zeros(len(dup), np.int64), np.ones(len(dup), bool))
        stale["processed_at"] = np.minimum(stale["created_at"] + HOUR, stale["game_date_est"] - 6 * HOUR)
        stale["processed_at"] = np.maximum(stale["processed_at"], stale["created_at"])
        stale["source_file_path"] = cat("nba-com/schedule/", season_label(stale["season_year"]), "/",
                                        stamp(stale["processed_at"]), ".json")
        for i in range(len(dup)):
            note("conflicting_schedule_status", "nbac_schedule",
                 f"{stale['game_id'][i]}|{stale['game_date'][i]}", stale["game_date"][i].item(),
                 "a second row with game_status 1 (Scheduled, no scores) and an older processed_at")
        out = concat_cols([out, stale])
    return out


def _zero_sum_seconds(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    """Offsets in seconds (-59..59) summing to zero within each group, so the
    players' MM:SS minutes still add up to the team's whole minutes."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(group, kind="stable")
    g = group[order]
    starts = np.concatenate([[0], np.nonzero(np.diff(g))[0] + 1])
    ends = np.concatenate([starts[1:], [n]])
    nxt = np.arange(1, n + 1)
    nxt[ends - 1] = starts
    r = rng.integers(0, 60, n)
    d = np.empty(n, dtype=np.int64)
    d[order] = r - r[nxt]
    return d


def gamebook(rng: np.random.Generator, gb: dict[str, np.ndarray], keys: PlayerKeys) -> dict[str, np.ndarray]:
    gb = select(gb, _counted(gb))
    n = len(gb["game_id"])
    pid = gb["pid"]
    status = gb["player_status"]
    active = status == "active"
    inactive = status == "inactive"
    # Inactive players are printed by surname; most are resolved to a full
    # name, a few are not (not_found / multiple_matches keep the surname).
    roll = rng.random(n)
    resolution = np.where(active | (status == "dnp"), "original", "resolved").astype(object)
    resolution[inactive & (roll < 0.03)] = "not_found"
    resolution[inactive & (roll >= 0.03) & (roll < 0.04)] = "multiple_matches"
    unresolved = np.isin(resolution, ["not_found", "multiple_matches"])
    name = np.where(unresolved, keys.surname[pid], keys.box[pid]).astype(object)
    lookup = np.where(unresolved, np.array([normalize_player_lookup(s) for s in keys.surname], dtype=object)[pid],
                      keys.box_lookup[pid]).astype(object)
    printed = np.where(inactive, keys.surname[pid], keys.box[pid]).astype(object)
    project_id = gb["project_game_id"]
    mins = gb["int_minutes"]
    played = active & (mins > 0)
    group = game_key(gb["game_date"], gb["away_team_abbr"], gb["home_team_abbr"]) * 2 + (
        gb["team_abbr"] == gb["home_team_abbr"])
    seconds = mins * 60
    seconds[played] += _zero_sum_seconds(rng, group[played])
    no_line = ~active
    minutes = _clock_table(int(seconds.max(initial=0)), lambda x: f"{x // 60:02d}:{x % 60:02d}")[seconds]
    minutes[no_line] = None
    reason = gb["dnp_reason"].copy()
    dnp = status == "dnp"
    reason[dnp] = cat("DNP - ", reason[dnp].astype(str))

    def stat(values: np.ndarray) -> np.ma.MaskedArray:
        return masked(np.asarray(values, dtype=np.int64), no_line)

    plus_minus = np.round(gb["team_margin"] * mins / 48.0 + rng.normal(0, 4, n)).astype(np.int64)
    return {
        "game_id": project_id, "game_date": gb["game_date"],
        "season_year": gb["season_year"].astype(np.int64),
        "home_team_abbr": gb["home_team_abbr"], "away_team_abbr": gb["away_team_abbr"],
        "team_abbr": gb["team_abbr"], "player_name": name, "player_name_original": printed,
        "player_lookup": lookup, "player_status": status, "dnp_reason": reason,
        "name_resolution_status": resolution, "minutes": minutes,
        "minutes_decimal": np.where(no_line, np.nan, seconds / 60.0),
        "points": stat(gb["points"]),
        "field_goals_made": stat(gb["fg_made"]), "field_goals_attempted": stat(gb["fg_attempted"]),
        "three_pointers_made": stat(gb["three_made"]), "three_pointers_attempted": stat(gb["three_attempted"]),
        "free_throws_made": stat(gb["ft_made"]), "free_throws_attempted": stat(gb["ft_attempted"]),
        "offensive_rebounds": stat(gb["off_rebounds"]), "defensive_rebounds": stat(gb["def_rebounds"]),
        "total_rebounds": stat(gb["off_rebounds"] + gb["def_rebounds"]),
        "assists": stat(gb["assists"]), "steals": stat(gb["steals"]), "blocks": stat(gb["blocks"]),
        "turnovers": stat(gb["turnovers"]), "personal_fouls": stat(gb["fouls"]),
        "plus_minus": stat(plus_minus),
        "processed_at": gb["loaded_at"],
    }


def _pct(made: np.ndarray, attempted: np.ndarray) -> np.ndarray:
    return np.where(attempted > 0, np.round(made / np.maximum(attempted, 1), 3), np.nan)


def team_box(tb: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    tb = select(tb, _counted(tb))
    i64 = {c: tb[c].astype(np.int64) for c in
           ("points", "fg_made", "fg_attempted", "three_made", "three_attempted", "ft_made", "ft_attempted",
            "off_rebounds", "def_rebounds", "assists", "steals", "blocks", "turnovers", "fouls", "minutes")}
    return {
        "game_id": tb["project_game_id"],
        "nba_game_id": tb["nba_game_id"], "game_date": tb["game_date"],
        "season_year": tb["season_year"].astype(np.int64),
        "team_id": np.array([TEAM_IDS[t] for t in tb["team_abbr"]], dtype=np.int64),
        "team_abbr": tb["team_abbr"], "is_home": tb["is_home"].astype(bool),
        "minutes": cat(i64["minutes"], ":00"),
        "points": i64["points"], "fg_made": i64["fg_made"], "fg_attempted": i64["fg_attempted"],
        "fg_percentage": _pct(i64["fg_made"], i64["fg_attempted"]),
        "three_pt_percentage": _pct(i64["three_made"], i64["three_attempted"]),
        "ft_percentage": _pct(i64["ft_made"], i64["ft_attempted"]),
        "three_pt_made": i64["three_made"], "three_pt_attempted": i64["three_attempted"],
        "ft_made": i64["ft_made"], "ft_attempted": i64["ft_attempted"],
        "offensive_rebounds": i64["off_rebounds"], "defensive_rebounds": i64["def_rebounds"],
        "total_rebounds": i64["off_rebounds"] + i64["def_rebounds"],
        "assists": i64["assists"], "steals": i64["steals"], "blocks": i64["blocks"],
        "turnovers": i64["turnovers"], "personal_fouls": i64["fouls"],
        "plus_minus": tb["team_margin"].astype(np.int64),
        "created_at": tb["loaded_at"], "processed_at": tb["loaded_at"],
    }


def injury_report(rng: np.random.Generator, ir: dict[str, np.ndarray], keys: PlayerKeys) -> dict[str, np.ndarray]:
    n = len(ir["pid"])
    pid = ir["pid"]
    # Reports carry a date and an Eastern hour, no minute: the instant
    # staging rebuilds is the top of that hour. A report published after
    # tipoff must still read as after tipoff at hour precision.
    local = _eastern(ir["report_at"])
    hour_local = local.astype("datetime64[h]").astype("datetime64[s]")
    hour_at = _to_utc(hour_local)
    late = (ir["report_at"] > ir["tipoff"]) & (hour_at <= ir["tipoff"])
    hour_local[late] += HOUR
    hour_at[late] = _to_utc(hour_local[late])
    report_hour = ((hour_local - hour_local.astype("datetime64[D]")) // HOUR).astype(np.int64)
    tip_local = _eastern(ir["tipoff"])
    tip_h = ((tip_local - tip_local.astype("datetime64[D]")) // HOUR).astype(np.int64)
    tip_m = ((tip_local - tip_local.astype("datetime64[h]")) // MIN).astype(np.int64)
    twelve = np.where(tip_h % 12 == 0, 12, tip_h % 12)
    reason = ir["reason"]
    category = np.where(np.char.startswith(_u(reason), "Injury/Illness"), "injury",
                        np.where(np.char.startswith(_u(reason), "G League"), "g_league", "other")).astype(object)
    confidence = np.where(rng.random(n) < 0.95, 1.0, np.round(rng.uniform(0.8, 0.95, n), 2))
    return {
        "report_date": hour_local.astype("datetime64[D]"), "report_hour": report_hour,
        "game_date": ir["game_date"],
        "game_time": cat(np.char.zfill(_u(twelve), 2), ":", np.char.zfill(_u(tip_m), 2)),
        "game_id": ir["project_game_id"],
        "matchup": cat(ir["away_team_abbr"], "@", ir["home_team_abbr"]),
        "away_team": ir["away_team_abbr"], "home_team": ir["home_team_abbr"], "team": ir["team_abbr"],
        "player_name_original": keys.injury_original[pid], "player_full_name": keys.box[pid],
        "player_lookup": keys.injury_lookup[pid],
        "injury_status": np.char.lower(_u(ir["injury_status"])).astype(object),
        "reason": reason, "reason_category": category, "confidence_score": confidence,
        "season": season_label(ir["season_year"]),
        "processed_at": np.maximum(ir["loaded_at"], hour_at + 10 * MIN),
    }


def _american_to_decimal(american: np.ndarray) -> np.ndarray:
    a = american.astype(float)
    return np.round(np.where(a < 0, 1 + 100 / np.abs(a), 1 + a / 100), 2)


def _decimal_to_american(decimal: np.ndarray) -> np.ndarray:
    """Truncated toward zero, as the production writer computes it."""
    return np.trunc(np.where(decimal >= 2, (decimal - 1) * 100, -100 / (decimal - 1))).astype(np.int64)


def odds_api(rng: np.random.Generator, od: dict[str, np.ndarray], keys: PlayerKeys) -> dict[str, np.ndarray]:
    n = len(od["pid"])
    over = _american_to_decimal(od["over_price"])
    under = _american_to_decimal(od["under_price"])
    gdate = od["game_date"].astype("datetime64[D]")
    project_id = od["project_game_id"]
    keys_sorted = np.array(sorted(ODDS_API_BOOKS))
    books = np.array([ODDS_API_BOOKS[k] for k in keys_sorted], dtype=object)
    source = np.where(gdate < np.datetime64("2022-07-01"), None,
                      np.where(gdate < np.datetime64("2025-10-01"), "historical", "current")).astype(object)
    return {
        "game_id": np.where(gdate >= ODDS_NBA_ID_FROM, od["nba_game_id"], project_id).astype(object),
        "odds_api_event_id": od["event_id"], "game_date": gdate, "game_start_time": od["commence_at"],
        "home_team_abbr": od["home_team_abbr"], "away_team_abbr": od["away_team_abbr"],
        "snapshot_timestamp": od["snapshot_at"],
        "minutes_before_tipoff": ((od["commence_at"] - od["snapshot_at"]) // MIN).astype(np.int64),
        "bookmaker": books[np.searchsorted(keys_sorted, np.asarray(od["bookmaker"], dtype="U16"))], "player_name": od["player_name"],
        "player_lookup": keys.odds_lookup[od["pid"]],
        "points_line": od["points_line"].astype(float),
        "over_price": over, "under_price": under,
        "over_price_american": _decimal_to_american(over), "under_price_american": _decimal_to_american(under),
        "bookmaker_last_update": od["snapshot_at"] - MIN * rng.integers(0, 20, n),
        "data_source": source,
        "processed_at": od["loaded_at"],
    }


def _event_number(values: np.ndarray) -> np.ndarray:
    uniq, inv = np.unique(_u(values), return_inverse=True)
    nums = np.array([int(hashlib.md5(u.encode()).hexdigest()[:7], 16) for u in uniq], dtype=np.int64)
    return nums[inv]


def bettingpros(rng: np.random.Generator, bp: dict[str, np.ndarray], keys: PlayerKeys) -> dict[str, np.ndarray]:
    n = len(bp["pid"])
    # Other markets of the same scrape: a share of the records also carry an
    # assists, rebounds or threes prop for the player.
    other = np.nonzero(rng.random(n) < 0.3)[0]
    other_market = np.array(["assists", "rebounds", "threes"], dtype=object)[rng.integers(0, 3, len(other))]
    other_line = np.select(
        [other_market == "assists", other_market == "rebounds"],
        [_x5(rng.uniform(1, 8, len(other))), _x5(rng.uniform(2, 11, len(other)))],
        _x5(rng.uniform(0.5, 3.5, len(other))))
    rec = np.concatenate([np.arange(n), other])
    market = np.concatenate([np.full(n, "points", dtype=object), other_market])
    line = np.concatenate([bp["line"].astype(float), other_line])
    opening = np.concatenate([bp["opening_line"].astype(float), other_line])
    m = len(rec)
    over_odds = (-110 + 5 * np.round(rng.normal(0, 1.6, m))).astype(np.int64)
    # One row per side.
    rec2 = np.concatenate([rec, rec])
    side = np.concatenate([np.full(m, "over", dtype=object), np.full(m, "under", dtype=object)])
    odds_side = np.concatenate([over_odds, _under_price(over_odds).astype(np.int64)])
    market2 = np.concatenate([market, market])
    pid = bp["pid"][rec2]
    observed = bp["created_at"][rec2]
    processed = bp["loaded_at"][rec2]
    book = bp["book"][rec2]
    mid = mapped(market2, BETTINGPROS_MARKETS, np.int64)
    event = _event_number(bp["game_id"])[rec2]
    player_id = 100_000 + pid.astype(np.int64)
    gdate = bp["game_date"][rec2].astype("datetime64[D]")
    suffix_kept = processed.astype("datetime64[D]") >= LOOKUP_SUFFIX_FIX
    return {
        "game_date": gdate, "market_type": market2, "market_id": mid, "bp_event_id": event,
        "offer_id": cat(event, "-", mid, "-", player_id), "bet_side": side, "bp_player_id": player_id,
        "player_name": keys.bettingpros[pid],
        "player_lookup": np.where(suffix_kept, keys.bettingpros_lookup[pid], keys.bettingpros_stripped[pid]).astype(object),
        "player_team": bp["team_abbr"][rec2], "book_id": mapped(book, {k: v[0] for k, v in BETTINGPROS_BOOKS.items()}, np.int64),
        "bookmaker": mapped(book, {k: v[1] for k, v in BETTINGPROS_BOOKS.items()}),
        "points_line": np.concatenate([line, line]), "odds_american": odds_side,
        "is_active": np.ones(2 * m, dtype=bool), "is_best_line": rng.random(2 * m) < 0.2,
        "bookmaker_last_update": observed - MIN * rng.integers(0, 30, 2 * m),
        "opening_line": np.concatenate([opening, opening]),
        "created_at": processed,
        "source_file_path": cat("bettingpros/player-props/", market2, "/",
                                np.datetime_as_string(gdate, unit="D"), "/", stamp(observed), ".json"),
        "processed_at": processed,
    }


PAINT_SHOTS = np.array(["driving layup shot", "layup shot", "dunk shot", "hook shot", "floating jump shot"], dtype=object)
MID_SHOTS = np.array(["jump shot", "pullup jump shot", "turnaround jump shot", "step back jump shot"], dtype=object)
THREE_SHOTS = np.array(["3pt jump shot", "3pt pullup jump shot", "3pt step back jump shot"], dtype=object)


def play_by_play(rng: np.random.Generator, se: dict[str, np.ndarray], ft: dict[str, np.ndarray],
                 keys: PlayerKeys) -> dict[str, np.ndarray]:
    se = select(se, _counted(se))
    ft = select(ft, _counted(ft))
    ns = len(se["pid"])
    zone = se["shot_zone"]
    subtype = np.select([zone == "paint", zone == "mid_range"],
                        [PAINT_SHOTS[rng.integers(0, len(PAINT_SHOTS), ns)],
                         MID_SHOTS[rng.integers(0, len(MID_SHOTS), ns)]],
                        THREE_SHOTS[rng.integers(0, len(THREE_SHOTS), ns)])
    # A mid-range distance rounded down to 8.0 ft would read as a paint shot.
    distance = np.where(zone == "mid_range", np.maximum(se["shot_distance_ft"], 8.1), se["shot_distance_ft"])
    shots = {
        "game_id": se["project_game_id"], "nba": se["nba_game_id"], "bdb": se["bdb"], "game_date": se["game_date"],
        "season_year": se["season_year"], "home": se["home_team_abbr"], "away": se["away_team_abbr"],
        "period": se["period"].astype(np.int64), "left": se["left_seconds"].astype(np.int64),
        "kind": np.ones(ns, dtype=np.int64), "event_type": np.full(ns, "shot", dtype=object),
        "event_subtype": subtype, "pid": se["pid"].astype(np.int64), "team": se["team_abbr"],
        "made": se["is_made"].astype(bool), "made_null": np.zeros(ns, dtype=bool),
        "shot_type": np.where(zone == "three", "3PT", "2PT").astype(object),
        "distance": distance, "loaded": se["loaded_at"],
    }
    # Free throws: one event per attempt, at a random moment of the game.
    rep = np.repeat(np.arange(len(ft["pid"])), ft["ft_attempted"])
    nf = len(rep)
    periods = ft["periods"][rep]
    period = 1 + np.floor(rng.random(nf) * periods).astype(np.int64)
    frees = {
        "game_id": ft["project_game_id"][rep], "nba": ft["nba_game_id"][rep], "bdb": ft["bdb"][rep], "game_date": ft["game_date"][rep],
        "season_year": ft["season_year"][rep], "home": ft["home_team_abbr"][rep], "away": ft["away_team_abbr"][rep],
        "period": period,
        "left": np.floor(rng.random(nf) * np.where(period <= 4, 720, 300)).astype(np.int64),
        "kind": np.full(nf, 2, dtype=np.int64), "event_type": np.full(nf, "free throw", dtype=object),
        "event_subtype": np.full(nf, "free throw", dtype=object), "pid": ft["pid"][rep].astype(np.int64),
        "team": ft["team_abbr"][rep], "made": np.zeros(nf, dtype=bool), "made_null": np.ones(nf, dtype=bool),
        "shot_type": np.full(nf, "FT", dtype=object), "distance": np.full(nf, np.nan),
        "loaded": ft["loaded_at"][rep],
    }
    # One jump ball per game opens it.
    _, first = np.unique(se["bdb"], return_index=True)
    ng = len(first)
    jumps = {
        "game_id": se["project_game_id"][first], "nba": se["nba_game_id"][first], "bdb": se["bdb"][first], "game_date": se["game_date"][first],
        "season_year": se["season_year"][first], "home": se["home_team_abbr"][first],
        "away": se["away_team_abbr"][first], "period": np.ones(ng, dtype=np.int64),
        "left": np.full(ng, 720, dtype=np.int64), "kind": np.zeros(ng, dtype=np.int64),
        "event_type": np.full(ng, "jump ball", dtype=object), "event_subtype": np.full(ng, "jump ball", dtype=object),
        "pid": np.full(ng, -1, dtype=np.int64), "team": np.full(ng, None, dtype=object),
        "made": np.zeros(ng, dtype=bool), "made_null": np.ones(ng, dtype=bool),
        "shot_type": np.full(ng, None, dtype=object), "distance": np.full(ng, np.nan),
        "loaded": se["loaded_at"][first],
    }
    ev = concat_cols([jumps, shots, frees])
    order = np.lexsort((ev["kind"], -ev["left"], ev["period"], ev["bdb"]))
    ev = select(ev, order)
    bdb = ev["bdb"]
    starts = np.concatenate([[0], np.nonzero(np.diff(bdb))[0] + 1]) if len(bdb) else np.zeros(0, int)
    seq = np.arange(len(bdb)) - np.repeat(starts, np.diff(np.concatenate([starts, [len(bdb)]]))) + 1
    has_player = ev["pid"] >= 0
    pid = np.maximum(ev["pid"], 0)
    name = np.where(has_player, keys.box[pid], None).astype(object)
    lookup = keys.box_stripped[pid]
    gdate = ev["game_date"].astype("datetime64[D]")
    prefixed = np.nonzero((gdate >= BDB_PREFIX_SPAN[0]) & (gdate < BDB_PREFIX_SPAN[1]) & has_player)[0]
    if len(prefixed):
        lookup[prefixed] = cat(keys.bdb_prefix[pid[prefixed]], lookup[prefixed])
    lookup[~has_player] = None
    left = ev["left"]
    return {
        "game_id": ev["game_id"], "bdb_game_id": bdb, "game_date": gdate,
        "season_year": ev["season_year"].astype(np.int64),
        "home_team_abbr": ev["home"], "away_team_abbr": ev["away"],
        "event_id": cat(ev["game_id"], "_", seq), "event_sequence": seq.astype(np.int64),
        "period": ev["period"],
        "game_clock": _clock_table(720, lambda x: f"0:{x // 60:02d}:{x % 60:02d}")[left],
        "event_type": ev["event_type"], "event_subtype": ev["event_subtype"],
        "player_1_name": name, "player_1_lookup": lookup, "player_1_team_abbr": ev["team"],
        "player_2_lookup": np.full(len(bdb), None, dtype=object),
        "player_2_role": np.full(len(bdb), None, dtype=object),
        "shot_made": masked(ev["made"], ev["made_null"]), "shot_type": ev["shot_type"],
        "shot_distance": ev["distance"],
        "data_source": np.full(len(bdb), "bigdataball", dtype=object),
        "created_at": ev["loaded"], "processed_at": ev["loaded"],
    }


def rosters(ro: dict[str, np.ndarray], keys: PlayerKeys) -> dict[str, np.ndarray]:
    n = len(ro["pid"])
    pid = ro["pid"]
    day = ro["roster_date"].astype("datetime64[D]")
    return {
        "roster_date": day, "scrape_hour": np.full(n, 8, dtype=np.int64),
        "season_year": ro["season_year"].astype(np.int64), "team_abbr": ro["team_abbr"],
        "espn_player_id": 4_000_000 + 7 * pid.astype(np.int64),
        "player_full_name": keys.box[pid],
        "player_lookup": np.where(day >= LOOKUP_SUFFIX_FIX, keys.box_lookup[pid], keys.box_stripped[pid]).astype(object),
        "position": ro["position"],
        "birth_date": np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"),
        "age": masked(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)),
        "status": np.where(ro["injured"], "Out", "Active").astype(object),
        "roster_status": np.full(n, "Active Roster", dtype=object),
        "created_at": ro["loaded_at"], "processed_at": ro["loaded_at"],
    }


def convert(seed: int, internal: dict[str, dict[str, np.ndarray]], keys: PlayerKeys,
            note) -> dict[str, dict[str, np.ndarray]]:
    """The production tables (without data_hash) from the simulation's tables."""
    def rng(k: int) -> np.random.Generator:
        return np.random.default_rng([seed, 16, k])

    # Each simulation table is released once converted (memory).
    take = internal.pop
    out = {
        "nbac_schedule": schedule(rng(1), take("schedule"), note),
        "nbac_gamebook_player_stats": gamebook(rng(2), take("gamebook_player_stats"), keys),
        "nbac_team_boxscore": team_box(take("team_box_scores")),
        "nbac_injury_report": injury_report(rng(3), take("injury_report"), keys),
        "odds_api_player_points_props": odds_api(rng(4), take("odds_api_player_points_props"), keys),
        "bettingpros_player_points_props": bettingpros(rng(5), take("bettingpros_player_points_props"), keys),
        "bigdataball_play_by_play": play_by_play(rng(6), take("shot_events"), take("free_throws"), keys),
        "espn_team_rosters": rosters(take("rosters"), keys),
    }
    contract = raw_contract.tables()
    assert list(out) == list(contract), "production tables out of step with models/staging/_sources.yml"
    for name, cols in out.items():
        expected = [c.name for c in contract[name] if c.name != "data_hash"]
        assert list(cols) == expected, (name, set(cols) ^ set(expected))
    return out
