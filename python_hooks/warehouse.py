"""The one thin access layer between the Python layer and the warehouse.

Two backends share one small interface:

* :class:`DuckDBWarehouse` - the embedded default, a DuckDB file (path from
  ``--db``, else ``NBA_DUCKDB_PATH``, else ``warehouse/nba.duckdb``).
* :class:`BigQueryWarehouse` - production, through ``google-cloud-bigquery``.

SQL is written once with BigQuery-style named parameters (``@name``); the
DuckDB backend rewrites them to ``$name``. Values never go into SQL text.
Table names are built with :meth:`Warehouse.table` from a *layer* name
(``predictions``, ``monitoring``, ``raw`` ...) whose schema comes from the
same environment variables ``dbt_project.yml`` reads (``NBA_SCHEMA_*``).

DuckDB allows one writer per file (one process). Readers therefore open the
file read-only and close it as soon as they are done; writers open it only
for the few statements they need (see docs/python_layer.md).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Self, Sequence, TypeVar

DEFAULT_DUCKDB_PATH = "warehouse/nba.duckdb"

# layer -> (environment variable, default schema); mirrors dbt_project.yml.
SCHEMA_ENV: dict[str, tuple[str, str]] = {
    "raw": ("NBA_SCHEMA_RAW", "nba_raw"),
    "staging": ("NBA_SCHEMA_STAGING", "nba_staging"),
    "analytics": ("NBA_SCHEMA_ANALYTICS", "nba_analytics"),
    "precompute": ("NBA_SCHEMA_PRECOMPUTE", "nba_precompute"),
    "predictions": ("NBA_SCHEMA_PREDICTIONS", "nba_predictions"),
    "monitoring": ("NBA_SCHEMA_MONITORING", "nba_monitoring"),
    "reference": ("NBA_SCHEMA_REFERENCE", "nba_reference"),
    "ops": ("NBA_SCHEMA_OPS", "nba_ops"),
}

_PARAM = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")

Row = dict[str, Any]
T = TypeVar("T")


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be opened: a missing, unreadable, non-DuckDB or
    locked file, or BigQuery without a project. The message is one line, meant
    for the operator; commands report it and exit 2 (``cli.main``)."""


