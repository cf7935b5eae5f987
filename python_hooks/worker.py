"""The prediction worker: defense in depth, then one baseline prediction per line.

:func:`handle_request` re-reads the player's feature row and re-applies the hard
floors, in this order: no row -> ``no_features_available``; required defaults
> 0 -> ``has_default_features``; red alert -> ``red_alert``; not quality ready
-> ``not_quality_ready``. A request that fails a floor still writes prediction
records, with ``is_actionable = false`` and the ``filter_reason``, so nothing is
dropped silently.

Predictions are keyed (game_id, player_lookup, system_id, line): one record per
line in the request's ``line_values`` (one record with a NULL line when there is
no prop line). A key that already has an active prediction is left alone, so a
re-delivered request writes nothing.

`nba-fs worker --port 8080 --db ...` serves POST /predict and GET /healthz
(standard-library ThreadingHTTPServer). Requests are handled one at a time
under a lock, each with its own short DuckDB write connection, so the file is
free for other processes (the dispatcher) between requests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping

from python_hooks import gate, warehouse
from python_hooks.predictor import SYSTEM_ID, predict_points


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


def _lines(request: Mapping[str, Any]) -> list[float | None]:
    values = request.get("line_values") or []
    return [float(v) for v in values] or [None]


def existing_lines(
    wh: warehouse.Warehouse, game_id: str | None, player: str, game_date: Any, system_id: str
) -> set[float | None]:
    sql = (
        f"select line from {wh.table('predictions', warehouse.PREDICTIONS_TABLE)}"
        " where player_lookup = @player and game_date = @game_date"
        " and system_id = @system_id and is_active"
        " and coalesce(game_id, '') = coalesce(@game_id, '')"
    )
    params = {"player": player, "game_date": game_date, "system_id": system_id, "game_id": game_id}
    return {row["line"] for row in wh.query(sql, params)}


def handle_request(
    request: Mapping[str, Any],
    wh: Any,
    *,
    system_id: str = SYSTEM_ID,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
) -> dict[str, Any]:
    """Predict for one request; ``wh`` must be writable. Returns a report."""
    player = request.get("player_lookup")
    raw_date = request.get("game_date")
    if not player or not raw_date:
        raise ValueError("request needs player_lookup and game_date")
    game_date = dt.date.fromisoformat(str(raw_date))
    warehouse.ensure_table(wh, "predictions", warehouse.PREDICTIONS_TABLE, warehouse.PREDICTIONS_DDL)
    row = None
    if wh.table_exists("predictions", "ml_feature_store_v2"):
        row = warehouse.feature_row(wh, player, game_date)
    reason = filter_reason(row)
    game_id = (row or {}).get("game_id") or request.get("game_id")
    already = existing_lines(wh, game_id, player, game_date, system_id)
    created_at = now().astimezone(dt.timezone.utc).replace(tzinfo=None)
    records = []
    for line in _lines(request):
        if line in already:
            continue
        features = (row or {}).get("features")
        predicted = predict_points(features, line) if features is not None else None
        records.append(
            {
                "prediction_id": str(uuid.uuid4()),
                "game_id": game_id,
                "game_date": game_date,
                "player_lookup": player,
                "system_id": system_id,
                "line": line,
                "predicted_points": predicted,
                "is_active": True,
                "is_actionable": reason is None,
                "filter_reason": reason,
                "feature_quality_score": None if row is None else row.get("feature_quality_score"),
                "correlation_id": request.get("correlation_id"),
                "batch_id": request.get("batch_id"),
                "prediction_attempt": request.get("prediction_attempt"),
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

    def __init__(self, open_writer: Callable[[], Any], system_id: str = SYSTEM_ID) -> None:
        self.open_writer = open_writer
        self.system_id = system_id
        self.lock = threading.Lock()

    def handle(self, request: Mapping[str, Any]) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            wh = self.open_writer()
            try:
                return handle_request(request, wh, system_id=self.system_id)
            finally:
                wh.close()

        with self.lock:
            # another process (the dispatcher) may hold the file for a moment;
            # a retried request is harmless because writes are keyed
            return warehouse.retry_on_lock(once)


def make_server(
    worker: Worker, host: str = "127.0.0.1", port: int = 8080, *, quiet: bool = False
) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: Mapping[str, Any]) -> None:
            payload = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            if self.path == "/healthz":
                self._send(200, {"status": "ok", "system_id": worker.system_id})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            if self.path != "/predict":
                self._send(404, {"error": "not found"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                if not isinstance(request, dict):
                    raise ValueError("body must be a JSON object")
            except ValueError as exc:
                self._send(400, {"error": str(exc)})
                return
            try:
                self._send(200, worker.handle(request))
            except ValueError as exc:
                self._send(400, {"error": str(exc)})
            except Exception as exc:  # noqa: BLE001 - reported to the caller
                self._send(500, {"error": f"{type(exc).__name__}: {exc}"})

        def log_message(self, fmt: str, *args: Any) -> None:
            if not quiet:
                super().log_message(fmt, *args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--db", help="DuckDB file (default NBA_DUCKDB_PATH or warehouse/nba.duckdb)")
    parser.add_argument("--system-id", default=SYSTEM_ID)


def run(args: argparse.Namespace) -> int:
    worker = Worker(lambda: warehouse.open_warehouse(args.db, read_only=False), args.system_id)
    server = make_server(worker, args.host, args.port)
    print(f"worker {args.system_id} listening on http://{args.host}:{server.server_port}/predict")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
