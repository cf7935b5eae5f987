"""Start, stop and fill the local BigQuery emulator (bqemulator) for tests.

The emulator server runs from its own environment (`.venv-bq`, `make
setup-bq`) because it needs DuckDB 1.5.5; this module runs from the main
environment and talks to it over HTTP on 127.0.0.1 with google-cloud-bigquery
(installed with dbt-bigquery). Raw tables are read from a generated DuckDB
file and loaded as Parquet load jobs, one per table. The tables of the raw
interface (models/staging/_sources.yml, read through
python_hooks.raw_contract) are created as production has them: the
contract's column types and NOT NULL columns (REQUIRED, unless the sample
holds NULLs there: see load_raw_from_duckdb), partitioned by day
on their partition column, with `require_partition_filter` where production
requires a filter. Other tables of the schema (the sample's
generation_manifest) get the types of their Arrow columns.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import time
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # imported lazily: the Google libraries are slow to import
    import pyarrow as pa
    from google.cloud import bigquery

DEFAULT_PROJECT = "nba-emu"
RAW_DATASET = "nba_raw"


@dataclass
class Emulator:
    """A running emulator process and where to reach it."""

    process: subprocess.Popen
    rest_port: int
    project: str
    log_path: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def emulator_command(venv: Path, rest_port: int, grpc_port: int, project: str) -> list[str]:
    """The command line that starts the emulator on loopback, in memory."""
    return [
        str(venv / "bin" / "bqemulator"), "start",
        "--rest-host", "127.0.0.1", "--rest-port", str(rest_port),
        "--grpc-host", "127.0.0.1", "--grpc-port", str(grpc_port),
        "--project", project, "--ephemeral", "--log-level", "warning",
    ]


def emulator_env(venv: Path, work_dir: Path) -> dict[str, str]:
    """Environment of the server: HOME is where `make setup-bq` installed the
    DuckDB spatial extension (the emulator cannot download it offline)."""
    env = dict(os.environ)
    env["HOME"] = str(venv / "home")
    env["TMPDIR"] = str(work_dir)
    return env


def start_emulator(venv: Path, work_dir: Path, project: str = DEFAULT_PROJECT,
                   timeout_s: float = 60.0,
                   on_start: Callable[[Emulator], None] | None = None) -> Emulator:
    """Start the emulator and wait until GET /healthz answers. `on_start`
    gets the process before the wait, so a caller can stop it meanwhile."""
    work_dir.mkdir(parents=True, exist_ok=True)
    rest_port, grpc_port = free_port(), free_port()
    log_path = work_dir / "bqemulator.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        emulator_command(venv, rest_port, grpc_port, project),
        stdout=log, stderr=subprocess.STDOUT, cwd=work_dir,
        env=emulator_env(venv, work_dir),
    )
    log.close()
    emulator = Emulator(process, rest_port, project, log_path)
    if on_start is not None:
        on_start(emulator)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bqemulator exited ({process.returncode}); see {log_path}")
        try:
            with urllib.request.urlopen(f"{emulator.endpoint}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return emulator
        except OSError:
            time.sleep(0.2)
    stop_emulator(emulator)
    raise RuntimeError(f"bqemulator not healthy after {timeout_s}s; see {log_path}")


def stop_emulator(emulator: Emulator) -> None:
    """Stop the server process this module started."""
    if emulator.process.poll() is None:
        emulator.process.terminate()
        try:
            emulator.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            emulator.process.kill()
            emulator.process.wait()


def client_for(endpoint: str, project: str = DEFAULT_PROJECT) -> "bigquery.Client":
    """A BigQuery client that talks to the emulator without credentials."""
    from python_hooks.warehouse import BigQueryWarehouse

    return BigQueryWarehouse(project=project, api_endpoint=endpoint)._client()


def bigquery_type(arrow_type: "pa.DataType") -> str:
    """The BigQuery column type for an Arrow type of the raw tables."""
    import pyarrow as pa

    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_integer(arrow_type):
        return "INT64"
    if pa.types.is_floating(arrow_type):
        return "FLOAT64"
    if pa.types.is_boolean(arrow_type):
        return "BOOL"
    return "STRING"


def contract_schema(name: str, nullable: frozenset[str] = frozenset()
                    ) -> list["bigquery.SchemaField"]:
    """The BigQuery schema of raw table `name` from the raw contract; the
    columns in `nullable` stay NULLABLE even where production says NOT NULL."""
    from google.cloud import bigquery

    from python_hooks import raw_contract

    return [bigquery.SchemaField(
                column.name, column.bq_type,
                mode="REQUIRED" if column.not_null and column.name not in nullable else "NULLABLE")
            for column in raw_contract.tables()[name]]


def load_arrow_table(client: "bigquery.Client", table_id: str, table: "pa.Table",
                     schema: list["bigquery.SchemaField"] | None = None,
                     partition: tuple[str, bool] | None = None) -> None:
    """Replace `table_id` with the rows of `table` (a Parquet load job).

    The emulator's load jobs need the table to exist, so it is created
    first: with `schema` when given (else mapped from Arrow), partitioned by
    day on `partition` = (column, require_partition_filter) when given.
    """
    import pyarrow.parquet as pq
    from google.cloud import bigquery

    client.delete_table(table_id, not_found_ok=True)
    if schema is None:
        schema = [bigquery.SchemaField(f.name, bigquery_type(f.type)) for f in table.schema]
    created = bigquery.Table(table_id, schema=schema)
    if partition is not None:
        column, required = partition
        with warnings.catch_warnings():
            # the emulator reads the flag inside timePartitioning, where the
            # client calls it deprecated; BigQuery reads the table's own
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            created.time_partitioning = bigquery.TimePartitioning(
                type_=bigquery.TimePartitioningType.DAY, field=column,
                require_partition_filter=required or None)
        created.require_partition_filter = required
    client.create_table(created)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    buffer.seek(0)
    config = bigquery.LoadJobConfig(source_format="PARQUET", write_disposition="WRITE_APPEND")
    client.load_table_from_file(buffer, table_id, job_config=config).result()


def null_in_not_null_columns(con: Any, schema: str, name: str) -> frozenset[str]:
    """Columns production declares NOT NULL that hold NULLs in the file."""
    from python_hooks import raw_contract

    required = [column.name for column in raw_contract.tables()[name] if column.not_null]
    if not required:
        return frozenset()
    counts = con.execute("select " + ", ".join(f'count(*) - count("{c}")' for c in required)
                         + f' from "{schema}"."{name}"').fetchall()[0]
    return frozenset(column for column, nulls in zip(required, counts) if nulls)


def contract_arrow_table(con: Any, schema: str, name: str,
                         nullable: frozenset[str] = frozenset()) -> "pa.Table":
    """Raw table `name` as Arrow, its contract's columns in the contract's
    order and Arrow types (a column the file lacks is an error: the sample
    must have every column of the interface)."""
    import pyarrow as pa

    from python_hooks import raw_contract

    columns = raw_contract.tables()[name]
    select = ", ".join(f'"{column.name}"' for column in columns)
    table = con.sql(f'select {select} from "{schema}"."{name}"').to_arrow_table()
    target = pa.schema([pa.field(column.name, raw_contract.arrow_type(column.bq_type),
                                 nullable=not column.not_null or column.name in nullable)
                        for column in columns])
    return table.cast(target)


def load_raw_from_duckdb(client: "bigquery.Client", duckdb_path: Path,
                         dataset: str = RAW_DATASET, schema: str = RAW_DATASET) -> dict[str, int]:
    """Copy every table of `schema` in a DuckDB file into an emulator dataset,
    the raw interface's tables typed and partitioned by the raw contract.

    A NOT NULL column holding NULLs in the file (a defect the sample injects
    on purpose, for staging to quarantine) is created NULLABLE, or the load
    would refuse the whole table; bigquery_fixtures records which.

    Returns rows loaded per table.
    """
    import duckdb

    from python_hooks import raw_contract

    contract = raw_contract.tables()
    client.create_dataset(dataset, exists_ok=True)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        names = [row[0] for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? order by table_name", [schema]).fetchall()]
        missing = sorted(set(contract) - set(names))
        if missing:
            raise RuntimeError(f"{duckdb_path} lacks raw tables {missing} (schema {schema})")
        for name in names:
            table_id = f"{client.project}.{dataset}.{name}"
            if name in contract:
                nullable = null_in_not_null_columns(con, schema, name)
                table = contract_arrow_table(con, schema, name, nullable)
                load_arrow_table(client, table_id, table, schema=contract_schema(name, nullable),
                                 partition=raw_contract.partition(name))
            else:
                table = con.sql(f'select * from "{schema}"."{name}"').to_arrow_table()
                load_arrow_table(client, table_id, table)
            counts[name] = table.num_rows
    finally:
        con.close()
    return counts
