"""`nba-fs summary`: what the warehouse holds and what to query next.

Read-only; every table may be missing (a partly built warehouse still gets a
summary).
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
from typing import Any

from python_hooks import clock, options, warehouse

EXIT_UNAVAILABLE = 2

SUGGESTIONS = [
    ("readiness per date", "select game_date, total_records, pct_ready, pct_ready_if_vegas_required"
     " from {monitoring}.daily_quality_counts order by game_date desc limit 10"),
    ("one player's feature row", "select player_lookup, game_date, feature_quality_score, quality_tier,"
     " quality_alerts from {predictions}.ml_feature_store_v2 where player_lookup = '...' order by game_date"),
    ("open gaps", "select game_date, reason, count(*) from {monitoring}.feature_store_gaps"
     " where resolved_at is null group by 1, 2 order by 1 desc"),
    ("stars without lines", "select * from {monitoring}.scraper_health_star_lines order by game_date desc"),
]

NEXT_COMMANDS = [
    "export NBA_RUN_DATE=<the run date>    # the one clock: what this build took for today",
    "nba-fs dispatch --date today --mode FIRST         # gate + dispatch requests (local sink)",
    "nba-fs alerts --date today                        # evaluate monitoring, console alerts",
]


def list_tables(wh: warehouse.DuckDBWarehouse, layer: str) -> list[tuple[str, str]]:
    rows = wh.query(
        "select table_name, table_type from information_schema.tables"
        " where table_schema = @schema order by table_name",
        {"schema": warehouse.schema_name(layer)},
    )
    return [(r["table_name"], r["table_type"]) for r in rows]


def _count(wh: warehouse.DuckDBWarehouse, layer: str, table: str) -> str:
    try:
        n = wh.query(f"select count(*) as n from {wh.table(layer, table)}")[0]["n"]
        return f"{n:>10,}"
    except Exception as exc:  # noqa: BLE001 - a broken view must not stop the summary
        return f"  error: {str(exc).splitlines()[0][:60]}"


def feature_store_lines(wh: warehouse.DuckDBWarehouse) -> list[str]:
    if not wh.table_exists("predictions", "ml_feature_store_v2"):
        return ["feature store: not built yet (dbt build)"]
    row: dict[str, Any] = wh.query(
        "select count(*) as n, min(game_date) as first_date, max(game_date) as last_date,"
        " round(100.0 * avg(case when is_quality_ready then 1 else 0 end), 1) as pct_ready,"
        " round(avg(feature_quality_score), 2) as mean_score"
        f" from {wh.table('predictions', 'ml_feature_store_v2')}"
    )[0]
    lines = [
        f"feature store: {row['n']:,} rows, {row['first_date']} .. {row['last_date']},"
        f" {row['pct_ready']}% quality ready, mean score {row['mean_score']}"
    ]
    if wh.table_exists("monitoring", "daily_quality_counts"):
        recent = wh.query(
            "select game_date, total_records, pct_ready, pct_ready_if_vegas_required"
            f" from {wh.table('monitoring', 'daily_quality_counts')}"
            " where total_records > 0 order by game_date desc limit 5"
        )
        for r in recent:
            lines.append(
                f"  {r['game_date']}: {r['total_records']} rows, {r['pct_ready']}% ready"
                f" ({r['pct_ready_if_vegas_required']}% if vegas were required)"
            )
    return lines


def render(wh: warehouse.DuckDBWarehouse, path: str) -> str:
    lines = [f"warehouse: {path} (DuckDB)"]
    for layer in warehouse.SCHEMA_ENV:
        tables = list_tables(wh, layer)
        if not tables:
            continue
        lines.append(f"\n{warehouse.schema_name(layer)} ({len(tables)} relations)")
        for name, kind in tables:
            label = "view" if kind == "VIEW" else "table"
            lines.append(f"  {name:<46} {label:<5} {_count(wh, layer, name)}")
    lines.append("")
    lines += feature_store_lines(wh)
    names = {layer: warehouse.schema_name(layer) for layer in warehouse.SCHEMA_ENV}
    copy = Path(path).with_name(Path(path).stem + "_readonly.duckdb")
    lines.append(f"\nquery next, on the read-only copy (nba-fs publish writes it; the build"
                 f" locks {path}):\n  python -c \"import duckdb;"
                 f" con = duckdb.connect('{copy}', read_only=True); con.sql('...').show()\"")
    for title, sql in SUGGESTIONS:
        lines.append(f"  -- {title}\n  {sql.format(**names)};")
    lines.append("\ncommands:")
    run_date = clock.run_date().isoformat()
    lines += [f"  {command.replace('<the run date>', run_date)}" for command in NEXT_COMMANDS]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_db_option(parser)


def run(args: argparse.Namespace) -> int:
    path = warehouse.duckdb_path(args.db)
    try:
        wh = warehouse.DuckDBWarehouse(path, read_only=True)
        try:
            print(render(wh, path))
        finally:
            wh.close()
    except warehouse.WarehouseNotFound:
        print(f"nba-fs summary: no warehouse at {path}: run `nba-fs generate --db {path}`"
              " then `dbt build`", file=sys.stderr)
        return EXIT_UNAVAILABLE
    # any other WarehouseUnavailable (not DuckDB, unreadable, locked): cli.main
    return 0
