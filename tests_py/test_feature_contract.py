"""The feature contract has one definition (dbt_project.yml vars) and every
copy agrees with it: the feature_contract model, the feature_names array of
ml_feature_store_v2, the blocks generated from it (python_hooks/
contract_codegen.py: the per-feature YAML properties and the docs table) and
any other copy in the text files. The model-level tests over all 39
features fail on a bad row.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import pytest
import yaml

from python_hooks import contract, contract_codegen
from feature_store_fixtures import (
    FIXTURE_TABLE,
    REPO,
    FixtureProject,
    feature_contract_table,
    feature_row,
    feature_store_table,
)

# The spec's features (indices 0-38); the contract may add more after them.
SPEC_FEATURES = 39
N_FEATURES = len(contract.features())
SKIPPED_DIRS = {".venv", ".git", "target", "logs", "warehouse", "dbt_packages",
                "__pycache__", "nba_feature_store.egg-info"}
TEXT_SUFFIXES = {".md", ".yml", ".yaml", ".sql", ".py", ".csv"}
# "| 25 | vegas_points_line |" (markdown), "index: 25, name: vegas_points_line"
# (YAML flow maps) and "Feature 25 (vegas_points_line)" (descriptions)
COPY_PATTERNS = (
    re.compile(r"^\|\s*(\d+)\s*\|\s*`?([a-z][a-z0-9_]*)`?\s*\|", re.M),
    re.compile(r"index:\s*(\d+),\s*name:\s*([a-z][a-z0-9_]*)"),
    re.compile(r"[Ff]eature\s+(\d+)\s+\(([a-z][a-z0-9_]*)\)"),
)


# --------------------------------------------------------------------------
# The definition itself
# --------------------------------------------------------------------------
def test_contract_has_the_39_features_with_indices_in_order() -> None:
    features = contract.features()
    assert len(features) >= SPEC_FEATURES
    assert [f.index for f in features] == list(range(N_FEATURES))
    assert len(set(contract.feature_names())) == N_FEATURES


def test_optional_set_is_the_three_vegas_lines() -> None:
    assert contract.optional_feature_indices() == {25, 26, 27}
    flagged = {f.index for f in contract.features() if f.optional}
    assert flagged == contract.optional_feature_indices()
    # the entries' flags are the one definition: no separate var
    assert "optional_feature_indices" not in contract.project_vars()


def test_upstreams_are_phase4_models_of_the_defaultable_features() -> None:
    assert contract.features_by_upstream() == {
        "player_daily_cache": [0, 1, 2, 3, 4, 22, 23, 31, 32],
        "player_composite_factors": [5, 6, 7, 8],
        "team_defense_zone_analysis": [13, 14],
        "player_shot_zone_analysis": [18, 19, 20],
        "player_prop_lines": [25, 26, 27],
    }
    for upstream in contract.features_by_upstream():
        assert (REPO / "models/precompute" / f"{upstream}.sql").is_file()
    for feature in contract.features():
        if feature.source_absent is None:
            assert feature.upstream is None, feature
    # the one defaultable feature not read from a phase 4 model
    assert [f.index for f in contract.features()
            if f.source_absent and not f.upstream] == [29]


def test_every_source_label_has_a_weight_and_a_canonical_label() -> None:
    weights = contract.quality_weights()
    canonical = contract.threshold("canonical_sources")
    defaults = set(contract.threshold("default_source_labels"))
    assert set(canonical) == set(weights)
    assert set(canonical.values()) == {"phase4", "phase3", "calculated",
                                       "default"}
    assert defaults == {k for k, v in canonical.items() if v == "default"}
    for feature in contract.features():
        assert feature.source_present in weights
        assert feature.source_present not in defaults
        assert feature.source_absent is None or feature.source_absent in defaults


def test_categories_are_those_of_the_spec() -> None:
    by_category: dict[str, set[int]] = {}
    for feature in contract.features()[:SPEC_FEATURES]:
        by_category.setdefault(feature.category, set()).add(feature.index)
    # a feature added after the spec's has one of the spec's categories
    assert {f.category for f in contract.features()[SPEC_FEATURES:]} <= set(by_category)
    assert by_category == {
        "matchup": {5, 6, 7, 8, 13, 14},
        "player_history": set(range(0, 5)) | set(range(29, 39)),
        "team_context": {22, 23, 24},
        "vegas": {25, 26, 27, 28},
        "game_context": set(range(9, 13)) | set(range(15, 22)),
    }


# --------------------------------------------------------------------------
# Copies built by dbt
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> FixtureProject:
    project = FixtureProject(tmp_path_factory.mktemp("fs_contract")).create()
    present = [f.source_present for f in contract.features()]
    absent = [f.source_absent or f.source_present for f in contract.features()]
    day = dt.date(2025, 2, 1)
    # every feature present except 29 (no games vs the opponent: fallback),
    # with a season average (feature 2) of 7.5
    stand_in_labels = list(present)
    stand_in_labels[29] = "fallback"
    stand_in_values: list[float | None] = [2.0] * N_FEATURES
    stand_in_values[2], stand_in_values[29] = 7.5, None
    project.write_rows([
        feature_row("complete", day, present, [2.0] * N_FEATURES),
        feature_row("absent", day, absent, [None] * N_FEATURES),
        feature_row("stand_in", day, stand_in_labels, stand_in_values),
    ])
    project.dbt("run", "--select", "+ml_feature_store_v2", "feature_contract",
                "--full-refresh")
    return project


@pytest.mark.dbt
def test_feature_contract_model_equals_the_python_contract(
        built: FixtureProject) -> None:
    rows = built.query(
        f"select * from {feature_contract_table()} order by feature_index")
    weights = contract.quality_weights()
    expected = [
        {
            "feature_index": f.index,
            "feature_name": f.name,
            "category": f.category,
            "source_present": f.source_present,
            "source_absent": f.source_absent,
            "default_value": f.default,
            "is_optional": f.optional,
            "weight_when_present": weights[f.source_present],
            "weight_when_absent": (weights[f.source_absent]
                                   if f.source_absent else None),
            "stand_in_index": contract.stand_in_index(f),
        }
        for f in contract.features()
    ]
    assert rows == expected


@pytest.mark.dbt
def test_feature_store_names_and_vector_follow_the_contract(
        built: FixtureProject) -> None:
    rows = built.query(
        f"select player_lookup, feature_names, features, feature_count, "
        f"feature_version from {feature_store_table()} order by 1")
    assert [r["player_lookup"] for r in rows] == ["absent", "complete", "stand_in"]
    defaults = [f.default for f in contract.features()]
    for row in rows:
        assert row["feature_names"] == contract.feature_names()
        assert row["feature_count"] == N_FEATURES
        assert row["feature_version"] == contract.threshold("feature_version")
    # absent features, and NULL values of always-computable ones, carry the
    # contract default (29's stand-in, feature 2, is absent too: 10.0)
    assert rows[0]["features"] == defaults
    assert rows[1]["features"] == [2.0] * N_FEATURES
    # 29 absent with a season average: the vector carries feature 2's 7.5
    assert rows[2]["features"][29] == 7.5
    assert rows[2]["features"][2] == 7.5
    assert [f.index for f in contract.features() if f.stand_in] == [29]
    assert contract.stand_in_index(contract.features()[29]) == 2


# --------------------------------------------------------------------------
# The per-feature tests over all 39 features (tests/generic) fail on a bad row
# --------------------------------------------------------------------------
INT_TESTS_YML = """version: 2
models:
  - name: int_player_features_computed
    data_tests:
      - feature_raw_sources_not_null
