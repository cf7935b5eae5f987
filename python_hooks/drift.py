"""`nba-fs drift`: which deployed models no longer match the project.

The deployable units are the dbt phases (tags phase2 .. phase5). After each
successful production build, `nba-fs drift record` stores, per model that
built, its code checksum, the git commit, the time and the target in
`nba_ops.dbt_deployments`. It reads what that build deployed - the models
its run_results.json reports successful, with the checksums of the manifest
written by the same invocation - and refuses anything but a `dbt run` or
`dbt build` (a `dbt docs generate` or `compile` deploys nothing). `nba-fs
drift` parses the current project and reports, per phase, the models whose
code changed since their last deployment (stale) and those never deployed.

A model's code checksum covers what dbt's own `state:modified` compares: its
SQL as written, the SQL of every macro it calls (transitively) and its
config. It does not depend on vars or on the moment of compilation (compiled
SQL holds literal window dates and differs between full and incremental
runs), so a deployment and the current project compare like for like. A var
value is not code: after changing one, rebuild with `dbt build --vars` as
usual.

`--fix` rebuilds the stale and never-deployed models and their children over
their history (the schedule's first game date to the run date's window end,
or `--fix-start-date` / `--fix-end-date`), not only the daily window, then
records that run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from python_hooks import clock, contract, dbt_invoke, options
from python_hooks.warehouse import Warehouse, duckdb_path, ensure_table, open_warehouse

log = logging.getLogger("nba_fs.drift")
PROJECT_ROOT = contract.PROJECT_ROOT
PHASES = ("phase2", "phase3", "phase4", "phase5")
DEPLOYING_COMMANDS = ("run", "build")
DEPLOYMENTS_TABLE = "dbt_deployments"
DEPLOYMENTS_DDL = """
create table if not exists {table} (
    model_unique_id varchar,
    model_name varchar,
    phase varchar,
    code_checksum varchar,
    git_commit varchar,
    target_name varchar,
    invocation_id varchar,
    deployed_at timestamp
)
"""

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_ERROR = 2


@dataclass(frozen=True)
class ModelCode:
    unique_id: str
    name: str
    phase: str
    checksum: str


@dataclass(frozen=True)
class DriftReport:
    stale: dict[str, list[str]]
    never_deployed: dict[str, list[str]]
    current: dict[str, list[str]]

    @property
    def has_drift(self) -> bool:
        return any(self.stale.values()) or any(self.never_deployed.values())


# ---------------------------------------------------------------------------
# Pure parts
# ---------------------------------------------------------------------------


def phase_of(tags: Sequence[str]) -> str:
    for phase in PHASES:
        if phase in tags:
            return phase
    return "untagged"


def code_checksum(compiled_code: str) -> str:
    # Trailing whitespace differences are not deployments.
    normalised = "\n".join(line.rstrip() for line in compiled_code.strip().splitlines())
    return hashlib.sha256(normalised.encode()).hexdigest()


def _macro_closure(manifest: Mapping[str, Any], roots: Sequence[str]) -> list[str]:
    macros = manifest.get("macros", {})
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in seen or name not in macros:
            continue
        seen.add(name)
        stack.extend(macros[name].get("depends_on", {}).get("macros", []))
    return sorted(seen)


def model_fingerprint(manifest: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    """Checksum of a model's SQL, the macros it calls (transitively) and its config."""
    macros = manifest.get("macros", {})
    parts = [code_checksum(node.get("raw_code") or "")]
    for name in _macro_closure(manifest, node.get("depends_on", {}).get("macros", [])):
        parts.append(f"{name}={code_checksum(macros[name].get('macro_sql') or '')}")
    parts.append(json.dumps(node.get("config", {}), sort_keys=True, default=str))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def models_from_manifest(manifest: Mapping[str, Any]) -> dict[str, ModelCode]:
    models: dict[str, ModelCode] = {}
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node.get("package_name") != "nba_feature_store":
            continue
        models[unique_id] = ModelCode(
            unique_id=unique_id,
            name=node["name"],
            phase=phase_of(node.get("tags", [])),
            checksum=model_fingerprint(manifest, node),
        )
    return models


def compare(current: Mapping[str, ModelCode], deployed: Mapping[str, str]) -> DriftReport:
    """deployed: unique_id -> checksum of its latest deployment."""
    stale: dict[str, list[str]] = {}
    never: dict[str, list[str]] = {}
    fresh: dict[str, list[str]] = {}
    for model in sorted(current.values(), key=lambda m: (m.phase, m.name)):
        if model.unique_id not in deployed:
            bucket = never
        elif deployed[model.unique_id] != model.checksum:
            bucket = stale
        else:
            bucket = fresh
        bucket.setdefault(model.phase, []).append(model.name)
    return DriftReport(stale=stale, never_deployed=never, current=fresh)


