"""Simulate the seasons, shape them as the production raw tables
(production.py), inject the defects and write everything to DuckDB."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from python_hooks import clock, raw_contract

from .names import variants_for
from . import production
from .odds import bettingpros_rows, odds_api_rows, select_lined
from .players import INJURY_REASONS, League
from .reports import injury_report_rows, out_on_first_report, roster_rows
from .schedule import TEAMS, eastern_to_utc
from .season import Season, build_season

RAW_SCHEMA = "nba_raw"
MIN = np.timedelta64(1, "m")
HOUR = np.timedelta64(1, "h")
DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class Config:
    seasons: tuple[int, ...]
    as_of: dt.date
    seed: int = 42
    scale: int = 1

    @property
    def as_of_at(self) -> dt.datetime:
        """Data cut-off: the daily production run of the as-of date (the one
        clock's ``daily_run_time``, Eastern), as a naive UTC timestamp."""
        return clock.daily_run_at(self.as_of).replace(tzinfo=None)


PRESETS: dict[str, dict] = {
    "default": {"seasons": (2021, 2024, 2025, 2026), "as_of": dt.date(2026, 11, 27)},
    "small": {"seasons": (2021,), "as_of": dt.date(2022, 1, 15)},
}


def _npdt(values: list[dt.datetime]) -> np.ndarray:
    return np.array(values, dtype="datetime64[s]")


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    keys = parts[0].keys()
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def _event_id(seed: int, game_id: str) -> str:
    return hashlib.md5(f"{seed}:{game_id}".encode()).hexdigest()


@dataclass
class Built:
    tables: dict[str, dict[str, np.ndarray]]
    manifest: list[dict]
    seconds: dict[str, float]


class TableBuilder:
    def __init__(self, config: Config):
        self.config = config
        self.tables: dict[str, list[dict[str, np.ndarray]]] = {}
        self.manifest: list[dict] = []
        self.seconds: dict[str, float] = {}

    def add(self, name: str, cols: dict[str, np.ndarray]) -> None:
        self.tables.setdefault(name, []).append(cols)

    def note(self, kind: str, table: str, key: str | None, day, detail: str) -> None:
        self.manifest.append({"kind": kind, "table_name": table, "record_key": key,
                              "game_date": day, "detail": detail})


def generate(config: Config) -> Built:
    rng = np.random.default_rng(config.seed)
    league = League()
    builder = TableBuilder(config)
    cutoff = np.datetime64(config.as_of_at, "s")
    for k, season_year in enumerate(sorted(config.seasons)):
        started = time.perf_counter()
        season_rng = np.random.default_rng([config.seed, season_year])
        if k == 0:
            league.start(season_rng, season_year)
        else:
            league.advance(season_rng, season_year)
        season = build_season(season_rng, league, season_year, config.as_of)
        _season_tables(season_rng, builder, league, season, cutoff)
        builder.seconds[f"season {season_year}"] = time.perf_counter() - started
    started = time.perf_counter()
    internal = {name: _concat(parts) for name, parts in builder.tables.items()}
    builder.tables.clear()
    for name in INTERNAL_TABLES:
        if name not in internal:
            raise ValueError(f"the sample has no {name} rows: choose seasons and an as-of date with games")
    names = NameArrays.of(league)
    keys = production.PlayerKeys.of(names.box, names.odds, names.bettingpros)
    tables = production.convert(config.seed, internal, keys, builder.note)
    _inject_defects(rng, tables, builder)
    _reload_games(np.random.default_rng([config.seed, 16, 99]), tables, builder)
    builder.seconds["production shapes and defects"] = time.perf_counter() - started
    return Built(tables, builder.manifest, builder.seconds)


# The simulation's own tables, turned into the production ones by production.py.
INTERNAL_TABLES = ("schedule", "gamebook_player_stats", "team_box_scores", "shot_events", "free_throws",
                   "injury_report", "rosters", "odds_api_player_points_props",
                   "bettingpros_player_points_props")


@dataclass(frozen=True)
class GameArrays:
    """A season's games as columns, indexed by the game's ``_index``."""

    gid: np.ndarray
    gdate: np.ndarray
    tip: np.ndarray
    gtype: np.ndarray
    home: np.ndarray
    away: np.ndarray
    status: np.ndarray
    ot: np.ndarray
    # NBA.com id as the schedule stores it: a made-up game keeps the id of the
    # game it replaces (the simulation numbers it as a new game).
    nba: np.ndarray
    # YYYYMMDD_AWAY_HOME, the id of every other production table.
    proj: np.ndarray

    @classmethod
    def of(cls, games: list[dict], postponed: list[dict] = ()) -> "GameArrays":
        def col(key: str, dtype=object) -> np.ndarray:
            return np.array([g[key] for g in games], dtype=dtype)

        nba = col("game_id").copy()
        for x in postponed:
            nba[nba == x["makeup_game_id"]] = x["game_id"]
        return cls(
            gid=col("game_id"), gdate=col("game_date", "datetime64[D]"),
            tip=_npdt([g["tipoff_at"] for g in games]), gtype=col("game_type"),
            home=col("home_team_abbr"), away=col("away_team_abbr"), status=col("game_status"),
            ot=col("ot", np.int64), nba=nba,
            proj=np.array([f"{g['game_date']:%Y%m%d}_{g['away_team_abbr']}_{g['home_team_abbr']}"
                           for g in games], dtype=object),
        )

    def __len__(self) -> int:
        return len(self.gid)


@dataclass(frozen=True)
class NameArrays:
    """Each league player's name as each source prints it, indexed by pid."""

    box: np.ndarray
    odds: np.ndarray
    bettingpros: np.ndarray

    @classmethod
    def of(cls, league: League) -> "NameArrays":
        variants = [variants_for(p.name) for p in league.players]
        return cls(
            box=np.array([v.box for v in variants], dtype=object),
            odds=np.array([v.odds for v in variants], dtype=object),
            bettingpros=np.array([v.bettingpros for v in variants], dtype=object),
        )


def _season_tables(rng: np.random.Generator, b: TableBuilder, league: League, season: Season,
                   cutoff: np.datetime64) -> None:
    games = GameArrays.of(season.games, season.postponed)
    names = NameArrays.of(league)
    _schedule_table(b, season, games, cutoff)
    _note_moves(b, season, league)
    box = _box_tables(rng, b, season, games, names)
    rows = _pregame_rows(season, box, games)
    if rows is None:
        return
    team_of_row = np.where(rows["side"] == 0, games.home[rows["gidx"]], games.away[rows["gidx"]])
    _injury_table(rng, b, season, games, rows, team_of_row, names, cutoff)
    _roster_table(b, season, league, names)
    _season_odds(rng, b, season, games, rows, team_of_row, names, cutoff)


def _schedule_table(b: TableBuilder, season: Season, g: GameArrays, cutoff: np.datetime64) -> None:
    # Final and postponed rows were last updated after their tipoff; rows
    # still scheduled were loaded by the latest scrape (the cut-off).
    loaded = np.where(g.status == "scheduled", cutoff, np.minimum(g.tip + 3 * HOUR, cutoff))
    games = season.games
    b.add("schedule", {
        "game_id": g.gid, "game_date": g.gdate, "tipoff_at": g.tip,
        "season_year": np.full(len(g), season.season_year), "game_type": g.gtype,
        "home_team_abbr": g.home, "away_team_abbr": g.away, "game_status": g.status,
        "home_score": np.array([x["home_score"] for x in games], dtype=object),
        "away_score": np.array([x["away_score"] for x in games], dtype=object),
        "playoff_round": np.array([x["playoff_round"] for x in games], dtype=object),
        "loaded_at": loaded, "nba_game_id": g.nba,
    })
    for x in season.postponed:
        makeup = next(m for m in games if m["game_id"] == x["makeup_game_id"])
        b.note("postponed_game", "nbac_schedule", x["game_id"], x["game_date"],
               f"{x['away_team_abbr']}@{x['home_team_abbr']} postponed (status 3, no scores); "
               f"made up on {makeup['game_date']} under the same game_id")


def _note_moves(b: TableBuilder, season: Season, league: League) -> None:
    state = season.state
    for mv in state.moves:
        p = league.players[int(state.pids[mv["season_index"]])]
        day = state.first_day + dt.timedelta(days=int(mv["day"]))
        if day <= b.config.as_of:
            b.note(mv["kind"], "espn_team_rosters", p.name, day, f"{mv['from']} -> {mv['to']}")


STAT_COLUMNS = ["points", "fg_made", "fg_attempted", "three_made", "three_attempted", "ft_made",
                "ft_attempted", "off_rebounds", "def_rebounds", "assists", "steals", "blocks",
                "turnovers", "fouls"]
TEAM_STAT_COLUMNS = ["points", "fg_made", "fg_attempted", "three_made", "three_attempted", "ft_made",
                     "ft_attempted", "off_rebounds", "def_rebounds", "turnovers"]
STATUS_TEXT = np.array(["active", "dnp", "inactive", "inactive", "inactive", "inactive"], dtype=object)


def _box_tables(rng: np.random.Generator, b: TableBuilder, season: Season, g: GameArrays,
                names: NameArrays) -> dict[str, np.ndarray] | None:
    """Gamebook, team box scores (exact sums of the player lines) and shot events."""
    if not season.box_batches:
        return None
    state = season.state
    box = _concat(season.box_batches)
    gi = box["gidx"]
    pid = state.pids[box["pidx"]]
    team_abbr = np.where(box["side"] == 0, g.home[gi], g.away[gi])
    st = box["status"]
    reasons = np.asarray(INJURY_REASONS, dtype=object)
    reason_inj = reasons[np.maximum(state.injury_reason[box["pidx"], box["day"]], 0)]
    reason_gtd = reasons[rng.integers(len(INJURY_REASONS), size=len(st))]
    dnp_reason = np.select(
        [st == 1, st == 2, st == 3, st == 4, st == 5],
        [np.full(len(st), "Coach's Decision", dtype=object), reason_inj, reason_gtd,
         np.full(len(st), "G League - Two-Way", dtype=object),
         np.full(len(st), "G League - On Assignment", dtype=object)],
        None,
    )
    # One load per game, 2.5-3.5 hours after tipoff (the first row's draw).
    loaded = g.tip[gi] + MIN * rng.integers(150, 210, size=len(st))
    game_loaded = np.zeros(len(g), dtype="datetime64[s]")
    game_loaded[gi[::-1]] = loaded[::-1]
    gamebook = {
        "game_id": g.gid[gi], "game_date": g.gdate[gi], "team_abbr": team_abbr,
        "player_name": names.box[pid], "player_status": STATUS_TEXT[st], "dnp_reason": dnp_reason,
        "minutes": box["minutes"].astype(float),
    }
    gamebook |= {c: box[c] for c in STAT_COLUMNS}
    gamebook |= {"is_starter": box["is_starter"], "loaded_at": game_loaded[gi]}
    margin = np.asarray([0 if x["home_score"] is None else x["home_score"] - x["away_score"]
                         for x in season.games], dtype=np.int64)
    gamebook |= {"nba_game_id": g.nba[gi], "project_game_id": g.proj[gi],
                 "season_year": np.full(len(st), season.season_year),
                 "game_type": g.gtype[gi], "home_team_abbr": g.home[gi], "away_team_abbr": g.away[gi],
                 "pid": pid, "status_code": st, "int_minutes": box["minutes"].astype(np.int64),
                 "team_margin": np.where(box["side"] == 0, margin[gi], -margin[gi])}
    b.add("gamebook_player_stats", gamebook)

    key = gi * 2 + box["side"]
    n_keys = len(g) * 2
    keys = np.nonzero(np.bincount(key, minlength=n_keys) > 0)[0]
    tgi, tside = keys // 2, keys % 2
    team_box = {"game_id": g.gid[tgi], "game_date": g.gdate[tgi],
                "team_abbr": np.where(tside == 0, g.home[tgi], g.away[tgi])}
    for c in TEAM_STAT_COLUMNS:
        team_box[c] = np.bincount(key, weights=box[c], minlength=n_keys)[keys].astype(np.int64)
    team_box["minutes"] = (240 + 25 * g.ot[tgi]).astype(np.int64)
    team_box["loaded_at"] = game_loaded[tgi]
    for c in ("assists", "steals", "blocks", "fouls"):
        team_box[c] = np.bincount(key, weights=box[c], minlength=n_keys)[keys].astype(np.int64)
    team_box |= {"nba_game_id": g.nba[tgi], "project_game_id": g.proj[tgi], "season_year": np.full(len(keys), season.season_year),
                 "game_type": g.gtype[tgi], "is_home": tside == 0,
                 "home_team_abbr": g.home[tgi], "away_team_abbr": g.away[tgi],
                 "team_margin": np.where(tside == 0, margin[tgi], -margin[tgi])}
    b.add("team_box_scores", team_box)
    shots = _shot_events(rng, box, g.gid, g.ot, team_abbr, names.box[pid], game_loaded, pid)
    sgi = shots.pop("gidx")
    nba_int = np.array([int(x) for x in g.nba], dtype=np.int64)
    shots |= {"game_date": g.gdate[sgi], "nba_game_id": g.nba[sgi], "project_game_id": g.proj[sgi],
              "bdb": nba_int[sgi], "game_type": g.gtype[sgi],
              "season_year": np.full(len(sgi), season.season_year),
              "home_team_abbr": g.home[sgi], "away_team_abbr": g.away[sgi]}
    b.add("shot_events", shots)
    # Free throws for the play-by-play's non-shot events (no random draws
    # here: production.py places them in the game).
    ft = box["ft_attempted"] > 0
    b.add("free_throws", {
        "game_id": g.gid[gi][ft], "game_date": g.gdate[gi][ft], "nba_game_id": g.nba[gi][ft],
        "project_game_id": g.proj[gi][ft], "bdb": nba_int[gi][ft],
        "game_type": g.gtype[gi][ft], "season_year": np.full(int(ft.sum()), season.season_year),
        "home_team_abbr": g.home[gi][ft], "away_team_abbr": g.away[gi][ft],
        "team_abbr": team_abbr[ft], "player_name": names.box[pid][ft], "pid": pid[ft],
        "ft_attempted": box["ft_attempted"][ft].astype(np.int64), "ft_made": box["ft_made"][ft].astype(np.int64),
        "periods": (4 + g.ot[gi][ft]).astype(np.int64), "loaded_at": game_loaded[gi][ft],
    })
    return box


def _pregame_rows(season: Season, box: dict[str, np.ndarray] | None,
                  g: GameArrays) -> dict[str, np.ndarray] | None:
    """Player-game rows of regular and playoff games up to the as-of date
    (final games from the box scores, the as-of date's games from rosters)."""
    parts = []
    if box is not None:
        parts.append({k: box[k] for k in ("gidx", "pidx", "day", "status", "rank", "side")}
                     | {"points": box["points"], "played": box["played"], "minutes": box["minutes"]})
    if season.pending_rows is not None:
        pr = season.pending_rows
        m = len(pr["gidx"])
        parts.append({k: pr[k] for k in ("gidx", "pidx", "day", "status", "rank", "side")}
                     | {"points": np.zeros(m, dtype=np.int64), "played": np.zeros(m, dtype=bool),
                        "minutes": np.zeros(m, dtype=np.int64)})
    if not parts:
        return None
    rows = _concat(parts)
    rows["group"] = rows["gidx"] * 2 + rows["side"]
    counted = np.isin(g.gtype[rows["gidx"]], ["regular", "playoffs"])
    return {k: v[counted] for k, v in rows.items()}


def _injury_table(rng: np.random.Generator, b: TableBuilder, season: Season, g: GameArrays,
                  rows: dict[str, np.ndarray], team_of_row: np.ndarray, names: NameArrays,
                  cutoff: np.datetime64) -> None:
    state = season.state
    r1 = _npdt([eastern_to_utc(x["game_date"], 13, 30) for x in season.games])
    r2 = _npdt([eastern_to_utc(x["game_date"], 17, 30) for x in season.games])
    inj = injury_report_rows(rng, state, rows, r1, r2, g.tip, cutoff)
    ir = inj["row"]
    b.add("injury_report", {
        "report_at": inj["report_at"], "game_date": g.gdate[rows["gidx"][ir]],
        "team_abbr": team_of_row[ir], "player_name": names.box[state.pids[rows["pidx"][ir]]],
        "injury_status": inj["injury_status"], "reason": inj["reason"],
        "loaded_at": inj["report_at"] + 10 * MIN,
        "game_id": g.gid[rows["gidx"][ir]], "tipoff": g.tip[rows["gidx"][ir]],
        "project_game_id": g.proj[rows["gidx"][ir]],
        "home_team_abbr": g.home[rows["gidx"][ir]], "away_team_abbr": g.away[rows["gidx"][ir]],
        "season_year": np.full(len(ir), season.season_year),
        "pid": state.pids[rows["pidx"][ir]],
    })
    b.note("after_tipoff_injury_report", "nbac_injury_report", None, None,
           f"season {season.season_year}: {int(inj['n_after_tipoff'])} report rows published after tipoff")


def _roster_table(b: TableBuilder, season: Season, league: League, names: NameArrays) -> None:
    """One row per (date with games up to the as-of date, team, player)."""
    state = season.state
    game_days = np.unique(np.array([state.day_index(x["game_date"]) for x in season.games
                                    if x["game_date"] <= b.config.as_of], dtype=np.int64))
    game_days = game_days[(game_days >= 0) & (game_days < state.n_days)]
    ro = roster_rows(state, game_days)
    rpid = state.pids[ro["pidx"]]
    roster_dates = np.datetime64(state.first_day, "D") + ro["day"] * DAY
    b.add("rosters", {
        "roster_date": roster_dates, "team_abbr": np.array(TEAMS, dtype=object)[ro["team"]],
        "player_name": names.box[rpid],
        "position": np.array([league.players[int(p)].position for p in rpid], dtype=object),
        "birth_date": np.array([league.players[int(p)].birth_date for p in rpid], dtype="datetime64[D]"),
        "roster_status": np.where(ro["two_way"], "two_way", "active").astype(object),
        "loaded_at": roster_dates.astype("datetime64[s]") + 12 * HOUR,
        "pid": rpid, "season_year": np.full(len(rpid), season.season_year),
        "injured": state.injured[ro["pidx"], ro["day"]],
    })


def _prior_average(rows: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Season-to-date points average and played games strictly before each row's day."""
    played = rows["played"]
    key = rows["pidx"].astype(np.int64) * 10_000 + rows["day"]
    pk = key[played]
    order = np.argsort(pk, kind="stable")
    pk = pk[order]
    cum = np.concatenate([[0], np.cumsum(rows["points"][played][order])])
    pos = np.searchsorted(pk, key, "left")
    start = np.searchsorted(pk, rows["pidx"].astype(np.int64) * 10_000, "left")
    count = pos - start
    total = cum[pos] - cum[start]
    return np.where(count > 0, total / np.maximum(count, 1), 0.0), count


def _season_odds(rng: np.random.Generator, b: TableBuilder, season: Season, g: GameArrays,
                 rows: dict[str, np.ndarray], team_of_row: np.ndarray, names: NameArrays,
                 cutoff: np.datetime64) -> None:
    cfg = b.config
    gid, gdate, tip, home, away, nba, proj = g.gid, g.gdate, g.tip, g.home, g.away, g.nba, g.proj
    names_odds, names_bp = names.odds, names.bettingpros
    state = season.state
    games = season.games
    n_games = len(games)
    prior_avg, prior_games = _prior_average(rows)
    # Books price whoever the 1:30 PM report does not list Out, as the
    # scraper-health rule expects (a Doubtful star still gets a line).
    out_morning = out_on_first_report(state, rows)
    n_groups = int(rows["group"].max()) + 1 if len(rows["group"]) else 0
    playoff_group = np.zeros(n_groups, dtype=np.int64)
    playoff_group[rows["group"]] = g.gtype[rows["gidx"]] == "playoffs"
    cand = {"group": rows["group"], "out": out_morning, "rank": rows["rank"],
            "prior_avg": prior_avg, "prior_games": prior_games, "is_playoffs_group": playoff_group}
    form_prev = state.form[rows["pidx"], np.maximum(rows["day"] - 1, 0)]
    lined, book_exp = select_lined(rng, cand, state.talent[rows["pidx"]], form_prev)

    # Coverage modes per game: outage dates (nothing from the odds API, and
    # BettingPros lacks them too), one missed game on 1-2 dates, and a few
    # games only BettingPros covered.
    regular_days = sorted({g["game_date"] for g in games if g["game_type"] == "regular"
                           and g["game_status"] == "final"})
    mode = np.zeros(n_games, dtype=np.int8)  # 0 normal, 1 outage, 2 missed, 3 bettingpros only
    if len(regular_days) > 20:
        pool = regular_days[5:]
        pick = rng.choice(len(pool), size=5, replace=False)
        n_out = 3 if len(regular_days) > 120 else 2
        outage_days = sorted(pool[i] for i in pick[:n_out])
        missed_days = sorted(pool[i] for i in pick[n_out:n_out + (2 if len(regular_days) > 120 else 1)])
        for day in outage_days:
            idx = [g["_index"] for g in games if g["game_date"] == day and g["game_type"] == "regular"]
            mode[idx] = 1
            b.note("odds_api_outage_date", "odds_api_player_points_props", day.isoformat(), day,
                   f"odds API scraped nothing for {len(idx)} games; BettingPros also missing")
        for day in missed_days:
            day_games = [g for g in games if g["game_date"] == day and g["game_type"] == "regular"]
            g = day_games[int(rng.integers(len(day_games)))]
            mode[g["_index"]] = 2
            b.note("odds_api_missed_game", "odds_api_player_points_props",
                   f"{day.isoformat()}|{g['home_team_abbr']}|{g['away_team_abbr']}", day,
                   f"odds API missed game {g['game_id']}; BettingPros also missing")
    eligible_bp = np.nonzero((mode == 0) & np.isin(np.array([g["game_type"] for g in games]), ["regular", "playoffs"]))[0]
    bp_only = eligible_bp[rng.random(len(eligible_bp)) < 0.04]
    mode[bp_only] = 3

    lined_idx = np.nonzero(lined)[0]
    lg = rows["gidx"][lined_idx]
    lined_rows = {"game": lg, "book_exp": book_exp[lined_idx], "key": lined_idx}
    api_sel = mode[lg] == 0
    api_in = {k: v[api_sel] for k, v in lined_rows.items()}
    first_snap = _npdt([eastern_to_utc(g["game_date"], 10, 0) for g in games])
    covered = np.unique(api_in["game"])
    after_tip = covered[rng.random(len(covered)) < 0.08]
    step = 120.0 / max(cfg.scale, 1)
    odds = odds_api_rows(rng, api_in, first_snap, tip, cutoff, step, after_tip)
    og = odds["game"]
    n_after = int((odds["snapshot_at"] > tip[og]).sum())
    b.note("after_tipoff_snapshot", "odds_api_player_points_props", None, None,
           f"season {season.season_year}: {n_after} snapshot rows taken after commence_at (in-game)")
    pid_rows = state.pids[rows["pidx"]]
    b.add("odds_api_player_points_props", {
        "snapshot_at": odds["snapshot_at"],
        "event_id": np.array([_event_id(cfg.seed, x) for x in gid], dtype=object)[og],
        "game_date": gdate[og], "commence_at": tip[og],
        "home_team_abbr": home[og], "away_team_abbr": away[og],
        "bookmaker": odds["book"].astype(object), "player_name": names_odds[pid_rows[odds["row"]]],
        "points_line": odds["points_line"].astype(float),
        "over_price": odds["over_price"], "under_price": odds["under_price"],
        "loaded_at": odds["snapshot_at"] + 2 * MIN, "nba_game_id": nba[og], "project_game_id": proj[og],
        "pid": pid_rows[odds["row"]],
    })

    bp_sel = (mode[lg] == 3) | ((mode[lg] == 0) & (rng.random(len(lg)) < 0.35))
    bp_in = {k: v[bp_sel] for k, v in lined_rows.items()}
    bp = bettingpros_rows(rng, bp_in, tip, gdate.astype("datetime64[s]"), cutoff)
    bg = bp["game"]
    b.add("bettingpros_player_points_props", {
        "created_at": bp["created_at"], "game_date": gdate[bg],
        "player_name": names_bp[pid_rows[bp["row"]]], "team_abbr": team_of_row[bp["row"]],
        "market": np.full(len(bg), "points", dtype=object), "book": bp["book"].astype(object),
        "line": bp["line"].astype(float), "opening_line": bp["opening_line"].astype(float),
        "loaded_at": bp["created_at"] + 5 * MIN,
        "game_id": gid[bg], "pid": pid_rows[bp["row"]], "tipoff": tip[bg],
    })


def _shot_events(rng, box, gid, ot, team_abbr, player_names, game_loaded, pid) -> dict[str, np.ndarray]:
    counts = np.stack([box["paint_att"], box["mid_att"], box["three_attempted"]], axis=1)
    made = np.stack([box["paint_made"], box["mid_made"], box["three_made"]], axis=1)
    flat_counts = counts.ravel()
    row = np.repeat(np.repeat(np.arange(len(counts)), 3), flat_counts)
    zone = np.repeat(np.tile(np.arange(3), len(counts)), flat_counts)
    starts = np.concatenate([[0], np.cumsum(flat_counts)[:-1]])
    within = np.arange(len(row)) - np.repeat(starts, flat_counts)
    is_made = within < np.repeat(made.ravel(), flat_counts)
    gi = box["gidx"][row]
    periods = 4 + ot[gi]
    period = 1 + np.floor(rng.random(len(row)) * periods).astype(np.int64)
    length = np.where(period <= 4, 720, 300)
    left = np.floor(rng.random(len(row)) * length).astype(np.int64)
    dist_lo = np.array([0.0, 8.0, 22.0])[zone]
    dist_hi = np.array([8.0, 22.0, 30.0])[zone]
    distance = np.round(dist_lo + rng.random(len(row)) * (dist_hi - dist_lo), 1)
    distance = np.where((zone == 2) & (distance < 23.75) & (rng.random(len(row)) < 0.7), 24.5, distance)
    order = np.lexsort((-left, period, gi))
    gs = gi[order]
    first = np.concatenate([[0], np.nonzero(np.diff(gs))[0] + 1]) if len(gs) else np.array([], dtype=int)
    grp_start = np.repeat(first, np.diff(np.concatenate([first, [len(gs)]])))
    event_num = np.empty(len(row), dtype=np.int64)
    event_num[order] = np.arange(len(gs)) - grp_start + 1
    clock = np.char.add(np.char.add(np.char.zfill((left // 60).astype(str), 2), ":"),
                        np.char.zfill((left % 60).astype(str), 2))
    cols = {
        "game_id": gid[gi], "event_num": event_num, "player_name": player_names[row],
        "team_abbr": team_abbr[row], "period": period, "clock": clock.astype(object),
        "shot_zone": np.array(["paint", "mid_range", "three"], dtype=object)[zone],
        "shot_distance_ft": distance, "is_made": is_made, "loaded_at": game_loaded[gi],
        "gidx": gi, "left_seconds": left, "pid": pid[row],
    }
    return {k: v[order] for k, v in cols.items()}


# ---------------------------------------------------------------------------
# Defects: a few dozen bad rows the pipeline must catch and report, in the
# production tables' columns. Manifest record keys (docs/sample_data.md):
#   gamebook      game_id|team_abbr|player_name   (game_id YYYYMMDD_AWAY_HOME)
#   team box      game_id|team_abbr
#   odds API      odds_api_event_id|bookmaker|player_name|snapshot_timestamp
# ---------------------------------------------------------------------------
GAMEBOOK = "nbac_gamebook_player_stats"
TEAM_BOX = "nbac_team_boxscore"
ODDS = "odds_api_player_points_props"
PBP = "bigdataball_play_by_play"


def _regular_final_games(t: dict[str, dict[str, np.ndarray]]) -> np.ndarray:
    """YYYYMMDD_AWAY_HOME ids of the final regular-season games."""
    sc = t["nbac_schedule"]
    ok = (sc["is_regular_season"] & (sc["game_status"] == 3)
          & ~np.ma.getmaskarray(sc["home_team_score"]))
    ids = production.project_game_id(sc["game_date"][ok], sc["away_team_tricode"][ok], sc["home_team_tricode"][ok])
    return np.unique(ids.astype(str))


def _inject_defects(rng: np.random.Generator, t: dict[str, dict[str, np.ndarray]], b: TableBuilder) -> None:
    gb = t[GAMEBOOK]
    box_games = np.intersect1d(np.unique(gb["game_id"].astype(str)), _regular_final_games(t)).astype(object)
    if len(box_games) >= 20:
        _box_defects(rng, t, b, box_games)
    if len(t[ODDS]["snapshot_timestamp"]) >= 100:
        _odds_defects(rng, t, b)


def _box_defects(rng: np.random.Generator, t: dict[str, dict[str, np.ndarray]], b: TableBuilder,
                 box_games: np.ndarray) -> None:
    gb = t[GAMEBOOK]
    chosen_games = rng.choice(box_games, size=8, replace=False)
    late, missing = chosen_games[:5], chosen_games[5:]
    for g in late:
        rows = gb["game_id"] == g
        day = gb["game_date"][rows][0]
        when = day.astype("datetime64[s]") + DAY + HOUR * int(rng.integers(16, 31))
        gb["processed_at"][rows] = when
        for name in (TEAM_BOX, PBP):
            tb = t[name]
            hit = tb["game_id"] == g
            tb["processed_at"][hit] = when
            tb["created_at"][hit] = when
        b.note("late_box_score", GAMEBOOK, str(g), day.item(), f"processed_at {when}")
    tb = t[TEAM_BOX]
    drop = np.zeros(len(tb["game_id"]), dtype=bool)
    for k, g in enumerate(missing):
        rows = np.nonzero(tb["game_id"] == g)[0]
        rows = rows if k < 2 else rows[:1]  # two games lose both teams, one loses one team
        drop[rows] = True
        for r in rows:
            b.note("missing_team_box", TEAM_BOX, f"{g}|{tb['team_abbr'][r]}",
                   tb["game_date"][r].item(), "team box row absent; player lines exist")
    t[TEAM_BOX] = production.select(tb, ~drop)

    gb_ids = gb["game_id"].astype(str)
    played = np.nonzero((gb["player_status"] == "active") & (gb["minutes_decimal"] > 0)
                        & np.isin(gb_ids, box_games.astype(str))
                        & ~np.isin(gb_ids, chosen_games.astype(str)))[0]
    picks = rng.choice(played, size=4, replace=False)

    def key(i: int) -> str:
        return f"{gb['game_id'][i]}|{gb['team_abbr'][i]}|{gb['player_name'][i]}"

    i = picks[0]
    b.note("null_player_name", GAMEBOOK, key(i), gb["game_date"][i].item(),
           "player_name (and player_lookup) set to NULL")
    gb["player_name"][i] = None
    gb["player_lookup"][i] = None
    i = picks[1]
    b.note("unknown_team_code", GAMEBOOK, key(i), gb["game_date"][i].item(),
           f"team_abbr {gb['team_abbr'][i]} replaced by XXX")
    b.manifest[-1]["record_key"] = f"{gb['game_id'][i]}|XXX|{gb['player_name'][i]}"
    gb["team_abbr"][i] = "XXX"
    i = picks[2]
    b.note("negative_points", GAMEBOOK, key(i), gb["game_date"][i].item(),
           f"points {gb['points'][i]} replaced by -5 (team box keeps the true total)")
    gb["points"][i] = -5
    i = picks[3]
    b.note("impossible_minutes", GAMEBOOK, key(i), gb["game_date"][i].item(),
           f"minutes {gb['minutes'][i]} replaced by 80:00")
    gb["minutes"][i] = "80:00"
    gb["minutes_decimal"][i] = 80.0


def _odds_defects(rng: np.random.Generator, t: dict[str, dict[str, np.ndarray]], b: TableBuilder) -> None:
    od = t[ODDS]
    pre = np.nonzero(od["snapshot_timestamp"] <= od["game_start_time"])[0]
    picks = rng.choice(pre, size=3 + 12, replace=False)

    def okey(i: int) -> str:
        return (f"{od['odds_api_event_id'][i]}|{od['bookmaker'][i]}|{od['player_name'][i]}"
                f"|{od['snapshot_timestamp'][i]}")

    i = picks[0]
    b.note("null_player_name", ODDS, okey(i), od["game_date"][i].item(),
           "player_name (and player_lookup) set to NULL")
    od["player_name"][i] = None
    od["player_lookup"][i] = None
    i = picks[1]
    b.note("line_zero", ODDS, okey(i), od["game_date"][i].item(),
           f"points_line {od['points_line'][i]} replaced by 0")
    od["points_line"][i] = 0.0
    i = picks[2]
    b.note("line_too_high", ODDS, okey(i), od["game_date"][i].item(),
           f"points_line {od['points_line'][i]} replaced by 250")
    od["points_line"][i] = 250.0
    dups = picks[3:]
    for i in dups:
        b.note("duplicate_snapshot", ODDS, okey(i), od["game_date"][i].item(),
               "row present twice (exact duplicate)")
    t[ODDS] = production.concat_cols([od, production.select(od, dups)])


def _reload_games(rng: np.random.Generator, t: dict[str, dict[str, np.ndarray]], b: TableBuilder) -> None:
    """A few games were loaded twice (gamebook and team box): the same rows
    again with a newer processed_at. Games with a defect are left alone."""
    gb, tb = t[GAMEBOOK], t[TEAM_BOX]
    touched = {str(m["record_key"]).split("|")[0] for m in b.manifest if m["table_name"] in (GAMEBOOK, TEAM_BOX)}
    candidates = np.array(sorted(set(np.intersect1d(gb["game_id"].astype(str), tb["game_id"].astype(str)).tolist())
                                 - touched), dtype=object)
    if len(candidates) < 50:
        return
    games = rng.choice(candidates, size=max(2, len(candidates) // 500), replace=False)
    for name in (GAMEBOOK, TEAM_BOX):
        table = t[name]
        rows = np.nonzero(np.isin(table["game_id"].astype(str), games.astype(str)))[0]
        again = production.select(table, rows)
        again["processed_at"] = again["processed_at"] + HOUR * 20
        t[name] = production.concat_cols([table, again])
    for g in sorted(games):
        day = gb["game_date"][np.nonzero(gb["game_id"] == g)[0][0]]
        b.note("reloaded_box_score", GAMEBOOK, str(g), day.item(),
               "gamebook and team box rows of the game loaded a second time, 20 hours later (same values)")


# ---------------------------------------------------------------------------
# Arrow schemas and the DuckDB writer
# ---------------------------------------------------------------------------
MANIFEST_SCHEMA = [("kind", pa.string()), ("table_name", pa.string()), ("record_key", pa.string()),
                   ("game_date", pa.date32()), ("detail", pa.string()), ("loaded_at", pa.timestamp("us"))]
# Every table written, with its arrow columns: the production tables from
# models/staging/_sources.yml (python_hooks/raw_contract.py), then the
# sample-only manifest.
SCHEMAS: dict[str, list[tuple[str, pa.DataType]]] = {
    name: [(c.name, raw_contract.arrow_type(c.bq_type)) for c in cols]
    for name, cols in raw_contract.tables().items()
} | {"generation_manifest": MANIFEST_SCHEMA}
# Columns a row's data_hash does not cover (the load bookkeeping).
_UNHASHED = {"data_hash", "processed_at", "created_at", "source_file_path"}


def to_arrow(name: str, cols: dict[str, np.ndarray]) -> pa.Table:
    arrays = []
    for col, typ in SCHEMAS[name]:
        if col == "data_hash" and col not in cols:
            arrays.append(pa.nulls(len(next(iter(cols.values()))), type=typ))
            continue
        values = cols[col]
        mask = None
        if isinstance(values, np.ma.MaskedArray):
            mask = np.ma.getmaskarray(values)
            values = values.data
        if pa.types.is_timestamp(typ):
            values = np.asarray(values).astype("datetime64[us]")
        elif pa.types.is_date(typ) and np.asarray(values).dtype.kind == "M":
            values = np.asarray(values).astype("datetime64[D]")
        elif values.dtype == object and pa.types.is_integer(typ):
            values = list(values)
        if mask is not None and mask.any():
            arrays.append(pa.array(values, type=typ, mask=mask))
        else:
            arrays.append(pa.array(values, type=typ, from_pandas=True))
    return pa.Table.from_arrays(arrays, names=[c for c, _ in SCHEMAS[name]])


def manifest_columns(manifest: list[dict], loaded_at: dt.datetime) -> dict[str, np.ndarray]:
    order = sorted(range(len(manifest)), key=lambda i: (manifest[i]["kind"], str(manifest[i]["game_date"]),
                                                         str(manifest[i]["record_key"])))
    rows = [manifest[i] for i in order]
    return {
        "kind": np.array([r["kind"] for r in rows], dtype=object),
        "table_name": np.array([r["table_name"] for r in rows], dtype=object),
        "record_key": np.array([r["record_key"] for r in rows], dtype=object),
        "game_date": np.array([r["game_date"] for r in rows], dtype="datetime64[D]"),
        "detail": np.array([r["detail"] for r in rows], dtype=object),
        "loaded_at": np.full(len(rows), np.datetime64(loaded_at, "s")),
    }


def _hashed_select(name: str) -> str:
    """``select *`` with data_hash = DuckDB's 64-bit hash of the row's content
    columns as 16 hex digits. Production stores a SHA-256 digest; nothing in
    the project reads the value, only its role (equal for identical content),
    and a SHA-256 over a million rows would double the write time."""
    cols = [c for c, _ in SCHEMAS[name]]
    if "data_hash" not in cols:
        return "select * from _gen_tmp"
    parts = ", ".join(c for c in cols if c not in _UNHASHED)
    return f"select * replace (printf('%016x', hash({parts})) as data_hash) from _gen_tmp"


def write_duckdb(db_path: str | Path, built: Built, config: Config, echo=print) -> dict[str, int]:
    """Write every table into schema nba_raw of ``db_path``. Consumes
    ``built.tables`` (each table is released once written: memory)."""
    import duckdb

    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path))
    counts: dict[str, int] = {}
    try:
        con.execute(f"create schema if not exists {RAW_SCHEMA}")
        # Tables of earlier layouts of the sample go: the schema holds exactly
        # the raw interface and the manifest.
        stale = [n for (n,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [RAW_SCHEMA]).fetchall() if n not in SCHEMAS]
        for n in stale:
            con.execute(f'drop table if exists {RAW_SCHEMA}."{n}"')
            con.execute(f'drop view if exists {RAW_SCHEMA}."{n}"')
        tables = built.tables
        tables["generation_manifest"] = manifest_columns(built.manifest, config.as_of_at)
        for name in SCHEMAS:
            started = time.perf_counter()
            arrow = to_arrow(name, tables.pop(name))
            con.register("_gen_tmp", arrow)
            con.execute(f"create or replace table {RAW_SCHEMA}.{name} as {_hashed_select(name)}")
            con.unregister("_gen_tmp")
            counts[name] = arrow.num_rows
            del arrow
            echo(f"{RAW_SCHEMA}.{name}: {counts[name]} rows ({time.perf_counter() - started:.2f}s to write)")
    finally:
        con.close()
    return counts