"""


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> FixtureProject:
    """The feature store built on two good rows; the stand-in
    int_player_features_computed carries the raw-source test, as the real
    model's properties do."""
    project = FixtureProject(tmp_path_factory.mktemp("fs_checks")).create()
    (project.project_dir / "models/feature_store/intermediate/_tests.yml").write_text(
        INT_TESTS_YML)
    present = [f.source_present for f in contract.features()]
    absent = [f.source_absent or f.source_present for f in contract.features()]
    day = dt.date(2025, 2, 1)
    project.write_rows([
        feature_row("complete", day, present, [2.0] * N_FEATURES),
        feature_row("absent", day, absent, [None] * N_FEATURES),
    ])
    project.dbt("run", "--select", "+ml_feature_store_v2", "--full-refresh")
    return project


def _run_test(project: FixtureProject, name: str) -> tuple[str, list[tuple]]:
    """Status of data test `name` and the rows its compiled SQL returns."""
    try:
        project.dbt("test", "--select", f"test_name:{name}")
    except AssertionError:
        pass  # a failing test fails the command; its result says which
    results = json.loads((project.root / "target/run_results.json").read_text())
    [result] = results["results"]
    compiled = result["compiled_code"]
    with duckdb.connect(str(project.database)) as con:
        rows = con.execute(f"select * from ({compiled}) order by all").fetchall()
    return result["status"], rows


