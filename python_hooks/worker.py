"""The prediction worker: defense in depth, then one baseline prediction per line.

:func:`handle_request` validates the request (:class:`PredictionRequest`),
re-reads the player's feature row and re-applies the hard floors, in this
order: no row -> ``no_features_available``; required defaults > 0 ->
``has_default_features``; red alert -> ``red_alert``; not quality ready ->
``not_quality_ready``. A request that fails a floor still writes prediction
records, with ``is_actionable = false`` and the ``filter_reason``, so nothing is
dropped silently. A player without a feature row gets one record (NULL line,
``is_active = false``: it is not a prediction and must not stop a later
dispatch once the row exists).

Predictions are keyed (game_id, player_lookup, system_id, line): one record per
distinct line in the request's ``line_values`` (one record with a NULL line
when there is no prop line). A key that already has an active prediction is
left alone, so a re-delivered request writes nothing.

`nba-fs worker --port 8080 --db ...` serves POST /predict (a request message,
or a Google Pub/Sub push delivery wrapping one) and GET /healthz, on the
standard library's ThreadingHTTPServer with the limits of
docs/python_layer.md (body size, read timeout, listen backlog, optional shared
secret). Requests are handled one at a time under a lock, each with its own
short DuckDB write connection, so the file is free for other processes (the
dispatcher) between requests.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import hmac
import json
import logging
import os
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any, Callable, Mapping
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from python_hooks import clock, gate, options, warehouse
from python_hooks.predictor import SYSTEM_ID, predict_points
from python_hooks.redact import redact

log = logging.getLogger("nba_fs.worker")

MAX_LINE_VALUES = 10  # dispatch sends 5 (the line and +-1, +-2)
MAX_BODY_BYTES = 64 * 1024  # a request is < 1 KiB; a Pub/Sub envelope ~1.5x that
READ_TIMEOUT_S = 10.0  # per socket read: a client that stalls is dropped
LISTEN_BACKLOG = 1024  # pending connections the kernel queues (stdlib default: 5)
MAX_CONNECTIONS = 64  # handled at once; requests are serialised on the warehouse anyway
TOKEN_ENV = "NBA_WORKER_TOKEN"
TOKEN_HEADER = "X-NBA-Worker-Token"
TOKEN_QUERY = "token"  # a Pub/Sub push endpoint cannot set headers

ShortText = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")]


class RequestError(ValueError):
    """A request the worker refuses (HTTP 400); the text names fields only."""


class WarehouseBusy(RuntimeError):
    """The warehouse cannot be written now (HTTP 503: deliver again later)."""


class PredictionRequest(BaseModel):
    """The fields of a request message the worker relies on; others are ignored."""

    model_config = ConfigDict(extra="ignore", strict=True, allow_inf_nan=False,
                              frozen=True)

    player_lookup: Annotated[str, Field(min_length=1, max_length=64,
                                        pattern=r"^[^\s\x00-\x1f\x7f]+$")]
    game_date: dt.date
    game_id: ShortText | None = None
    line_values: Annotated[list[float], Field(max_length=MAX_LINE_VALUES)] = []
    correlation_id: ShortText | None = None
    batch_id: ShortText | None = None
    prediction_attempt: gate.Mode | None = None

    @field_validator("line_values")
    @classmethod
    def _distinct(cls, values: list[float]) -> list[float]:
        if len(set(values)) != len(values):
            raise ValueError("line values must be distinct")
        return values


def _describe(exc: ValidationError) -> str:
    """Field names and messages, never the submitted values."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False)[:10]:
        where = ".".join(str(p) for p in error.get("loc", ())) or "body"
        parts.append(f"{where}: {error.get('msg')}")
    return "invalid request: " + "; ".join(parts)


def parse_request(raw: bytes | str | Mapping[str, Any]) -> PredictionRequest:
    """Validate a request (JSON text or a mapping); RequestError if invalid."""
    if isinstance(raw, Mapping):
        raw = json.dumps(dict(raw), default=str)  # NaN stays NaN: refused below
    try:
        return PredictionRequest.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestError(_describe(exc)) from None