class WarehouseNotFound(WarehouseUnavailable, FileNotFoundError):
    """No DuckDB file at the path (also a FileNotFoundError, as before)."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def schema_name(layer: str, env: Mapping[str, str] | None = None) -> str:
    """Schema (BigQuery dataset) of a layer, honouring NBA_SCHEMA_* vars."""
    environ = os.environ if env is None else env
    variable, default = SCHEMA_ENV[layer]
    return environ.get(variable) or default


def duckdb_path(explicit: str | None = None) -> str:
    """--db, else NBA_DUCKDB_PATH, else the repo default."""
    return explicit or os.environ.get("NBA_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH


def _check_ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a safe SQL identifier: {name!r}")
    return name


class Warehouse(Protocol):
    """What the Python layer needs from a warehouse: every method the commands
    call on one. DuckDBWarehouse and BigQueryWarehouse implement it (checked
    by mypy, `make lint`: see the assignments after BigQueryWarehouse)."""

    dialect: str

    def table(self, layer: str, name: str) -> str: ...

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]: ...

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None: ...

    def insert_rows(self, layer: str, name: str, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def table_exists(self, layer: str, name: str) -> bool: ...

    def ensure_schema(self, layer: str) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass
class DuckDBWarehouse:
    """A DuckDB file. ``read_only=True`` for every reader."""

    path: str
    read_only: bool = True
    env: Mapping[str, str] | None = None
    dialect: str = "duckdb"
    _con: Any = field(default=None, init=False, repr=False)

    def _connection(self) -> Any:
        if self._con is None:
            import duckdb

            if self.read_only and not Path(self.path).exists():
                raise WarehouseNotFound(f"no DuckDB warehouse at {self.path}")
            if Path(self.path).is_dir():
                raise WarehouseUnavailable(f"{self.path} is a directory, not a DuckDB file")
            try:
                if not self.read_only:
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                try:
                    self._con = duckdb.connect(self.path, read_only=self.read_only)
                except duckdb.ConnectionException as exc:
                    # This process already holds the file read-write (e.g. dbt
                    # ran in-process); DuckDB then refuses a read-only open.
                    # Reuse the process's database instead: the same writer.
                    if not (self.read_only and "different configuration" in str(exc)):
                        raise
                    self._con = duckdb.connect(self.path)
            except (duckdb.Error, OSError) as exc:
                raise WarehouseUnavailable(
                    f"cannot open the DuckDB warehouse {self.path}: {_first_line(exc)}") from exc
        return self._con

    def table(self, layer: str, name: str) -> str:
        schema = _check_ident(schema_name(layer, self.env))
        return f'"{schema}"."{_check_ident(name)}"'

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        cursor = self._connection().execute(_PARAM.sub(r"$\1", sql), dict(params or {}))
        columns = [description[0] for description in cursor.description or []]
        return [dict(zip(columns, values)) for values in cursor.fetchall()]

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self._connection().execute(_PARAM.sub(r"$\1", sql), dict(params or {}))

    def ensure_schema(self, layer: str) -> None:
        schema = _check_ident(schema_name(layer, self.env))
        self.execute(f'create schema if not exists "{schema}"')

    def insert_rows(self, layer: str, name: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        import pyarrow as pa

        columns = list(rows[0])
        batch = pa.table({c: [row[c] for row in rows] for c in columns})
        column_list = ", ".join(f'"{_check_ident(c)}"' for c in columns)
        con = self._connection()
        view = f"_insert_rows_{id(batch)}"
        con.register(view, batch)
        try:
            con.execute(
                f"insert into {self.table(layer, name)} ({column_list})"
                f" select {column_list} from {view}"
            )
        finally:
            con.unregister(view)

    def table_exists(self, layer: str, name: str) -> bool:
        rows = self.query(
            "select count(*) as n from information_schema.tables"
            " where table_schema = @schema and table_name = @name",
            {"schema": schema_name(layer, self.env), "name": name},
        )
        return bool(rows[0]["n"])

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> "DuckDBWarehouse":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _bq_type(value: Any) -> str:
    import datetime as dt

    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, dt.datetime):
        return "TIMESTAMP"
    if isinstance(value, dt.date):
        return "DATE"
    return "STRING"


def bigquery_parameters(params: Mapping[str, Any]) -> list[Any]:
    """Query parameters for google-cloud-bigquery (lists become arrays)."""
    from google.cloud import bigquery

    out: list[Any] = []
    for name, value in params.items():
        if isinstance(value, (list, tuple)):
            element = _bq_type(value[0]) if value else "STRING"
            out.append(bigquery.ArrayQueryParameter(name, element, list(value)))
        else:
            out.append(bigquery.ScalarQueryParameter(name, _bq_type(value), value))
    return out


@dataclass
class BigQueryWarehouse:
    """Production backend. ``client`` is injectable for tests."""

    project: str
    client: Any = None
    env: Mapping[str, str] | None = None
    dialect: str = "bigquery"
    # a BigQuery-compatible endpoint other than Google's (the local emulator
    # in tests): reached without Google credentials
    api_endpoint: str | None = None

    def _client(self) -> Any:
        if self.client is None:
            from google.auth.exceptions import DefaultCredentialsError

            try:
                self.client = self._new_client()
            except DefaultCredentialsError as exc:
                raise WarehouseUnavailable(
                    f"BigQuery project {self.project}: no Google credentials"
                    f" ({_first_line(exc)})") from exc
        return self.client

    def _new_client(self) -> Any:
        from google.cloud import bigquery

        if self.api_endpoint:
            from google.api_core.client_options import ClientOptions
            from google.auth.credentials import AnonymousCredentials

            return bigquery.Client(
                project=self.project, credentials=AnonymousCredentials(),
                client_options=ClientOptions(api_endpoint=self.api_endpoint))
        return bigquery.Client(project=self.project)

    def table(self, layer: str, name: str) -> str:
        schema = _check_ident(schema_name(layer, self.env))
        return f"`{_check_ident(self.project)}.{schema}.{_check_ident(name)}`"

    def _job_config(self, params: Mapping[str, Any] | None) -> Any:
        from google.cloud import bigquery

        return bigquery.QueryJobConfig(query_parameters=bigquery_parameters(params or {}))

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        job = self._client().query(sql, job_config=self._job_config(params))
        return [dict(row.items()) for row in job.result()]

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self._client().query(sql, job_config=self._job_config(params)).result()

    def ensure_schema(self, layer: str) -> None:
        self._client().create_dataset(
            f"{self.project}.{schema_name(layer, self.env)}", exists_ok=True
        )

    def insert_rows(self, layer: str, name: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        table_id = f"{self.project}.{schema_name(layer, self.env)}.{name}"
        errors = self._client().insert_rows_json(table_id, [_jsonable(r) for r in rows])
        if errors:
            raise RuntimeError(f"BigQuery insert into {table_id} failed: {errors}")

    def table_exists(self, layer: str, name: str) -> bool:
        from google.api_core.exceptions import NotFound

        try:
            self._client().get_table(f"{self.project}.{schema_name(layer, self.env)}.{name}")
        except NotFound:
            return False
        return True

    def close(self) -> None:
        if self.client is not None and hasattr(self.client, "close"):
            self.client.close()

    def __enter__(self) -> "BigQueryWarehouse":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Both backends satisfy the Warehouse protocol: mypy rejects these otherwise.
_DUCKDB_WAREHOUSE: type[Warehouse] = DuckDBWarehouse
_BIGQUERY_WAREHOUSE: type[Warehouse] = BigQueryWarehouse


def _jsonable(row: Mapping[str, Any]) -> Row:
    import datetime as dt

    return {
        key: value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
        for key, value in row.items()
    }


# DuckDB's words when another process holds the file: matched exactly, so a
# path with "block" or "clock" in it is not taken for a lock.
_LOCK_CONFLICT = re.compile(r"could not set lock|conflicting lock", re.IGNORECASE)


def is_lock_message(text: str) -> bool:
    return bool(_LOCK_CONFLICT.search(text))


def is_lock_conflict(exc: BaseException) -> bool:
    """Another process holds the DuckDB file (the only error worth waiting for)."""
    return is_lock_message(str(exc))


def retry_on_lock(
    action: Callable[[], T],
    *,
    attempts: int = 10,
    wait: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``action``; while another process holds the DuckDB file, wait and
    retry (tenacity: ``attempts`` tries, ``wait`` seconds apart); any other
    error, or the last lock conflict, is raised as it is."""
    import tenacity

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_fixed(wait),
        retry=tenacity.retry_if_exception(is_lock_conflict),
        sleep=sleep,
        reraise=True,
    )
    return retrying(action)


