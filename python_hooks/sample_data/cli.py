"""`nba-fs generate`: write the synthetic raw NBA tables into a DuckDB file."""

from __future__ import annotations

import argparse
import sys
import time

from python_hooks.options import DATE_HELP, parse_date

from .generator import PRESETS, Config, generate, write_duckdb


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="DuckDB file to write (schema nba_raw is replaced)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--seasons", help="comma-separated season years, e.g. 2021,2025,2026")
    parser.add_argument("--as-of", dest="as_of", type=parse_date,
                        help=f"the sample's run date, {DATE_HELP} (default: the preset's); "
                             "games on or after it are scheduled")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=int, default=1,
                        help="N consecutive seasons ending at the latest, N x snapshot density")


def build_config(args: argparse.Namespace) -> Config:
    preset = PRESETS[args.preset]
    seasons = tuple(int(s) for s in args.seasons.split(",")) if args.seasons else tuple(preset["seasons"])
    as_of = args.as_of or preset["as_of"]
    scale = max(int(args.scale), 1)
    if scale > 1:
        latest = max(seasons)
        seasons = tuple(range(latest - scale + 1, latest + 1))
    return Config(seasons=tuple(sorted(set(seasons))), as_of=as_of, seed=int(args.seed), scale=scale)


def run(args: argparse.Namespace) -> int:
    config = build_config(args)
    started = time.perf_counter()
    try:
        built = generate(config)
    except ValueError as exc:  # e.g. an as-of date before the first game
        print(f"nba-fs generate: {exc}", file=sys.stderr)
        return 2
    generated = time.perf_counter() - started
    for label, seconds in built.seconds.items():
        print(f"generated {label} in {seconds:.2f}s")
    counts = write_duckdb(args.db, built, config)
    total = time.perf_counter() - started
    print(f"wrote {sum(counts.values())} rows in {len(counts)} tables to {args.db} "
          f"(seasons {','.join(map(str, config.seasons))}, as-of {config.as_of}, seed {config.seed}, "
          f"scale {config.scale}): generate {generated:.1f}s, total {total:.1f}s")
    return 0