def unwrap_push(body: Mapping[str, Any]) -> tuple[bytes, dict[str, Any]] | None:
    """A Google Pub/Sub push delivery -> (the request's JSON, delivery info);
    None when ``body`` is not a push envelope."""
    message = body.get("message")
    if not isinstance(message, Mapping) or "subscription" not in body and "data" not in message:
        return None
    data = message.get("data")
    if not isinstance(data, str):
        raise RequestError("invalid push delivery: message.data must be base64 text")
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise RequestError("invalid push delivery: message.data is not base64") from None
    info = {
        "message_id": message.get("messageId") or message.get("message_id"),
        "subscription": body.get("subscription"),
        "attributes": message.get("attributes") if isinstance(message.get("attributes"), Mapping) else {},
    }
    return decoded, info


def filter_reason(row: Mapping[str, Any] | None) -> str | None:
    """The worker's hard floors; None means actionable."""
    if row is None:
        return "no_features_available"
    if gate.required_defaults(row) > 0:
        return "has_default_features"
    if (row.get("quality_alert_level") or "").lower() == "red":
        return "red_alert"
    if not row.get("is_quality_ready"):
        return "not_quality_ready"
    return None


def existing_lines(
    wh: warehouse.Warehouse, game_id: str | None, player: str, game_date: Any, system_id: str
) -> set[float | None]:
    """Lines of the key that already have a record in force: an active
    prediction, or the (inactive) no-features record."""
    sql = (
        f"select line from {wh.table('predictions', warehouse.PREDICTIONS_TABLE)}"
        " where player_lookup = @player and game_date = @game_date"
        " and system_id = @system_id"
        " and (is_active or filter_reason = 'no_features_available')"
        " and coalesce(game_id, '') = coalesce(@game_id, '')"
    )
    params = {"player": player, "game_date": game_date, "system_id": system_id, "game_id": game_id}
    return {row["line"] for row in wh.query(sql, params)}


def handle_request(
    request: Mapping[str, Any] | PredictionRequest,
    wh: Any,
    *,
    system_id: str = SYSTEM_ID,
    now: Callable[[], dt.datetime] = clock.utc_now,
) -> dict[str, Any]:
    """Predict for one request; ``wh`` must be writable. Returns a report.
    Raises RequestError (a ValueError) for an invalid request."""
    req = request if isinstance(request, PredictionRequest) else parse_request(request)
    player, game_date = req.player_lookup, req.game_date
    warehouse.ensure_table(wh, "predictions", warehouse.PREDICTIONS_TABLE, warehouse.PREDICTIONS_DDL)
    row = None
    if wh.table_exists("predictions", "ml_feature_store_v2"):
        row = warehouse.feature_row(wh, player, game_date)
    reason = filter_reason(row)
    game_id = (row or {}).get("game_id") or req.game_id
    already = existing_lines(wh, game_id, player, game_date, system_id)
    created_at = now().astimezone(dt.timezone.utc).replace(tzinfo=None)
    # without a feature row the lines mean nothing: one record, NULL line
    lines: list[float | None] = list(req.line_values) if row is not None else []
    records = []
    for line in lines or [None]:
        if line in already:
            continue
        features = (row or {}).get("features")
        records.append(
            {
                "prediction_id": str(uuid.uuid4()),
                "game_id": game_id,
                "game_date": game_date,
                "player_lookup": player,
                "system_id": system_id,
                "line": line,
                "predicted_points": predict_points(features, line) if row is not None else None,
                "is_active": row is not None,
                "is_actionable": reason is None,
                "filter_reason": reason,
                "feature_quality_score": None if row is None else row.get("feature_quality_score"),
                "correlation_id": req.correlation_id,
                "batch_id": req.batch_id,
                "prediction_attempt": None if req.prediction_attempt is None else req.prediction_attempt.value,
                "created_at": created_at,
            }
        )
    wh.insert_rows("predictions", warehouse.PREDICTIONS_TABLE, records)
    return {
        "player_lookup": player,
        "game_date": game_date.isoformat(),
        "status": "created" if records else "duplicate",
        "written": len(records),
        "is_actionable": reason is None,
        "filter_reason": reason,
    }


