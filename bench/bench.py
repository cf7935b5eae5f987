"""Benchmark suite: cold builds, daily run, backfill and scaling.

For each scale tier it generates a sample with `nba-fs generate`, then measures
on copies of that raw-only DuckDB file (each in its own work directory):

- cold full build: `dbt build --full-refresh` (seeds, models, tests) on a file
  holding only the raw data; wall time and peak RSS of the process tree
  (sampled from /proc, every process descending from dbt summed);
- daily run: the production command, `dbt run` of the date-window models
  with no vars (the window from the run date, NBA_RUN_DATE), a new run date
  each time and dbt's partial parse kept; against dbt's fixed cost measured
  the same way (a selection that matches nothing: start, partial parse, no
  model). Also the former way, the window in `--vars` (which makes dbt
  re-parse the whole project) with the same command and the empty selection
  (both with a full parse), and a window with no games;
- backfill: `nba-fs backfill` of 60 scheduled game dates (one chunk, and in
  chunks of 15: the project is parsed once either way); baseline in the same
  run: one `dbt run` of the same selection and dates with `--vars`, which is
  what each chunk cost when the window went through vars (full re-parse);
- the ten slowest models of the cold build (`run_results.json`);
- scaling (optional): cold build time for 1, 2, 4 and 8 consecutive seasons
  at the default snapshot density.

Timed steps run `--runs` times; the table shows the median (JSON keeps all).

    .venv/bin/python bench/bench.py --tiers S,M [--runs 3] [--scaling]
    make bench TIERS=S,M RUNS=3 SCALING=1
    # daily run and backfill only, on a copy of a built warehouse:
    .venv/bin/python bench/bench.py --built /tmp/ci.duckdb --run-date 2026-11-27

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
BACKFILL_SELECT = "tag:phase4 tag:phase5"  # nba-fs backfill's default selection

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


# A final game in the raw schedule: status 3 with scores (status 3 without
# scores is a postponement).
FINAL = "game_status = 3 and home_team_score is not null"


def latest_final_date(db: Path) -> dt.date:
    return query_one(db, f"select max(game_date) from nba_raw.nbac_schedule where {FINAL}")


def backfill_range(db: Path, n: int) -> tuple[dt.date, dt.date, int]:
    """The first `n` scheduled game dates from Nov 1 of the latest complete season."""
    latest = query_one(
        db,
        f"select max(season_year) from nba_raw.nbac_schedule where is_playoffs and {FINAL}",
    ) or query_one(db, "select min(season_year) from nba_raw.nbac_schedule")
    first = dt.date(int(latest), 11, 1)
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select distinct game_date from nba_raw.nbac_schedule where game_date >= ?"
            " order by game_date limit ?",
            [first, n],
        ).fetchall()
    return rows[0][0], rows[-1][0], len(rows)


def window_vars(day: dt.date) -> str:
    return f"{{start_date: '{day.isoformat()}', end_date: '{day.isoformat()}'}}"


def dbt_log_lines(ws: Workspace) -> int:
    log = ws.root / "logs" / "dbt.log"
    return len(log.read_text(errors="replace").splitlines()) if log.exists() else 0


def reparsed(ws: Workspace, since: int) -> list[str]:
    """dbt's log lines since line `since` that say it (re-)parsed files."""
    lines = (ws.root / "logs" / "dbt.log").read_text(errors="replace").splitlines()[since:]
    return [line.split("]: ", 1)[-1] for line in lines
            if "Unable to do partial parsing" in line or "Partial parsing: " in line]


