"""Deployment drift: record, detect exactly the changed model, fix it."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import ROOT, BuiltWarehouse
from python_hooks import drift


def test_compare_buckets_models_by_phase():
    current = {
        "model.p.a": drift.ModelCode("model.p.a", "a", "phase3", "x1"),
        "model.p.b": drift.ModelCode("model.p.b", "b", "phase4", "y2"),
        "model.p.c": drift.ModelCode("model.p.c", "c", "phase5", "z1"),
    }
    report = drift.compare(current, {"model.p.a": "x1", "model.p.b": "y1"})
    assert report.stale == {"phase4": ["b"]}
    assert report.never_deployed == {"phase5": ["c"]}
    assert report.has_drift
    text = drift.format_report(report, verbose=True, colour=False)
    assert "stale: b" in text and "\033[" not in text


def test_checksum_ignores_trailing_whitespace_only():
    assert drift.code_checksum("select 1  \n") == drift.code_checksum("select 1")
    assert drift.code_checksum("select 1") != drift.code_checksum("select 2")


def copy_project(destination: Path) -> Path:
    for name in ("models", "macros", "seeds", "tests", "analyses", "docs"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, destination / name)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(ROOT / name, destination / name)
    return destination


def test_changed_model_is_reported_with_its_phase_and_fixed(small_warehouse: BuiltWarehouse,
                                                            small_warehouse_template):
    project = copy_project(small_warehouse.work / "project")
    run_results = small_warehouse_template.work / "target" / "run_results.json"
    common = ["--db", str(small_warehouse.db), "--project-dir", str(project)]

    recorded = small_warehouse.nba_fs("drift", "record", "--run-results", str(run_results), *common)
    assert "recorded" in recorded.stdout
    clean = small_warehouse.nba_fs("drift", *common)
    assert "OK: every model matches" in clean.stdout

    model = project / "models" / "analytics" / "team_defense_game_summary.sql"
    model.write_text(model.read_text() + "\n-- a change after the recorded deployment\n")
    stale = small_warehouse.nba_fs("drift", "--verbose", *common, check=False)
    assert stale.returncode == drift.EXIT_DRIFT
    stale_lines = [line.strip() for line in stale.stdout.splitlines() if "stale:" in line]
    assert stale_lines == ["stale: team_defense_game_summary"]
    phase_row = next(line for line in stale.stdout.splitlines() if line.startswith("phase3"))
    assert phase_row.split()[2] == "1"
    assert "\033[" not in stale.stdout  # not a terminal: no colour codes

    fixed = small_warehouse.nba_fs("drift", "--fix", *common)
    assert "rebuilt and recorded" in fixed.stdout
    after = small_warehouse.nba_fs("drift", *common)
    assert "OK: every model matches" in after.stdout