class Worker:
    """Serialises requests and opens one short write connection per request."""

    def __init__(self, open_writer: Callable[[], warehouse.Warehouse], system_id: str = SYSTEM_ID,
                 *, db_path: str | None = None, lock_attempts: int = 10) -> None:
        self.open_writer = open_writer
        self.system_id = system_id
        self.db_path = db_path
        self.lock_attempts = lock_attempts
        self.lock = threading.Lock()

    def _with_writer(self, action: Callable[[Any], Any]) -> Any:
        if self.db_path is not None and not os.path.isfile(self.db_path):
            raise WarehouseBusy("the warehouse file is missing")

        def once() -> Any:
            wh = self.open_writer()
            try:
                return action(wh)
            finally:
                wh.close()

        with self.lock:
            # another process (the dispatcher) may hold the file for a moment;
            # a retried request is harmless because writes are keyed
            try:
                return warehouse.retry_on_lock(once, attempts=self.lock_attempts)
            except RequestError:
                raise
            except Exception as exc:
                if warehouse.is_lock_conflict(exc):
                    raise WarehouseBusy("the warehouse is locked by another process") from exc
                raise

    def handle(self, request: Mapping[str, Any] | PredictionRequest) -> dict[str, Any]:
        req = request if isinstance(request, PredictionRequest) else parse_request(request)
        return self._with_writer(lambda wh: handle_request(req, wh, system_id=self.system_id))

    def health(self) -> dict[str, Any]:
        """Can the worker write predictions? Raises WarehouseBusy if not."""

        def check(wh: Any) -> dict[str, Any]:
            if not wh.table_exists("predictions", "ml_feature_store_v2"):
                raise WarehouseBusy("no feature store table in the warehouse")
            wh.query("select 1 as ok")
            return {"status": "ok", "system_id": self.system_id, "warehouse": "ok"}

        return self._with_writer(check)


class WorkerServer(ThreadingHTTPServer):
    """At most MAX_CONNECTIONS connections are handled at once (one thread
    each); the next ones wait in the kernel's listen backlog."""

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        self._slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def make_server(
    worker: Worker,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    quiet: bool = False,
    token: str | None = None,
    max_body: int = MAX_BODY_BYTES,
    read_timeout: float = READ_TIMEOUT_S,
) -> ThreadingHTTPServer:
    """The HTTP server. ``token``: when set, POST /predict needs it in the
    ``X-NBA-Worker-Token`` header or the ``token`` query parameter."""

    class Handler(BaseHTTPRequestHandler):
        timeout = read_timeout  # socket timeout of every read (slow clients)

        def _send(self, status: int, body: Mapping[str, Any], *, close: bool = False) -> None:
            payload = json.dumps(body).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if close:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                self.close_connection = True  # the client went away

        def _route(self) -> tuple[str, dict[str, list[str]]]:
            parts = urlsplit(self.path)
            return parts.path, parse_qs(parts.query)

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            path, _ = self._route()
            if path != "/healthz":
                self._send(404, {"error": "not found"})
                return
            try:
                self._send(200, worker.health())
            except WarehouseBusy as exc:
                self._send(503, {"status": "unavailable", "error": str(exc)})
            except Exception as exc:  # noqa: BLE001 - details go to the log only
                error_id = uuid.uuid4().hex[:12]
                log.error("healthz %s: %s", error_id, redact(f"{type(exc).__name__}: {exc}"))
                self._send(503, {"status": "unavailable", "error": "warehouse check failed",
                                 "error_id": error_id})

        def _authorised(self, query: dict[str, list[str]]) -> bool:
            if not token:
                return True
            given = self.headers.get(TOKEN_HEADER) or (query.get(TOKEN_QUERY) or [""])[0]
            return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))

        def _read_body(self) -> bytes | None:
            """The body, or None after answering the error."""
            if self.headers.get("Transfer-Encoding"):
                self._send(411, {"error": "send a Content-Length (chunked bodies are refused)"},
                           close=True)
                return None
            raw_length = self.headers.get("Content-Length")
            if raw_length is None:
                self._send(411, {"error": "Content-Length required"}, close=True)
                return None
            try:
                length = int(raw_length.strip())
            except ValueError:
                length = -1
            if length < 0:
                self._send(400, {"error": "invalid Content-Length"}, close=True)
                return None
            if length > max_body:
                self._send(413, {"error": f"body larger than {max_body} bytes"}, close=True)
                return None
            try:
                body = self._read_exactly(length)
            except TimeoutError:
                self._send(408, {"error": "request body not received in time"}, close=True)
                return None
            if len(body) != length:
                self.close_connection = True  # the client closed early
                return None
            return body

        def _read_exactly(self, length: int) -> bytes:
            """The body within ``read_timeout`` in all (a client trickling
            bytes cannot hold a connection longer)."""
            deadline = time.monotonic() + read_timeout
            chunks: list[bytes] = []
            remaining = length
            try:
                while remaining > 0:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError("body read deadline")
                    self.connection.settimeout(left)
                    chunk = self.rfile.read1(min(remaining, 65536))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    remaining -= len(chunk)
            finally:
                self.connection.settimeout(read_timeout)
            return b"".join(chunks)

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            path, query = self._route()
            if path != "/predict":
                self._send(404, {"error": "not found"}, close=True)
                return
            if not self._authorised(query):
                self._send(401, {"error": "missing or wrong worker token"}, close=True)
                return
            body = self._read_body()
            if body is None:
                return
            try:
                request = self._request(body)
                result = worker.handle(request)
            except RequestError as exc:
                self._send(400, {"error": str(exc)})
                return
            except WarehouseBusy as exc:
                self._send(503, {"error": str(exc)})
                return
            except Exception as exc:  # noqa: BLE001 - details go to the log only
                error_id = uuid.uuid4().hex[:12]
                log.error("predict %s: %s", error_id, redact(f"{type(exc).__name__}: {exc}"))
                self._send(500, {"error": "internal error", "error_id": error_id})
                return
            self._send(200, result)

        def _request(self, body: bytes) -> PredictionRequest:
            try:
                decoded = json.loads(body, parse_constant=_refuse_constant)
            except (ValueError, UnicodeDecodeError):
                raise RequestError("body is not a JSON object") from None
            if not isinstance(decoded, dict):
                raise RequestError("body is not a JSON object")
            pushed = unwrap_push(decoded)
            if pushed is None:
                return parse_request(body)
            data, info = pushed
            log.debug("push delivery %s from %s", info["message_id"], info["subscription"])
            return parse_request(data)

        def log_message(self, fmt: str, *args: Any) -> None:
            if not quiet:
                log.info("%s %s", self.address_string(), redact(fmt % args))

    return WorkerServer((host, port), Handler)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    options.add_db_option(parser)
    parser.add_argument("--system-id", default=SYSTEM_ID)
    parser.add_argument("--quiet", action="store_true", help="do not log each request")


