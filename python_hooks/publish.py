"""`nba-fs publish`: a read-only copy of the DuckDB warehouse for analysts.

DuckDB lets one process write a file or many processes read it, never both:
while dbt builds ``warehouse/nba.duckdb`` an analyst's read-only connection
fails with a lock error, and an analyst holding it open makes the build fail.
So after each successful build the warehouse is *published*: copied to
``warehouse/nba_readonly.duckdb`` (default: ``<stem>_readonly.duckdb`` beside
the source), which analysts open read-only while the next build runs.

How a copy is made (``publish``):

1. with ``--run-results``, refuse unless that dbt run has no error or failure;
2. open the source read-only: that holds DuckDB's shared lock, so no build
   can start writing during the copy, and fails at once if a build is
   writing now (exit 3, nothing copied);
3. refuse if a ``.wal`` file lies beside the source (writes not yet
   checkpointed would be missing from a byte copy);
4. copy the bytes to a temporary file in the target's directory, fsync it,
   check it opens and lists the same tables, mark it read-only (0444);
5. ``os.replace`` it onto the target: an atomic rename. A reader never sees
   a half-written file; a reader that already has the old copy open keeps
   its open handle and reads the old snapshot until it reconnects;
6. write ``<target>.json`` (published_at, source, size, table count).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from python_hooks import clock, options, warehouse

FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
EXIT_REFUSED = 3
EXIT_UNAVAILABLE = 2  # the warehouse to publish cannot be opened


class PublishError(RuntimeError):
    """The copy was not made; the published copy (if any) is unchanged."""


class SourceUnavailable(PublishError, warehouse.WarehouseUnavailable):
    """The warehouse to publish is missing, not DuckDB, unreadable or locked."""


@dataclass(frozen=True)
class Published:
    source: str
    target: str
    published_at: str
    size_bytes: int
    table_count: int


def default_target(source: Path) -> Path:
    return source.with_name(f"{source.stem}_readonly{source.suffix or '.duckdb'}")


def failed_nodes(run_results: Mapping[str, Any]) -> list[str]:
    """unique_ids of the nodes a dbt run_results.json reports failed."""
    results = run_results.get("results") if isinstance(run_results, Mapping) else None
    if not isinstance(results, list) or not all(isinstance(r, Mapping) for r in results):
        raise PublishError("--run-results is not a dbt run_results.json: kept the previous copy")
    return [
        str(result.get("unique_id"))
        for result in run_results.get("results", [])
        if str(result.get("status", "")).lower() in FAILED_STATUSES
    ]


def _tables(con: Any) -> list[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables"
        " order by table_schema, table_name"
    ).fetchall()
    return [(str(schema), str(name)) for schema, name in rows]


def _open_read_only(path: Path) -> Any:
    import duckdb

    try:
        return duckdb.connect(str(path), read_only=True)
    except (duckdb.Error, OSError) as exc:
        if warehouse.is_lock_conflict(exc):
            raise SourceUnavailable(
                f"{path} is being written (a build holds its lock): publish after the build"
            ) from exc
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SourceUnavailable(f"cannot open {path} as a DuckDB warehouse: {first}") from exc


def _copy_synced(source: Path, destination: Path) -> None:
    with source.open("rb") as src, destination.open("wb") as dst:
        shutil.copyfileobj(src, dst, length=16 * 1024 * 1024)
        dst.flush()
        os.fsync(dst.fileno())


def publish(source: Path, target: Path, *, now: dt.datetime | None = None) -> Published:
    """Atomically replace ``target`` with a consistent copy of ``source``."""
    now = now or clock.utc_now()
    if not source.exists():
        raise SourceUnavailable(f"no DuckDB warehouse at {source}")
    if source.resolve() == target.resolve():
        raise PublishError("the published copy must be another file than the warehouse")
    target.parent.mkdir(parents=True, exist_ok=True)
    con = _open_read_only(source)  # shared lock: no writer until we close
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        wal = source.with_name(source.name + ".wal")
        if wal.exists():
            raise PublishError(
                f"{wal} holds writes not yet checkpointed: open {source} read-write once"
                " (or rerun the build) before publishing"
            )
        expected = _tables(con)
        _copy_synced(source, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    try:
        check = _open_read_only(tmp)
        try:
            copied = _tables(check)
        finally:
            check.close()
        if copied != expected:
            raise PublishError(f"the copy lists {len(copied)} tables, the source {len(expected)}")
        tmp.chmod(0o444)
        # A stale WAL beside the target would be replayed onto the new copy.
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    result = Published(
        source=str(source),
        target=str(target),
        published_at=now.isoformat(timespec="seconds"),
        size_bytes=target.stat().st_size,
        table_count=len(expected),
    )
    meta = target.with_name(target.name + ".json")
    meta_tmp = meta.with_name(f".{meta.name}.{os.getpid()}.tmp")
    meta_tmp.write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    os.replace(meta_tmp, meta)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_db_option(parser)  # the warehouse to publish
    parser.add_argument("--to", help="published copy (default <db stem>_readonly.duckdb beside it)")
    parser.add_argument(
        "--run-results",
        help="dbt run_results.json of the build just finished: publish only if nothing failed",
    )


def run(args: argparse.Namespace) -> int:
    source = Path(warehouse.duckdb_path(args.db))
    target = Path(args.to) if args.to else default_target(source)
    try:
        if args.run_results:
            failed = failed_nodes(json.loads(Path(args.run_results).read_text(encoding="utf-8")))
            if failed:
                raise PublishError(
                    f"the build failed ({len(failed)} nodes, e.g. {failed[0]}): kept the previous copy"
                )
        result = publish(source, target)
    except SourceUnavailable as exc:
        print(f"nba-fs publish: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except (PublishError, OSError, ValueError) as exc:
        print(f"nba-fs publish: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(
        f"published {result.source} -> {result.target} ({result.size_bytes / 1e6:.1f} MB,"
        f" {result.table_count} tables) at {result.published_at}"
    )
    return 0