def open_warehouse(db: str | None = None, *, read_only: bool = True) -> Warehouse:
    """The configured warehouse: BigQuery when NBA_WAREHOUSE=bigquery (project
    NBA_BQ_PROJECT; NBA_BQ_API_ENDPOINT only for an emulator), else DuckDB.

    Raises :class:`WarehouseUnavailable` (one line) when it cannot be reached:
    a reader's DuckDB file missing now; unreadable, not DuckDB or locked at the
    first statement (the connection is opened lazily)."""
    kind = os.environ.get("NBA_WAREHOUSE", "duckdb").strip().lower() or "duckdb"
    if kind == "bigquery":
        project = os.environ.get("NBA_BQ_PROJECT", "").strip()
        if not project:
            raise WarehouseUnavailable(
                "NBA_WAREHOUSE=bigquery but NBA_BQ_PROJECT is not set: give the Google Cloud project")
        return BigQueryWarehouse(project=project,
                                 api_endpoint=os.environ.get("NBA_BQ_API_ENDPOINT") or None)
    if kind != "duckdb":
        raise WarehouseUnavailable(f"NBA_WAREHOUSE={kind!r}: use duckdb (default) or bigquery")
    path = duckdb_path(db)
    if read_only and not Path(path).exists():
        raise WarehouseNotFound(f"no DuckDB warehouse at {path}")
    return DuckDBWarehouse(path, read_only=read_only)


# ---------------------------------------------------------------------------
# Queries the commands share. Each takes an open warehouse and returns rows.
# ---------------------------------------------------------------------------

FEATURE_COLUMNS = (
    "player_lookup, game_date, game_id, team_abbr, opponent_team_abbr, is_home,"
    " injury_status, minutes_avg_last_7_days, vegas_line_source, vegas_sportsbook,"
    " feature_25_value, has_vegas_line, features, default_feature_count,"
    " required_default_count, feature_quality_score, quality_tier,"
    " matchup_quality_pct, quality_alert_level, is_quality_ready"
)


def feature_rows_for_date(wh: Warehouse, game_date: Any) -> list[Row]:
    sql = (
        f"select {FEATURE_COLUMNS} from {wh.table('predictions', 'ml_feature_store_v2')}"
        " where game_date = @game_date order by player_lookup"
    )
    return wh.query(sql, {"game_date": game_date})


def feature_row(wh: Warehouse, player_lookup: str, game_date: Any) -> Row | None:
    sql = (
        f"select {FEATURE_COLUMNS} from {wh.table('predictions', 'ml_feature_store_v2')}"
        " where game_date = @game_date and player_lookup = @player_lookup"
    )
    rows = wh.query(sql, {"game_date": game_date, "player_lookup": player_lookup})
    return rows[0] if rows else None


PREDICTIONS_TABLE = "player_prop_predictions"
LEDGER_TABLE = "prediction_requests"

