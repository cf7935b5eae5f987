"""Benchmark: dispatch 500 candidates through the local sink.

Builds a fixture feature store of 500 quality-ready candidates in a temporary
DuckDB file, runs `dispatch` (read, gate, publish to a JSONL outbox, write the
ledger) three times on fresh copies, and prints the median wall time.

    .venv/bin/python bench/bench_dispatch.py [--players 500] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests_py"))

from pylayer_fixtures import feature_row, write_feature_store  # noqa: E402

from python_hooks import dispatch, gate  # noqa: E402
from python_hooks.sinks import LocalSink  # noqa: E402

DAY = dt.date(2026, 1, 15)
NOW = dt.datetime(2026, 1, 15, 13, 0, tzinfo=dt.timezone.utc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.duckdb"
        rows = [
            feature_row(f"player_{i:04d}", DAY, line=None if i % 3 == 0 else 10.5 + i % 20)
            for i in range(args.players)
        ]
        write_feature_store(str(template), rows)
        timings = []
        for run in range(args.runs):
            db = Path(tmp) / f"run{run}.duckdb"
            shutil.copy(template, db)
            sink = LocalSink(str(Path(tmp) / f"outbox{run}.jsonl"))
            start = time.perf_counter()
            summary = dispatch.dispatch(
                game_date=DAY, mode=gate.Mode.FIRST, sink=sink, db=str(db), now=NOW
            )
            sink.close()
            timings.append(time.perf_counter() - start)
            assert summary["dispatched"] == args.players, summary
    print(
        f"dispatch of {args.players} candidates (local sink): median {statistics.median(timings):.3f} s"
        f" over {args.runs} runs ({', '.join(f'{t:.3f}' for t in timings)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
