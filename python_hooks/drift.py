"""`nba-fs drift`: which deployed models no longer match the project.

The deployable units are the dbt phases (tags phase2 .. phase5). After each
successful production build, `nba-fs drift record` stores, per model that
built, the checksum of its compiled code, the git commit, the time and the
target in `nba_ops.dbt_deployments`. `nba-fs drift` compiles the current
project the same way and reports, per phase, the models whose code changed
since their last deployment (stale) and the models never deployed.

Compiled code depends on the date-window vars (literal dates), so both sides
compile with the same canonical window; a checksum then changes only when a
model's SQL, a macro it uses, or its config changes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from python_hooks import contract
from python_hooks.warehouse import Warehouse, duckdb_path, ensure_table, open_warehouse

PROJECT_ROOT = contract.PROJECT_ROOT
PHASES = ("phase2", "phase3", "phase4", "phase5")
CANONICAL_VARS = {"start_date": "1970-01-01", "end_date": "1970-01-01"}
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


def models_from_manifest(manifest: Mapping[str, Any]) -> dict[str, ModelCode]:
    models: dict[str, ModelCode] = {}
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node.get("package_name") != "nba_feature_store":
            continue
        code = node.get("compiled_code") or node.get("raw_code") or ""
        models[unique_id] = ModelCode(
            unique_id=unique_id,
            name=node["name"],
            phase=phase_of(node.get("tags", [])),
            checksum=code_checksum(code),
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


def _dbt(args: list[str]) -> Any:
    from dbt.cli.main import dbtRunner

    return dbtRunner().invoke(args)


def _common_args(target: str | None, project_dir: Path) -> list[str]:
    args = [
        "--project-dir", str(project_dir),
        "--profiles-dir", os.environ.get("DBT_PROFILES_DIR", str(PROJECT_ROOT)),
        "--quiet",
    ]
    return args + (["--target", target] if target else [])


def compile_current(target: str | None, project_dir: Path = PROJECT_ROOT) -> dict[str, ModelCode]:
    """Compile every model with the canonical window; return its code checksums."""
    with tempfile.TemporaryDirectory(prefix="nba_drift_") as target_path:
        result = _dbt([
            "compile", "--select", "resource_type:model",
            "--vars", json.dumps(CANONICAL_VARS),
            "--target-path", target_path,
            *_common_args(target, project_dir),
        ])
        if not result.success:
            raise RuntimeError(f"dbt compile failed: {result.exception}")
        manifest = json.loads((Path(target_path) / "manifest.json").read_text())
    return models_from_manifest(manifest)


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
        result["unique_id"]
        for result in run_results.get("results", [])
        if result["unique_id"].startswith("model.") and result["status"] == "success"
    }


def record(
    db: str, target: str, models: Mapping[str, ModelCode], built: set[str], invocation_id: str
) -> int:
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
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
    parser.add_argument("--db", default=None, help="DuckDB file (default NBA_DUCKDB_PATH)")
    parser.add_argument("--target", default=None,
                        help="dbt target (default NBA_DBT_TARGET or the profile default)")
    parser.add_argument("--run-results", default=str(PROJECT_ROOT / "target" / "run_results.json"),
                        help="run_results.json of the build to record")
    parser.add_argument("--project-dir", default=str(PROJECT_ROOT),
                        help="dbt project to compare (default: this checkout)")
    parser.add_argument("--verbose", "-v", action="store_true", help="list each model")
    parser.add_argument("--fix", action="store_true",
                        help="rebuild exactly the stale and never-deployed models and their "
                             "children, then record them")


def _target_name(target: str | None) -> str:
    return target or os.environ.get("NBA_DBT_TARGET", "dev")


def run(args: argparse.Namespace) -> int:
    db = duckdb_path(args.db)
    target = _target_name(args.target)
    project_dir = Path(args.project_dir).resolve()
    current = compile_current(args.target, project_dir)
    if args.action == "record":
        results_path = Path(args.run_results)
        if not results_path.exists():
            print(f"no run results at {results_path}: run a build first", file=sys.stderr)
            return EXIT_ERROR
        results = json.loads(results_path.read_text())
        built = succeeded_models(results)
        invocation = results.get("metadata", {}).get("invocation_id", "")
        count = record(db, target, current, built, invocation)
        print(f"recorded {count} deployed model(s) for target {target}")
        return EXIT_OK

    with open_warehouse(db, read_only=True) as wh:
        deployed = latest_deployments(wh, target)
    report = compare(current, deployed)
    print(format_report(report, verbose=args.verbose, colour=use_colour(sys.stdout)))
    if not report.has_drift or not args.fix:
        return EXIT_DRIFT if report.has_drift else EXIT_OK

    names = sorted(
        name for bucket in (report.stale, report.never_deployed)
        for phase_models in bucket.values() for name in phase_models
    )
    with tempfile.TemporaryDirectory(prefix="nba_drift_fix_") as target_path:
        result = _dbt([
            "run", "--select", *[f"{name}+" for name in names],
            "--target-path", target_path, *_common_args(args.target, project_dir),
        ])
        results = json.loads((Path(target_path) / "run_results.json").read_text())
    if not result.success:
        print("rebuild failed; drift remains", file=sys.stderr)
        return EXIT_ERROR
    count = record(db, target, current, succeeded_models(results),
                   results.get("metadata", {}).get("invocation_id", ""))
    print(f"rebuilt and recorded {count} model(s)")
    return EXIT_OK