PREDICTIONS_DDL = """
create table if not exists {table} (
    prediction_id varchar,
    game_id varchar,
    game_date date,
    player_lookup varchar,
    system_id varchar,
    line double,
    predicted_points double,
    is_active boolean,
    is_actionable boolean,
    filter_reason varchar,
    feature_quality_score double,
    correlation_id varchar,
    batch_id varchar,
    prediction_attempt varchar,
    created_at timestamp
)
"""

LEDGER_DDL = """
create table if not exists {table} (
    request_id varchar,
    batch_id varchar,
    correlation_id varchar,
    game_date date,
    player_lookup varchar,
    game_id varchar,
    prediction_attempt varchar,
    sink varchar,
    status varchar,
    attempts integer,
    error varchar,
    request_json varchar,
    created_at timestamp
)
"""


BIGQUERY_TYPES = {
    "varchar": "STRING",
    "double": "FLOAT64",
    "integer": "INT64",
    "bigint": "INT64",
    "boolean": "BOOL",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}
_DDL_TYPE = re.compile(r"\b(" + "|".join(BIGQUERY_TYPES) + r")\b(?=\s*,|\s*\n|\s*\)|$)")


def dialect_ddl(ddl: str, dialect: str) -> str:
    """Column types of a DuckDB-style DDL in the warehouse's dialect."""
    if dialect != "bigquery":
        return ddl
    return _DDL_TYPE.sub(lambda m: BIGQUERY_TYPES[m.group(1)], ddl)


def ensure_table(wh: Warehouse, layer: str, name: str, ddl: str) -> None:
    """Create a Python-written table (and its schema) if absent."""
    wh.ensure_schema(layer)
    wh.execute(dialect_ddl(ddl.format(table=wh.table(layer, name)), wh.dialect))


def active_prediction_players(wh: Warehouse, game_date: Any, system_id: str) -> set[str]:
    """Players with an active prediction for (date, system)."""
    if not wh.table_exists("predictions", PREDICTIONS_TABLE):
        return set()
    sql = (
        f"select distinct player_lookup from {wh.table('predictions', PREDICTIONS_TABLE)}"
        " where game_date = @game_date and system_id = @system_id and is_active"
    )
    rows = wh.query(sql, {"game_date": game_date, "system_id": system_id})
    return {row["player_lookup"] for row in rows}


def dispatched_players(wh: Warehouse, game_date: Any) -> set[str]:
    """Players with a successfully published request for the date."""
    if not wh.table_exists("predictions", LEDGER_TABLE):
        return set()
    sql = (
        f"select distinct player_lookup from {wh.table('predictions', LEDGER_TABLE)}"
        " where game_date = @game_date and status = 'published'"
    )
    return {row["player_lookup"] for row in wh.query(sql, {"game_date": game_date})}


def count_rows(wh: Warehouse, layer: str, name: str) -> int | None:
    if not wh.table_exists(layer, name):
        return None
    return int(wh.query(f"select count(*) as n from {wh.table(layer, name)}")[0]["n"])


# ---------------------------------------------------------------------------
# Identity: which warehouse this is (state kept outside it is keyed on it).
# ---------------------------------------------------------------------------

IDENTITY_TABLE = "warehouse_identity"
IDENTITY_DDL = """
create table if not exists {table} (
    warehouse_id varchar,
    created_at timestamp
)
"""


def warehouse_identity(wh: Warehouse, *, create: bool = False) -> str | None:
    """A random id stored in the warehouse itself (``<ops>.warehouse_identity``).

    It survives every dbt run and full refresh (it is not a dbt model) and is
    gone when the warehouse is rebuilt from scratch (a new DuckDB file, a
    recreated dataset), so state kept outside the warehouse (backfill
    progress) can tell "this warehouse" from "a rebuilt one". ``create``
    writes one when absent (needs a writable warehouse)."""
    if wh.table_exists("ops", IDENTITY_TABLE):
        rows = wh.query(
            f"select warehouse_id from {wh.table('ops', IDENTITY_TABLE)}"
            " order by created_at, warehouse_id limit 1")
        if rows:
            return str(rows[0]["warehouse_id"])
    if not create:
        return None
    import uuid

    from python_hooks import clock

    ensure_table(wh, "ops", IDENTITY_TABLE, IDENTITY_DDL)
    identity = uuid.uuid4().hex
    wh.insert_rows("ops", IDENTITY_TABLE, [
        {"warehouse_id": identity, "created_at": clock.utc_now().replace(tzinfo=None)}])
    return identity


def describe(wh: Any) -> str:
    """Where a warehouse is, for messages: the DuckDB file or the BigQuery project."""
    if getattr(wh, "dialect", "") == "bigquery":
        return f"bigquery:{wh.project}"
    return str(Path(wh.path).resolve())
