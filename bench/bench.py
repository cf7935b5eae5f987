"""Benchmark suite: cold builds, daily run, backfill and scaling.

For each scale tier it generates a sample with `nba-fs generate`, then measures
on copies of that raw-only DuckDB file (each in its own work directory):

- cold full build: `dbt build --full-refresh` (seeds, models, tests) on a file
  holding only the raw data; wall time and peak RSS of the process tree
  (sampled from /proc, every process descending from dbt summed);
- daily run: `dbt run` of the date-window models for the latest final game
  date, after the full build; and dbt's fixed cost, measured the same way on
  a selection that matches nothing (start, parse, no model) and on a window
  with no games (every model runs, over an empty window);
- backfill: `nba-fs backfill` of 60 scheduled game dates (one chunk);
- the ten slowest models of the cold build (`run_results.json`);
- scaling (optional): cold build time for 1, 2, 4 and 8 consecutive seasons
  at the default snapshot density.

Timed steps run `--runs` times; the table shows the median (JSON keeps all).

    .venv/bin/python bench/bench.py --tiers S,M [--runs 3] [--scaling]
    make bench TIERS=S,M RUNS=3 SCALING=1

Tiers: S = one season (2025-26), M = the default preset, L = `--scale 10`
(ten seasons, ten times the odds snapshot density).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"

FULL_BUILD_VARS = "{gate_severity: warn}"
# The date-window models (configured through date_window_incremental_config).
DATE_WINDOW_SELECT = "config.incremental_strategy:replace_date_window"
# A selection no node matches: dbt starts, parses and stops (fixed cost).
EMPTY_SELECT = "tag:bench_matches_nothing"
# A date with no games in any season (mid-August, off-season).
NO_GAME_MONTH_DAY = (8, 15)
BACKFILL_DATES = 60

TIERS: dict[str, list[str]] = {
    "S": ["--seasons", "2025"],
    "M": ["--preset", "default"],
    "L": ["--preset", "default", "--scale", "10"],
}
TIER_LABEL = {
    "S": "one season (2025-26)",
    "M": "default preset (2021, 2024, 2025, 2026 to 2026-11-27)",
    "L": "--scale 10 (2017-2026, 10x odds snapshots)",
}
SCALING_LATEST = 2025  # last complete season of the default as-of date


# ---------------------------------------------------------------------------
# Measuring a command: wall time and peak RSS of its process tree
# ---------------------------------------------------------------------------


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode(errors="replace")
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, split after ')'
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_bytes(root: int) -> int:
    """Sum of the resident set sizes of `root` and all its descendants."""
    children = _children_map()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss_bytes(pid)
        stack.extend(children.get(pid, []))
    return total


@dataclass
class Measure:
    seconds: float
    peak_rss_mb: float
    returncode: int
    load_avg: tuple[float, float, float]


def measure(cmd: list[str], env: dict[str, str], log: Path, interval: float = 0.2) -> Measure:
    """Run `cmd` (output to `log`), timing it and sampling its tree's RSS."""
    peak = [0]
    with open(log, "ab") as out:
        out.write(("\n$ " + " ".join(cmd) + "\n").encode())
        out.flush()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], tree_rss_bytes(proc.pid))
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = proc.wait()
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    return Measure(round(seconds, 2), round(peak[0] / 2**20, 1), returncode, os.getloadavg())


# ---------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------