def daily_runs(ws: Workspace, runs: int, log: Path, run_date: dt.date | None = None) -> dict[str, Any]:
    """`run_date`: the run date of the built warehouse (default the day
    after the latest final game date)."""
    day = latest_final_date(ws.db)
    run_day = run_date or day + dt.timedelta(days=1)
    no_game = dt.date(day.year, *NO_GAME_MONTH_DAY)
    env = ws.env()
    daily_cmd = dbt("run", "--select", DATE_WINDOW_SELECT)
    empty_cmd = dbt("run", "--select", EMPTY_SELECT)
    vars_daily_cmd = dbt("run", "--select", DATE_WINDOW_SELECT, "--vars", window_vars(day))
    vars_empty_cmd = dbt("run", "--select", EMPTY_SELECT, "--vars", window_vars(day))
    no_game_cmd = dbt("run", "--select", DATE_WINDOW_SELECT, "--vars", window_vars(no_game))
    daily, empty, vars_daily, vars_empty, no_games = [], [], [], [], []
    reparse_lines: list[str] = []
    # One parse first: every daily run after it is on a new run date and
    # reuses that parse (partial parsing), as production does day after day.
    check(measure(empty_cmd, env | {"NBA_RUN_DATE": (run_day - dt.timedelta(days=30)).isoformat()},
                  log), "first parse", log)
    for i in range(runs):
        for cmd, sink, what, offset in (
            (daily_cmd, daily, "daily run", 0),
            (empty_cmd, empty, "fixed cost (empty selection)", 1),
        ):
            # a new date every time: run_day, then one day before, ...
            new_day = run_day - dt.timedelta(days=2 * i + offset)
            since = dbt_log_lines(ws)
            sink.append(check(measure(cmd, env | {"NBA_RUN_DATE": new_day.isoformat()}, log),
                              what, log))
            reparse_lines += reparsed(ws, since)
    # The whole production daily command (selectors.yml `daily`: every
    # model, seed and data test), on new run dates, partial parse kept.
    build_cmd = dbt("build", "--selector", "daily")
    daily_build = []
    for i in range(runs):
        new_day = run_day - dt.timedelta(days=2 * runs + 2 * i)
        since = dbt_log_lines(ws)
        # gates may fail on a sample date: the time is what is measured
        daily_build.append(measure(build_cmd, env | {"NBA_RUN_DATE": new_day.isoformat()}, log))
        reparse_lines += reparsed(ws, since)
    for _ in range(runs):
        # The former daily run: new dates in --vars make dbt re-parse the
        # project every time; each command here pays that same full parse.
        for cmd, sink, what in (
            (vars_daily_cmd, vars_daily, "daily run (--vars)"),
            (vars_empty_cmd, vars_empty, "fixed cost (empty selection, full parse)"),
            (no_game_cmd, no_games, "fixed cost (no-game window)"),
        ):
            (ws.root / "target" / "partial_parse.msgpack").unlink(missing_ok=True)
            sink.append(check(measure(cmd, env, log), what, log))
    d = statistics.median(m.seconds for m in daily)
    e = statistics.median(m.seconds for m in empty)
    vd = statistics.median(m.seconds for m in vars_daily)
    ve = statistics.median(m.seconds for m in vars_empty)
    n = statistics.median(m.seconds for m in no_games)
    b = statistics.median(m.seconds for m in daily_build)
    return {
        "date": day.isoformat(),
        "run_date": run_day.isoformat(),
        "no_game_date": no_game.isoformat(),
        "command": " ".join(daily_cmd) + "  (NBA_RUN_DATE=<a new date each run>)",
        "daily": [asdict(m) for m in daily],
        "fixed_empty_selection": [asdict(m) for m in empty],
        "daily_with_vars": [asdict(m) for m in vars_daily],
        "fixed_empty_selection_full_parse": [asdict(m) for m in vars_empty],
        "fixed_no_game_window": [asdict(m) for m in no_games],
        "daily_median_s": d,
        "daily_build_command": " ".join(build_cmd) + "  (NBA_RUN_DATE=<a new date each run>)",
        "daily_build": [asdict(m) for m in daily_build],
        "daily_build_median_s": b,
        "ratio_daily_build_to_empty_selection": round(b / e, 2) if e else None,
        "fixed_empty_median_s": e,
        "daily_vars_median_s": vd,
        "fixed_empty_full_parse_median_s": ve,
        "fixed_no_game_median_s": n,
        "ratio_to_empty_selection": round(d / e, 2) if e else None,
        "ratio_vars_to_empty_full_parse": round(vd / ve, 2) if ve else None,
        "ratio_to_no_game_window": round(vd / n, 2) if n else None,
        "speedup_vs_vars": round(vd / d, 2) if d else None,
        "reparse_log_lines": reparse_lines,
        "partial_parse_kept": not reparse_lines,
        "models": model_count(ws),
    }


def model_count(ws: Workspace) -> int:
    results = json.loads((ws.root / "target" / "run_results.json").read_text())["results"]
    return sum(1 for r in results if r["unique_id"].startswith("model."))