@pytest.mark.dbt
def test_model_level_feature_tests_pass_on_good_rows(checked: FixtureProject) -> None:
    assert _run_test(checked, "feature_sources_are_canonical") == ("pass", [])
    assert _run_test(checked, "feature_raw_sources_not_null") == ("pass", [])


@pytest.mark.dbt
def test_a_non_canonical_source_fails_with_its_key_and_feature(
        checked: FixtureProject) -> None:
    table = feature_store_table()
    with duckdb.connect(str(checked.database)) as con:
        con.execute(f"update {table} set feature_12_source = 'vegas' "
                    "where player_lookup = 'complete'")
    try:
        status, rows = _run_test(checked, "feature_sources_are_canonical")
    finally:
        with duckdb.connect(str(checked.database)) as con:
            con.execute(f"update {table} set feature_12_source = 'calculated' "
                        "where player_lookup = 'complete'")
    assert status == "fail"
    assert rows == [("complete", dt.date(2025, 2, 1), 12, "vegas")]


@pytest.mark.dbt
def test_a_null_raw_source_fails_with_its_key_and_feature(checked: FixtureProject) -> None:
    with duckdb.connect(str(checked.database)) as con:
        con.execute(f"update {FIXTURE_TABLE} set f7_raw_source = null "
                    "where player_lookup = 'absent'")
    try:
        status, rows = _run_test(checked, "feature_raw_sources_not_null")
    finally:
        with duckdb.connect(str(checked.database)) as con:
            con.execute(f"update {FIXTURE_TABLE} set f7_raw_source = 'default' "
                        "where player_lookup = 'absent'")
    assert status == "fail"
    assert rows == [(dt.date(2025, 2, 1), "absent", 7)]


@pytest.mark.dbt
def test_source_and_quality_columns_are_not_null_constraints(
        checked: FixtureProject) -> None:
    """NOT NULL of feature_<i>_source / _quality is part of the enforced
    contract: the table refuses a NULL (no test node needed)."""
    table = feature_store_table()
    with duckdb.connect(str(checked.database)) as con:
        nullable = con.execute(
            "select column_name, is_nullable from information_schema.columns "
            f"where table_schema || '.' || table_name = '{table}' "
            "and regexp_matches(column_name, '^feature_[0-9]+_(source|quality)$')"
        ).fetchall()
        assert len(nullable) == 2 * N_FEATURES
        assert {flag for _, flag in nullable} == {"NO"}
        for column in ("feature_0_source", "feature_38_quality"):
            with pytest.raises(duckdb.ConstraintException):
                con.execute(f"update {table} set {column} = null")


# --------------------------------------------------------------------------
# Generated copies (python_hooks/contract_codegen.py)
# --------------------------------------------------------------------------
def test_generated_files_are_fresh() -> None:
    assert contract_codegen.run(REPO, check=True) == []


