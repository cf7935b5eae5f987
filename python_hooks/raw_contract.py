"""The raw interface as Python sees it: read from ``models/staging/_sources.yml``.

That YAML file is the one definition of the raw tables (source ``nba_raw``):
their names, their columns in order, each column's BigQuery type
(``data_type``), which columns production declares NOT NULL
(``config.meta.not_null``) and each table's partition column and whether
BigQuery requires a filter on it (``config.meta.partition_column`` /
``require_partition_filter``). The sample-data generator, the BigQuery
emulator loader and the tests read the tables through this module, so no
column list is written down twice.

The file is parsed once per process (the result is cached); the returned
objects are immutable.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SOURCES_FILE = Path(__file__).resolve().parent.parent / "models" / "staging" / "_sources.yml"
SOURCE_NAME = "nba_raw"

# BigQuery type name -> DuckDB type name (the embedded warehouse).
_DUCKDB_TYPES = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "FLOAT64": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
}


class RawContractError(ValueError):
    """The sources file does not describe the raw interface as expected."""


@dataclass(frozen=True)
class Column:
    """One raw column: its name, BigQuery type and production's NOT NULL flag."""

    name: str
    bq_type: str
    not_null: bool


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    partition_column: str
    require_partition_filter: bool


def _meta(node: dict[str, Any]) -> dict[str, Any]:
    return ((node.get("config") or {}).get("meta")) or {}


@functools.cache
def _tables(path: Path = SOURCES_FILE) -> dict[str, Table]:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    sources = [s for s in document.get("sources", []) if s.get("name") == SOURCE_NAME]
    if len(sources) != 1:
        raise RawContractError(f"{path}: expected one source named {SOURCE_NAME}")
    out: dict[str, Table] = {}
    for node in sources[0].get("tables", []):
        columns = []
        for col in node.get("columns", []):
            bq_type = str(col.get("data_type", "")).upper()
            if bq_type not in _DUCKDB_TYPES:
                raise RawContractError(f"{node['name']}.{col.get('name')}: unknown data_type {bq_type!r}")
            columns.append(Column(col["name"], bq_type, bool(_meta(col).get("not_null", False))))
        meta = _meta(node)
        partition = meta.get("partition_column")
        if partition not in {c.name for c in columns}:
            raise RawContractError(f"{node['name']}: partition_column {partition!r} is not a listed column")
        out[node["name"]] = Table(node["name"], tuple(columns), partition,
                                  bool(meta.get("require_partition_filter", False)))
    if not out:
        raise RawContractError(f"{path}: source {SOURCE_NAME} lists no tables")
    return out


def tables() -> dict[str, list[Column]]:
    """Every raw table (in the file's order) with its columns (in order)."""
    return {name: list(t.columns) for name, t in _tables().items()}


def columns(table: str) -> list[Column]:
    """The columns of one raw table; KeyError for a table the contract lacks."""
    return list(_tables()[table].columns)


def partition(table: str) -> tuple[str, bool]:
    """(partition column, whether BigQuery requires a filter on it)."""
    t = _tables()[table]
    return t.partition_column, t.require_partition_filter


def duckdb_type(bq_type: str) -> str:
    """DuckDB type of a BigQuery type name (STRING -> VARCHAR, INT64 -> BIGINT, ...)."""
    try:
        return _DUCKDB_TYPES[bq_type.upper()]
    except KeyError:
        raise RawContractError(f"unknown BigQuery type {bq_type!r}") from None


def arrow_type(bq_type: str):
    """pyarrow type of a BigQuery type name (TIMESTAMP: microseconds, no zone,
    holding UTC as every raw timestamp does)."""
    import pyarrow as pa

    types = {
        "STRING": pa.string(), "INT64": pa.int64(), "FLOAT64": pa.float64(),
        "BOOLEAN": pa.bool_(), "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us"),
    }
    try:
        return types[bq_type.upper()]
    except KeyError:
        raise RawContractError(f"unknown BigQuery type {bq_type!r}") from None