def check_duckdb_file(path: str) -> str | None:
    """Why ``path`` is not a usable DuckDB warehouse, or None."""
    import duckdb

    if not os.path.exists(path):
        return f"no DuckDB warehouse at {path}"
    if not os.path.isfile(path):
        return f"{path} is not a file"
    if not os.access(path, os.R_OK):
        return f"{path} is not readable"
    try:
        duckdb.connect(path, read_only=True).close()
    except duckdb.Error as exc:
        text = str(exc)
        if warehouse.is_lock_message(text):
            return f"{path} is locked by another process"
        return f"{path} is not a DuckDB database ({text.splitlines()[0][:120]})"
    return None


def run(args: argparse.Namespace) -> int:
    path = None
    if os.environ.get("NBA_WAREHOUSE", "duckdb").lower() == "bigquery":
        if not os.environ.get("NBA_BQ_PROJECT"):
            print("worker: NBA_WAREHOUSE=bigquery needs NBA_BQ_PROJECT (the Google Cloud project)",
                  file=sys.stderr)
            return 2
    else:
        path = warehouse.duckdb_path(args.db)
        problem = check_duckdb_file(path)
        if problem:
            print(f"worker: {problem}", file=sys.stderr)
            return 2
    token = os.environ.get(TOKEN_ENV) or None
    worker = Worker(lambda: warehouse.open_warehouse(args.db, read_only=False), args.system_id,
                    db_path=path)
    try:
        server = make_server(worker, args.host, args.port, quiet=args.quiet, token=token)
    except OSError as exc:  # the port is taken or not ours to bind
        print(f"worker: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"worker {args.system_id} listening on http://{args.host}:{server.server_port}/predict"
          f"{' (token required)' if token else ''}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
