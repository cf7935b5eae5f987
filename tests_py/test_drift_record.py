"""`nba-fs drift record` records what a build deployed: only a successful
`dbt run`/`build`, with the checksums of that run's own manifest, into --db."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from python_hooks import cli, drift


@pytest.fixture
def build_target(default_warehouse_path, tmp_path) -> Path:
    # `make test` builds the CI warehouse with the project's own target dir.
    candidates = [Path(default_warehouse_path).parent / "target",
                  Path(__file__).resolve().parent.parent / "target"]
    found = [c for c in candidates
             if (c / "run_results.json").exists() and (c / "manifest.json").exists()]
    if not found:
        pytest.skip("no dbt target of the built warehouse")
    source = found[0]
    target = tmp_path / "target"
    target.mkdir()
    for name in ("run_results.json", "manifest.json"):
        shutil.copy(source / name, target / name)
    return target


def record(target: Path, db: Path) -> int:
    args = cli.build_parser().parse_args(
        ["drift", "record", "--run-results", str(target / "run_results.json"), "--db", str(db)])
    return drift.run(args)


def test_records_only_run_or_build_results(build_target, tmp_path, capsys):
    results = json.loads((build_target / "run_results.json").read_text())
    results["args"]["which"] = "generate"  # what `dbt docs generate` writes
    (build_target / "run_results.json").write_text(json.dumps(results))
    db = tmp_path / "nba.duckdb"
    assert record(build_target, db) == drift.EXIT_ERROR
    assert "deploys nothing" in capsys.readouterr().err
    assert not db.exists()


def test_records_that_runs_manifest_checksums_into_db(build_target, tmp_path, monkeypatch):
    monkeypatch.setenv("NBA_DUCKDB_PATH", str(tmp_path / "elsewhere.duckdb"))
    db = tmp_path / "nba.duckdb"
    assert record(build_target, db) == drift.EXIT_OK
    manifest = json.loads((build_target / "manifest.json").read_text())
    expected = drift.models_from_manifest(manifest)
    built = drift.succeeded_models(json.loads((build_target / "run_results.json").read_text()))
    with duckdb.connect(str(db), read_only=True) as con:
        rows = dict(con.execute(
            "select model_unique_id, code_checksum from nba_ops.dbt_deployments").fetchall())
    assert rows and set(rows) == built & set(expected)
    assert all(rows[uid] == expected[uid].checksum for uid in rows)
    assert not os.path.exists(tmp_path / "elsewhere.duckdb")


def test_manifest_of_another_invocation_is_refused(build_target, tmp_path, capsys):
    manifest = json.loads((build_target / "manifest.json").read_text())
    manifest["metadata"]["invocation_id"] = "another-run"
    (build_target / "manifest.json").write_text(json.dumps(manifest))
    assert record(build_target, tmp_path / "nba.duckdb") == drift.EXIT_ERROR
    assert "another dbt invocation" in capsys.readouterr().err


def test_checksum_does_not_depend_on_the_window_vars():
    node = {"raw_code": "select * from {{ ref('a') }} where {{ in_date_window('d') }}",
            "depends_on": {"macros": ["macro.p.in_date_window"]}, "config": {"x": 1}}
    manifest = {"macros": {"macro.p.in_date_window": {"macro_sql": "m1", "depends_on": {"macros": []}}}}
    a = drift.model_fingerprint(manifest, {**node, "compiled_code": "... '2021-11-02' ..."})
    b = drift.model_fingerprint(manifest, {**node, "compiled_code": "... '1970-01-01' ..."})
    assert a == b
    changed = {"macros": {"macro.p.in_date_window": {"macro_sql": "m2", "depends_on": {"macros": []}}}}
    assert drift.model_fingerprint(changed, node) != a