def backfill(ws: Workspace, log: Path, runs: int = 1) -> dict[str, Any]:
    start, end, n = backfill_range(ws.db, BACKFILL_DATES)
    state = ws.root / "backfill_state"
    env = ws.env()

    def command(*extra: str) -> list[str]:
        return [
            str(BIN / "nba-fs"), "backfill", "--start-date", start.isoformat(),
            "--end-date", end.isoformat(), "--db", str(ws.db), "--state-dir", str(state),
            "--no-resume", "--skip-preflight", *extra,
        ]

    one, chunked, baseline = [], [], []
    baseline_cmd = dbt("run", "--select", *BACKFILL_SELECT.split(), "--vars",
                       f"{{start_date: '{start}', end_date: '{end}'}}")
    for _ in range(runs):
        one.append(check(measure(command(), env, log), "backfill", log))
        chunked.append(check(measure(command("--chunk-days", "15"), env, log),
                             "backfill (chunks of 15)", log))
        # Baseline: the window in --vars, so dbt re-parses the project (what
        # every chunk of a backfill cost before the window went through env vars).
        (ws.root / "target" / "partial_parse.msgpack").unlink(missing_ok=True)
        baseline.append(check(measure(baseline_cmd, env, log), "baseline dbt run --vars", log))
    s1 = statistics.median(m.seconds for m in one)
    s15 = statistics.median(m.seconds for m in chunked)
    sb = statistics.median(m.seconds for m in baseline)
    return {
        "start": start.isoformat(), "end": end.isoformat(), "dates": n,
        "command": " ".join(command()), **asdict(one[-1]),
        "seconds": s1,
        "runs": [asdict(m) for m in one],
        "seconds_per_date": round(s1 / n, 3),
        "chunks_of_15": [asdict(m) for m in chunked],
        "chunks_of_15_seconds_per_date": round(s15 / n, 3),
        "baseline_command": " ".join(baseline_cmd),
        "baseline": [asdict(m) for m in baseline],
        "baseline_seconds_per_date": round(sb / n, 3),
        "ratio_to_baseline": round(s1 / sb, 2) if sb else None,
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
        print_daily(tier, result.daily)
    if with_backfill:
        result.backfill = backfill(ws, log)
        print_backfill(tier, result.backfill)
    shutil.rmtree(ws.root, ignore_errors=True)
    template.unlink(missing_ok=True)
    return result


def print_daily(tier: str, d: dict[str, Any]) -> None:
    print(f"[{tier}] daily {d['daily_median_s']:.1f}s, fixed (empty selection, partial parse) "
          f"{d['fixed_empty_median_s']:.1f}s: ratio {d['ratio_to_empty_selection']}; "
          f"partial parse kept: {d['partial_parse_kept']}", flush=True)
    print(f"[{tier}] daily build (dbt build --selector daily) {d['daily_build_median_s']:.1f}s: "
          f"ratio to the empty selection {d['ratio_daily_build_to_empty_selection']}", flush=True)
    print(f"[{tier}] former daily (--vars) {d['daily_vars_median_s']:.1f}s, fixed (full parse) "
          f"{d['fixed_empty_full_parse_median_s']:.1f}s: ratio "
          f"{d['ratio_vars_to_empty_full_parse']}; daily now {d['speedup_vs_vars']}x faster",
          flush=True)


def print_backfill(tier: str, b: dict[str, Any]) -> None:
    print(f"[{tier}] backfill {b['dates']} dates {b['seconds']:.1f}s = "
          f"{b['seconds_per_date']:.3f} s/date (chunks of 15: "
          f"{b['chunks_of_15_seconds_per_date']:.3f}); baseline dbt run --vars "
          f"{b['baseline_seconds_per_date']:.3f} s/date: ratio {b['ratio_to_baseline']}",
          flush=True)


def run_built(built: Path, run_date: dt.date | None, runs: int, work: Path) -> TierResult:
    """Daily run and backfill only, on a copy of an already built warehouse."""
    log = work / "built.log"
    result = TierResult("built", f"copy of {built}", [])
    ws = Workspace(work / "built_ws")
    ws.fresh_copy_of(built)
    result.daily = daily_runs(ws, runs, log, run_date)
    print_daily("built", result.daily)
    result.backfill = backfill(ws, log, runs)
    print_backfill("built", result.backfill)
    shutil.rmtree(ws.root, ignore_errors=True)
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
        f"{'daily s':>9}{'fixed s':>9}{'ratio':>7}{'bf s':>8}{'s/date':>8}{'base s/d':>9}",
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
            f"{b.get('baseline_seconds_per_date', float('nan')):>9.3f}"
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
    parser.add_argument("--built", default=None,
                        help="a built warehouse: measure the daily run and backfill on a copy"
                             " of it (no generate, no cold build; --tiers ignored)")
    parser.add_argument("--run-date", type=dt.date.fromisoformat, default=None,
                        help="with --built: the run date it was built with")
    parser.add_argument("--work", default=str(RESULTS / "work"), help="scratch directory")
    parser.add_argument("--out", default=None, help="JSON path (default bench/results/...)")
    args = parser.parse_args(argv)
    tiers = [] if args.built else [t.strip().upper() for t in args.tiers.split(",") if t.strip()]
    if not tiers and not args.scaling and not args.built:
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
    if args.built:
        results.append(run_built(Path(args.built), args.run_date, args.runs, work))
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