def test_codegen_check_names_a_stale_file_and_fixes_it(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    for target in contract_codegen.TARGETS:
        copy = tmp_path / target.path
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text((REPO / target.path).read_text())
    stale = tmp_path / "models/feature_store/_feature_store.yml"
    text = stale.read_text()
    stale.write_text(text.replace("  - name: feature_12_source", "  - name: feature_12_src", 1))
    assert contract_codegen.main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == ["models/feature_store/_feature_store.yml is stale: run "
                   "`python -m python_hooks.contract_codegen` to regenerate it"]
    # without --check it rewrites the block; a second run changes nothing
    assert contract_codegen.main(["--root", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "rewrote models/feature_store/_feature_store.yml\n"
    assert stale.read_text() == text
    assert contract_codegen.main(["--root", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


def test_codegen_refuses_a_file_without_markers(tmp_path: Path) -> None:
    target = contract_codegen.TARGETS[0]
    (tmp_path / target.path).parent.mkdir(parents=True)
    (tmp_path / target.path).write_text("version: 2\n")
    [problem] = contract_codegen.run(tmp_path, check=True, targets=[target])
    assert problem.startswith(f"{target.path}: needs one")


def test_codegen_refuses_a_block_whose_yaml_anchor_is_gone(tmp_path: Path) -> None:
    """The generated columns refer to *float_type: its anchor must stay above."""
    target = contract_codegen.TARGETS[0]
    copy = tmp_path / target.path
    copy.parent.mkdir(parents=True)
    copy.write_text((REPO / target.path).read_text().replace(
        "data_type: &float_type ", "data_type: ", 1))
    [problem] = contract_codegen.run(tmp_path, check=True, targets=[target])
    assert problem.startswith(f"{target.path}: generated YAML does not load")


def test_generated_feature_store_columns_follow_the_contract() -> None:
    properties = yaml.safe_load(
        (REPO / "models/feature_store/_feature_store.yml").read_text())
    model = next(m for m in properties["models"] if m["name"] == "ml_feature_store_v2")
    assert model["config"]["contract"]["enforced"] is True
    assert "feature_sources_are_canonical" in model["data_tests"]
    columns = {c["name"]: c for c in model["columns"]}
    for feature in contract.features():
        for part in ("source", "quality"):
            column = columns[f"feature_{feature.index}_{part}"]
            assert column["constraints"] == [{"type": "not_null"}]
            assert "data_tests" not in column


# --------------------------------------------------------------------------
# Copies in prose (docs, comments): the generated blocks aside, hand-written
# --------------------------------------------------------------------------
def _text_files() -> list[Path]:
    files = []
    for path in REPO.rglob("*"):
        relative = path.relative_to(REPO)
        if set(relative.parts) & SKIPPED_DIRS or not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES and relative not in (
                Path("dbt_project.yml"), Path(__file__).relative_to(REPO)):
            files.append(path)
    return files


def copy_disagreements(text: str) -> list[tuple[int, str, str]]:
    """(index, name found, contract name) for every copy that disagrees."""
    names = contract.feature_names()
    index_of = {name: i for i, name in enumerate(names)}
    wrong = []
    for pattern in COPY_PATTERNS:
        for match in pattern.finditer(text):
            index, name = int(match.group(1)), match.group(2)
            if name in index_of and index_of[name] != index:
                wrong.append((index, name, names[index] if index < len(names)
                              else "<no such index>"))
    return wrong


def test_copy_checker_catches_a_wrong_copy() -> None:
    assert copy_disagreements("| 25 | vegas_points_line | vegas |") == []
    assert copy_disagreements("| 26 | vegas_points_line | vegas |")
    assert copy_disagreements("Feature 3 (points_avg_last_5): x")
    assert copy_disagreements("{index: 1, name: points_avg_last_5}")


def test_no_other_copy_of_the_contract_disagrees() -> None:
    problems = {}
    for path in _text_files():
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        wrong = copy_disagreements(text)
        if wrong:
            problems[str(path.relative_to(REPO))] = wrong
    assert not problems, problems
