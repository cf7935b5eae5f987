"""One backfill chunk, two ways, alternating in one process (same load for both):

- parsed once: python_hooks.dbt_invoke.ParsedProject, the window in
  NBA_WINDOW_START / NBA_WINDOW_END (what `nba-fs backfill` does now);
- per chunk: a fresh dbt runner with the window in --vars (what it did
  before: dbt re-parses the whole project for new vars).

    .venv/bin/python bench/bench_backfill_chunk.py --db COPY.duckdb --start 2025-11-01 \
        --end 2025-11-05 --rounds 2

Run it on a copy of a built warehouse, with DBT_TARGET_PATH / DBT_LOG_PATH of
your own. Prints each chunk's seconds, the medians and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from python_hooks import backfill, dbt_invoke  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--start", required=True)
    parser.add_argument("--end", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--select", default=backfill.DEFAULT_SELECT)
    args = parser.parse_args(argv)
    from dbt.cli.main import dbtRunner

    common = dbt_invoke.common_args(None, ROOT)
    command = ["run", "--select", *args.select.split()]
    window = {"NBA_WINDOW_START": args.start, "NBA_WINDOW_END": args.end}
    started = time.perf_counter()
    project = dbt_invoke.ParsedProject(common, db=args.db)
    parse_s = time.perf_counter() - started
    once, per_chunk = [], []
    for _ in range(args.rounds):
        started = time.perf_counter()
        ok = project.invoke(command, env=window).success
        once.append(time.perf_counter() - started)
        # each chunk of a backfill had new --vars: no partial parse to reuse
        target = Path(os.environ.get("DBT_TARGET_PATH", ROOT / "target"))
        (target / "partial_parse.msgpack").unlink(missing_ok=True)
        started = time.perf_counter()
        with dbt_invoke.duckdb_env(args.db):
            ok = dbtRunner().invoke([*command, "--vars", json.dumps(
                {"start_date": args.start, "end_date": args.end}), *common]).success and ok
        dbt_invoke.release_duckdb()
        per_chunk.append(time.perf_counter() - started)
        if not ok:
            raise SystemExit("a dbt run failed")
        print(f"chunk parsed once {once[-1]:.1f}s, re-parsed {per_chunk[-1]:.1f}s, "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
    a, b = statistics.median(once), statistics.median(per_chunk)
    print(f"first parse {parse_s:.1f}s; chunk median parsed once {a:.1f}s vs re-parsed {b:.1f}s:"
          f" ratio {a / b:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
