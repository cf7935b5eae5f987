"""Real processes for the worker and Pub/Sub tests: a worker, the Pub/Sub emulator.

* :class:`WorkerProcess` runs the worker (``python tests_py/pubsub_fixtures.py
  worker ...``: the real server of python_hooks.worker) in its own process
  group on 127.0.0.1, optionally answering 503 to the first delivery of every
  ``nack_every``-th player so that Pub/Sub has to deliver it again.
* :class:`PubSubEmulator` runs the Google Cloud SDK's Pub/Sub emulator (Java)
  on 127.0.0.1 in its own process group; :func:`emulator_launcher` finds it
  (None when the SDK or Java is absent, and why).

Both are stopped by killing their whole process group.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout} s:\n"
                       f"{log.read_text()[-3000:]}")


def stop_group(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """SIGTERM the process group of ``proc``, then SIGKILL what is left."""
    if proc is None or proc.poll() is not None and not _group_alive(proc.pid):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue
        if not _group_alive(proc.pid):
            return


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkerProcess:
    def __init__(self, db: Path, work: Path, *, nack_every: int = 0, token: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log = work / f"worker_{self.port}.log"
        environ = dict(os.environ if env is None else env)
        if token:
            environ["NBA_WORKER_TOKEN"] = token
        self.handle = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "worker", "--db", str(db),
             "--port", str(self.port), "--nack-every", str(nack_every)],
            cwd=ROOT, env=environ, stdout=self.handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_port(self.port, self.proc, 30, self.log)
        except Exception:
            self.stop()
            raise
        self.url = f"http://127.0.0.1:{self.port}/predict"

    def stop(self) -> None:
        stop_group(self.proc)
        self.handle.close()


def emulator_launcher() -> tuple[list[str] | None, str]:
    """The command that starts the Pub/Sub emulator, or (None, why not)."""
    if not shutil.which("java"):
        return None, "no java on PATH (the Pub/Sub emulator is a Java program)"
    candidates = []
    gcloud = shutil.which("gcloud")
    if gcloud:
        sdk = Path(os.path.realpath(gcloud)).parent.parent
        candidates.append(sdk / "platform" / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator")
    for env in ("CLOUDSDK_ROOT_DIR", "GOOGLE_CLOUD_SDK"):
        if os.environ.get(env):
            candidates.append(Path(os.environ[env]) / "platform" / "pubsub-emulator" / "bin"
                              / "cloud-pubsub-emulator")
    for launcher in candidates:
        if launcher.is_file() and os.access(launcher, os.X_OK):
            return [str(launcher)], ""
    if gcloud:
        return None, ("gcloud is installed but not its Pub/Sub emulator component"
                      " (gcloud components install pubsub-emulator)")
    return None, "the Google Cloud SDK (gcloud) and its Pub/Sub emulator are not installed"


class PubSubEmulator:
    def __init__(self, launcher: list[str], work: Path, timeout: float = 45.0) -> None:
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.log = work / "pubsub_emulator.log"
        self.handle = self.log.open("w")
        self.proc = subprocess.Popen(
            [*launcher, "--host=127.0.0.1", f"--port={self.port}"],
            stdout=self.handle, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while "Server started" not in self.log.read_text():
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the Pub/Sub emulator did not start:\n"
                                       f"{self.log.read_text()[-3000:]}")
                time.sleep(0.2)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        stop_group(self.proc)
        self.handle.close()


def _serve_worker(argv: list[str]) -> int:
    """The real worker server; --nack-every N answers 503 to the first
    delivery of every N-th player (by a stable hash of the name)."""
    from python_hooks import warehouse
    from python_hooks import worker as worker_module
    from python_hooks.worker import Worker, make_server

    # the earlier worker (to show tests failing on it) has no WarehouseBusy
    busy = getattr(worker_module, "WarehouseBusy", RuntimeError)

    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--nack-every", type=int, default=0)
    args = parser.parse_args(argv)

    class NackingWorker(Worker):
        seen: set[str] = set()

        def handle(self, request):  # type: ignore[override]
            player = getattr(request, "player_lookup", None) or request.get("player_lookup")
            if args.nack_every and zlib.crc32(player.encode()) % args.nack_every == 0:
                with self.lock:
                    first = player not in self.seen
                    self.seen.add(player)
                if first:
                    print(f"nack first delivery of {player}", flush=True)
                    raise busy("first delivery refused on purpose")
            return super().handle(request)

    def open_writer():
        return warehouse.DuckDBWarehouse(args.db, read_only=False)

    token = os.environ.get("NBA_WORKER_TOKEN") or None
    try:
        worker = NackingWorker(open_writer, db_path=args.db)
        server = make_server(worker, "127.0.0.1", args.port, quiet=True, token=token)
    except TypeError:  # the earlier worker
        worker = NackingWorker(open_writer)
        server = make_server(worker, "127.0.0.1", args.port, quiet=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print(f"listening on {args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        sys.exit(_serve_worker(sys.argv[2:]))
    sys.exit("usage: pubsub_fixtures.py worker --db FILE --port N [--nack-every N]")