def format_report(report: DriftReport, *, verbose: bool, colour: bool) -> str:
    def paint(text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if colour else text

    phases = sorted(set(report.stale) | set(report.never_deployed) | set(report.current))
    lines = [f"{'phase':<10}{'current':>9}{'stale':>7}{'never deployed':>16}"]
    for phase in phases:
        stale = report.stale.get(phase, [])
        never = report.never_deployed.get(phase, [])
        lines.append(
            f"{phase:<10}{len(report.current.get(phase, [])):>9}"
            f"{len(stale):>7}{len(never):>16}"
        )
        if verbose:
            lines += [f"    stale: {name}" for name in stale]
            lines += [f"    never deployed: {name}" for name in never]
    stale_total = sum(len(v) for v in report.stale.values())
    never_total = sum(len(v) for v in report.never_deployed.values())
    if report.has_drift:
        lines.append(paint(
            f"DRIFT: {stale_total} stale, {never_total} never deployed"
            " (nba-fs drift --fix rebuilds them and their children)", "31"))
    else:
        lines.append(paint("OK: every model matches its last deployment", "32"))
    return "\n".join(lines)


def use_colour(stream: Any) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ


# ---------------------------------------------------------------------------
# dbt and warehouse
# ---------------------------------------------------------------------------


class DriftError(RuntimeError):
    """A drift step that cannot go on (one line for the operator)."""


def parse_current(target: str | None, project_dir: Path = PROJECT_ROOT, *, db: str | None = None,
                  overrides: Mapping[str, Any] | None = None) -> dict[str, ModelCode]:
    """Parse the project (no warehouse access); return its models' checksums."""
    from tqdm import tqdm

    with tempfile.TemporaryDirectory(prefix="nba_drift_") as target_path, \
            tqdm(total=1, desc=f"parsing {project_dir.name}", unit="project", file=sys.stderr,
                 leave=False) as bar:
        result = dbt_invoke.invoke(["parse", "--target-path", target_path], db=db, target=target,
                                   project_dir=project_dir, overrides=overrides)
        bar.update(1)
        manifest_path = Path(target_path) / "manifest.json"
        if not result.success or not manifest_path.exists():
            raise DriftError(f"dbt parse failed: {result.exception}")
        manifest = json.loads(manifest_path.read_text())
    return models_from_manifest(manifest)


compile_current = parse_current  # the earlier name


def git_commit(project_dir: Path = PROJECT_ROOT) -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=project_dir, capture_output=True,
            text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("NBA_GIT_COMMIT", "unknown")


def latest_deployments(wh: Warehouse, target: str) -> dict[str, str]:
    if not wh.table_exists("ops", DEPLOYMENTS_TABLE):
        return {}
    rows = wh.query(
        f"select model_unique_id, code_checksum from {wh.table('ops', DEPLOYMENTS_TABLE)}"
        " where target_name = @target"
        " qualify row_number() over ("
        "   partition by model_unique_id order by deployed_at desc) = 1",
        {"target": target},
    )
    return {row["model_unique_id"]: row["code_checksum"] for row in rows}


def succeeded_models(run_results: Mapping[str, Any]) -> set[str]:
    return {
        str(result.get("unique_id"))
        for result in run_results.get("results", [])
        if isinstance(result, Mapping) and str(result.get("unique_id", "")).startswith("model.")
        and result.get("status") == "success"
    }


def deployed_by(run_results_path: Path) -> tuple[dict[str, ModelCode], set[str], str, str | None]:
    """What a finished dbt invocation deployed: (models of its own manifest,
    the models it built successfully, its invocation id, its dbt target). DriftError when
    the file is not the result of a `dbt run` / `dbt build`, or when the
    manifest beside it belongs to another invocation."""
    if not run_results_path.exists():
        raise DriftError(f"no run results at {run_results_path}: run a build first")
    try:
        results = json.loads(run_results_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DriftError(f"{run_results_path} is not readable JSON ({exc})") from None
    if not isinstance(results, dict) or not isinstance(results.get("results"), list):
        raise DriftError(f"{run_results_path} is not a dbt run_results.json")
    which = (results.get("args") or {}).get("which")
    if which not in DEPLOYING_COMMANDS:
        raise DriftError(f"{run_results_path} is the result of `dbt {which or '?'}`, which deploys"
                         " nothing: record a `dbt run` or `dbt build`")
    invocation = str((results.get("metadata") or {}).get("invocation_id", ""))
    manifest_path = run_results_path.with_name("manifest.json")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise DriftError(f"no readable manifest.json beside {run_results_path}") from None
    if str((manifest.get("metadata") or {}).get("invocation_id", "")) != invocation:
        raise DriftError(f"{manifest_path} was written by another dbt invocation than"
                         f" {run_results_path.name}: record right after the build")
    run_target = (results.get("args") or {}).get("target")
    return models_from_manifest(manifest), succeeded_models(results), invocation, run_target


def record(
    db: str, target: str, models: Mapping[str, ModelCode], built: set[str], invocation_id: str
) -> int:
    now = clock.utc_now().replace(tzinfo=None)
    commit = git_commit()
    rows = [
        {
            "model_unique_id": model.unique_id,
            "model_name": model.name,
            "phase": model.phase,
            "code_checksum": model.checksum,
            "git_commit": commit,
            "target_name": target,
            "invocation_id": invocation_id,
            "deployed_at": now,
        }
        for unique_id, model in sorted(models.items())
        if unique_id in built
    ]
    with open_warehouse(db, read_only=False) as wh:
        ensure_table(wh, "ops", DEPLOYMENTS_TABLE, DEPLOYMENTS_DDL)
        wh.insert_rows("ops", DEPLOYMENTS_TABLE, rows)
    return len(rows)


# ---------------------------------------------------------------------------
# Command
# ---------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=["check", "record"], default="check",
                        help="check (default) or record the models a build just deployed")
    options.add_db_option(parser)
    options.add_vars_option(parser)
    parser.add_argument("--target", default=None,
                        help="dbt target (default NBA_DBT_TARGET or the profile default; record:"
                             " the target the recorded build ran on)")
    parser.add_argument("--run-results", default=str(PROJECT_ROOT / "target" / "run_results.json"),
                        help="run_results.json of the build to record")
    parser.add_argument("--project-dir", default=str(PROJECT_ROOT),
                        help="dbt project to compare (default: this checkout)")
    # --verbose (shared, python_hooks/options.py) lists each model
    parser.add_argument("--fix", action="store_true",
                        help="rebuild exactly the stale and never-deployed models and their "
                             "children over their history, then record them")
    options.add_date_option(parser, "--fix-start-date",
                            help="first date --fix rebuilds (default: the schedule's first game date)")
    options.add_date_option(parser, "--fix-end-date",
                            help="last date --fix rebuilds (default: the run date's window end)")


def _target_name(target: str | None) -> str:
    if target:
        return target
    return os.environ.get("NBA_DBT_TARGET", "dev")


def fix_window(db: str, start: dt.date | None, end: dt.date | None,
               overrides: Mapping[str, Any] | None = None) -> tuple[dt.date, dt.date]:
    """The dates --fix rebuilds: the whole history unless stated."""
    if start is None:
        try:
            with open_warehouse(db, read_only=True) as wh:
                rows = wh.query(f"select min(game_date) as first from"
                                f" {wh.table('staging', 'stg_nba_raw__schedule')}")
            start = rows[0]["first"] if rows and rows[0]["first"] else None
        except Exception:  # noqa: BLE001 - no schedule yet: the history floor
            start = None
        if start is None:
            start = dt.date.fromisoformat(str(contract.threshold("history_floor_date", overrides)))
    if end is None:
        end = clock.run_date() + dt.timedelta(
            days=int(contract.threshold("daily_lookahead_days", overrides)))
    if end < start:
        raise DriftError(f"--fix-end-date {end} is before --fix-start-date {start}")
    return start, end


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except DriftError as exc:
        print(f"nba-fs drift: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _run(args: argparse.Namespace) -> int:
    db = duckdb_path(args.db)
    target = _target_name(args.target)
    overrides = getattr(args, "vars", None) or {}
    project_dir = Path(args.project_dir).resolve()
    if args.action == "record":
        models, built, invocation, run_target = deployed_by(Path(args.run_results))
        # the target the build ran on, unless stated
        target = args.target or run_target or target
        count = record(db, target, models, built, invocation)
        print(f"recorded {count} deployed model(s) for target {target}")
        return EXIT_OK

    with open_warehouse(db, read_only=True) as wh:
        deployed = latest_deployments(wh, target)
    current = parse_current(args.target, project_dir, db=db, overrides=overrides)
    report = compare(current, deployed)
    print(format_report(report, verbose=getattr(args, "verbose", False),
                        colour=use_colour(sys.stdout)))
    if not report.has_drift or not args.fix:
        return EXIT_DRIFT if report.has_drift else EXIT_OK

    names = sorted(
        name for bucket in (report.stale, report.never_deployed)
        for phase_models in bucket.values() for name in phase_models
    )
    start, end = fix_window(db, args.fix_start_date, args.fix_end_date, overrides)
    print(f"rebuilding {len(names)} model(s) and their children for {start} .. {end}")
    with tempfile.TemporaryDirectory(prefix="nba_drift_fix_") as target_path:
        result = dbt_invoke.invoke(
            ["run", "--select", *[f"{name}+" for name in names], "--target-path", target_path],
            db=db, target=args.target, project_dir=project_dir, overrides=overrides,
            extra_vars={"start_date": start.isoformat(), "end_date": end.isoformat()})
        if not result.success:
            print("rebuild failed; drift remains", file=sys.stderr)
            return EXIT_ERROR
        models, built, invocation, _ = deployed_by(Path(target_path) / "run_results.json")
    count = record(db, target, models, built, invocation)
    print(f"rebuilt and recorded {count} model(s)")
    return EXIT_OK