@dataclass
class Workspace:
    """One DuckDB file with its own dbt target/log dirs (isolated runs)."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / "nba.duckdb"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DBT_PROFILES_DIR=str(ROOT),
            NBA_DUCKDB_PATH=str(self.db),
            DBT_TARGET_PATH=str(self.root / "target"),
            DBT_LOG_PATH=str(self.root / "logs"),
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        )
        return env

    def fresh_copy_of(self, template: Path) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        shutil.copyfile(template, self.db)


def check(m: Measure, what: str, log: Path) -> Measure:
    if m.returncode != 0:
        raise SystemExit(f"{what} failed (exit {m.returncode}); see {log}")
    return m


def dbt(*args: str) -> list[str]:
    return [str(BIN / "dbt"), *args]


def generate(db: Path, gen_args: list[str], log: Path) -> Measure:
    if db.exists():
        db.unlink()
    db.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(BIN / "nba-fs"), "generate", "--db", str(db), *gen_args]
    return check(measure(cmd, dict(os.environ), log), "generate", log)


def cold_build(ws: Workspace, template: Path, log: Path) -> Measure:
    ws.fresh_copy_of(template)
    cmd = dbt("build", "--full-refresh", "--vars", FULL_BUILD_VARS)
    return check(measure(cmd, ws.env(), log), "cold dbt build", log)


def slowest_models(ws: Workspace, top: int = 10) -> list[dict[str, Any]]:
    results = json.loads((ws.root / "target" / "run_results.json").read_text())["results"]
    models = [r for r in results if r["unique_id"].startswith("model.")]
    models.sort(key=lambda r: r["execution_time"], reverse=True)
    return [
        {"model": r["unique_id"].split(".")[-1], "seconds": round(r["execution_time"], 2)}
        for r in models[:top]
    ]


def build_totals(ws: Workspace) -> dict[str, float]:
    results = json.loads((ws.root / "target" / "run_results.json").read_text())["results"]
    totals: dict[str, float] = {}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        totals[kind] = round(totals.get(kind, 0.0) + r["execution_time"], 2)
    return totals


def query_one(db: Path, sql: str) -> Any:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def latest_final_date(db: Path) -> dt.date:
    return query_one(db, "select max(game_date) from nba_raw.schedule where game_status = 'final'")


def backfill_range(db: Path, n: int) -> tuple[dt.date, dt.date, int]:
    """The first `n` scheduled game dates from Nov 1 of the latest complete season."""
    latest = query_one(
        db,
        "select max(season_year) from nba_raw.schedule"
        " where game_type = 'playoffs' and game_status = 'final'",
    ) or query_one(db, "select min(season_year) from nba_raw.schedule")
    first = dt.date(int(latest), 11, 1)
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select distinct game_date from nba_raw.schedule where game_date >= ?"
            " order by game_date limit ?",
            [first, n],
        ).fetchall()
    return rows[0][0], rows[-1][0], len(rows)


def window_vars(day: dt.date) -> str:
    return f"{{start_date: '{day.isoformat()}', end_date: '{day.isoformat()}'}}"


def daily_runs(ws: Workspace, runs: int, log: Path) -> dict[str, Any]:
    day = latest_final_date(ws.db)
    no_game = dt.date(day.year, *NO_GAME_MONTH_DAY)
    env = ws.env()
    daily_cmd = dbt("run", "--select", DATE_WINDOW_SELECT, "--vars", window_vars(day))
    empty_cmd = dbt("run", "--select", EMPTY_SELECT, "--vars", window_vars(day))
    no_game_cmd = dbt("run", "--select", DATE_WINDOW_SELECT, "--vars", window_vars(no_game))
    daily, empty, no_games = [], [], []
    for _ in range(runs):
        # A production daily run has new dates in --vars, so dbt re-parses the
        # project every time; every command here pays that same full parse.
        for cmd, sink, what in (
            (daily_cmd, daily, "daily run"),
            (empty_cmd, empty, "fixed cost (empty selection)"),
            (no_game_cmd, no_games, "fixed cost (no-game window)"),
        ):
            (ws.root / "target" / "partial_parse.msgpack").unlink(missing_ok=True)
            sink.append(check(measure(cmd, env, log), what, log))
    d = statistics.median(m.seconds for m in daily)
    e = statistics.median(m.seconds for m in empty)
    n = statistics.median(m.seconds for m in no_games)
    return {
        "date": day.isoformat(),
        "no_game_date": no_game.isoformat(),
        "command": " ".join(daily_cmd),
        "daily": [asdict(m) for m in daily],
        "fixed_empty_selection": [asdict(m) for m in empty],
        "fixed_no_game_window": [asdict(m) for m in no_games],
        "daily_median_s": d,
        "fixed_empty_median_s": e,
        "fixed_no_game_median_s": n,
        "ratio_to_empty_selection": round(d / e, 2) if e else None,
        "ratio_to_no_game_window": round(d / n, 2) if n else None,
        "models": model_count(ws),
    }


def model_count(ws: Workspace) -> int:
    results = json.loads((ws.root / "target" / "run_results.json").read_text())["results"]
    return sum(1 for r in results if r["unique_id"].startswith("model."))


def backfill(ws: Workspace, log: Path) -> dict[str, Any]:
    start, end, n = backfill_range(ws.db, BACKFILL_DATES)
    state = ws.root / "backfill_state"
    cmd = [
        str(BIN / "nba-fs"), "backfill", "--start-date", start.isoformat(),
        "--end-date", end.isoformat(), "--db", str(ws.db), "--state-dir", str(state),
        "--no-resume", "--skip-preflight",
    ]
    m = check(measure(cmd, ws.env(), log), "backfill", log)
    return {
        "start": start.isoformat(), "end": end.isoformat(), "dates": n,
        "command": " ".join(cmd), **asdict(m),
        "seconds_per_date": round(m.seconds / n, 3),
    }


# ---------------------------------------------------------------------------
# Tiers
# ---------------------------------------------------------------------------


@dataclass
class TierResult:
    tier: str
    label: str
    generate_args: list[str]
    raw_rows: int = 0
    odds_rows: int = 0
    generate: dict[str, Any] = field(default_factory=dict)
    cold_builds: list[dict[str, Any]] = field(default_factory=list)
    cold_median_s: float = 0.0
    peak_rss_max_mb: float = 0.0
    build_totals: dict[str, float] = field(default_factory=dict)
    slowest_models: list[dict[str, Any]] = field(default_factory=list)
    daily: dict[str, Any] = field(default_factory=dict)
    backfill: dict[str, Any] = field(default_factory=dict)


def raw_counts(db: Path) -> tuple[int, int]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            r[0] for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'nba_raw'"
            ).fetchall()
        ]
        counts = {t: con.execute(f"select count(*) from nba_raw.{t}").fetchone()[0] for t in tables}
    return sum(counts.values()), counts.get("odds_api_player_points_props", 0)


def run_tier(tier: str, runs: int, work: Path, with_daily: bool, with_backfill: bool) -> TierResult:
    log = work / f"{tier}.log"
    template = work / f"{tier}_raw.duckdb"
    result = TierResult(tier, TIER_LABEL[tier], TIERS[tier])
    print(f"[{tier}] generate {' '.join(TIERS[tier])}", flush=True)
    result.generate = asdict(generate(template, TIERS[tier], log))
    result.raw_rows, result.odds_rows = raw_counts(template)
    ws = Workspace(work / f"{tier}_ws")
    builds = []
    for i in range(runs):
        m = cold_build(ws, template, log)
        print(f"[{tier}] cold build {i + 1}/{runs}: {m.seconds:.1f}s, "
              f"peak {m.peak_rss_mb:.0f} MB, load {m.load_avg[0]:.2f}", flush=True)
        builds.append(m)
    result.cold_builds = [asdict(m) for m in builds]
    result.cold_median_s = statistics.median(m.seconds for m in builds)
    result.peak_rss_max_mb = max(m.peak_rss_mb for m in builds)
    result.build_totals = build_totals(ws)
    result.slowest_models = slowest_models(ws)
    if with_daily:
        result.daily = daily_runs(ws, runs, log)
        print(f"[{tier}] daily {result.daily['daily_median_s']:.1f}s, fixed (empty) "
              f"{result.daily['fixed_empty_median_s']:.1f}s", flush=True)
    if with_backfill:
        result.backfill = backfill(ws, log)
        print(f"[{tier}] backfill {result.backfill['dates']} dates "
              f"{result.backfill['seconds']:.1f}s", flush=True)
    shutil.rmtree(ws.root, ignore_errors=True)
    template.unlink(missing_ok=True)
    return result


def scaling(counts: list[int], work: Path, known: dict[int, float]) -> dict[str, Any]:
    """Cold build time for N consecutive seasons ending at SCALING_LATEST."""
    log = work / "scaling.log"
    rows = []
    for n in counts:
        seasons = ",".join(str(y) for y in range(SCALING_LATEST - n + 1, SCALING_LATEST + 1))
        if n in known:
            rows.append({"seasons": n, "season_years": seasons, "seconds": known[n],
                         "note": "median of the tier's cold builds"})
            continue
        template = work / f"scale{n}_raw.duckdb"
        generate(template, ["--seasons", seasons], log)
        ws = Workspace(work / f"scale{n}_ws")
        m = cold_build(ws, template, log)
        print(f"[scaling] {n} seasons: {m.seconds:.1f}s, peak {m.peak_rss_mb:.0f} MB, "
              f"load {m.load_avg[0]:.2f}", flush=True)
        rows.append({"seasons": n, "season_years": seasons, **asdict(m)})
        shutil.rmtree(ws.root, ignore_errors=True)
        template.unlink(missing_ok=True)
    by_n = {r["seasons"]: r["seconds"] for r in rows}
    ratio = round(by_n[max(by_n)] / by_n[min(by_n)], 2) if len(by_n) > 1 else None
    return {"rows": rows, f"ratio_{max(by_n)}_to_{min(by_n)}": ratio}


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def table(tiers: list[TierResult], scale: dict[str, Any] | None) -> str:
    lines = [
        f"{'tier':<5}{'raw rows':>11}{'odds rows':>11}{'cold s':>8}{'peak MB':>9}"
        f"{'daily s':>9}{'fixed s':>9}{'ratio':>7}{'bf s':>8}{'s/date':>8}",
    ]
    for t in tiers:
        d, b = t.daily, t.backfill
        lines.append(
            f"{t.tier:<5}{t.raw_rows:>11,}{t.odds_rows:>11,}{t.cold_median_s:>8.1f}"
            f"{t.peak_rss_max_mb:>9.0f}"
            f"{d.get('daily_median_s', float('nan')):>9.1f}"
            f"{d.get('fixed_empty_median_s', float('nan')):>9.1f}"
            f"{d.get('ratio_to_empty_selection') or float('nan'):>7.2f}"
            f"{b.get('seconds', float('nan')):>8.1f}{b.get('seconds_per_date', float('nan')):>8.3f}"
        )
    for t in tiers:
        lines.append(f"\n[{t.tier}] ten slowest models (cold build, seconds):")
        lines.extend(f"  {m['seconds']:>7.2f}  {m['model']}" for m in t.slowest_models)
    if scale:
        lines.append("\nscaling (cold build, default snapshot density):")
        lines.extend(f"  {r['seasons']} season(s) {r['season_years']:<40}{r['seconds']:>8.1f}s"
                     for r in scale["rows"])
        lines.extend(f"  {k}: {v}" for k, v in scale.items() if k.startswith("ratio"))
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    mem_kb = 0
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = platform.processor()
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu": cpu, "mem_gb": round(mem_kb / 2**20, 1),
            "platform": platform.platform(), "python": platform.python_version()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default="S,M", help="comma-separated among S,M,L")
    parser.add_argument("--runs", type=int, default=3, help="repetitions of timed steps")
    parser.add_argument("--scaling", action="store_true", help="also 1/2/4/8-season builds")
    parser.add_argument("--scaling-seasons", default="1,2,4,8")
    parser.add_argument("--one-season-s", type=float, default=None,
                        help="known 1-season cold build seconds (skips that build)")
    parser.add_argument("--no-daily", action="store_true")
    parser.add_argument("--no-backfill", action="store_true")
    parser.add_argument("--work", default=str(RESULTS / "work"), help="scratch directory")
    parser.add_argument("--out", default=None, help="JSON path (default bench/results/...)")
    args = parser.parse_args(argv)
    tiers = [t.strip().upper() for t in args.tiers.split(",") if t.strip()]
    if not tiers and not args.scaling:
        parser.error("nothing to do: give --tiers and/or --scaling")
    unknown = [t for t in tiers if t not in TIERS]
    if unknown:
        parser.error(f"unknown tier(s) {unknown}; choose among {sorted(TIERS)}")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    report: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(), "load_avg_start": os.getloadavg(),
        "argv": sys.argv, "tiers": [],
    }
    results = []
    for tier in tiers:
        results.append(run_tier(tier, args.runs, work, not args.no_daily, not args.no_backfill))
    scale = None
    if args.scaling:
        known = {1: r.cold_median_s for r in results if r.tier == "S"}
        if args.one_season_s is not None:
            known[1] = args.one_season_s
        counts = [int(n) for n in args.scaling_seasons.split(",")]
        scale = scaling(counts, work, known)
    report["tiers"] = [asdict(r) for r in results]
    report["scaling"] = scale
    report["load_avg_end"] = os.getloadavg()
    report["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    out = Path(args.out) if args.out else RESULTS / f"bench_{started:%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str))
    (out.parent / "latest.json").write_text(out.read_text())
    print()
    print(table(results, scale))
    print(f"\nload average start {report['load_avg_start']}, end {report['load_avg_end']}")
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
