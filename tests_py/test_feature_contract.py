"""The feature contract has one definition (dbt_project.yml vars) and every
copy agrees with it: the feature_contract model, the feature_names array of
ml_feature_store_v2, the model's YAML properties and any table in the docs.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from python_hooks import contract
from feature_store_fixtures import (
    REPO,
    FixtureProject,
    feature_contract_table,
    feature_row,
    feature_store_table,
)

N_FEATURES = 39
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
def test_contract_has_39_features_with_indices_in_order() -> None:
    features = contract.features()
    assert len(features) == N_FEATURES
    assert [f.index for f in features] == list(range(N_FEATURES))
    assert len(set(contract.feature_names())) == N_FEATURES


def test_optional_set_is_the_three_vegas_lines() -> None:
    assert contract.optional_feature_indices() == {25, 26, 27}
    flagged = {f.index for f in contract.features() if f.optional}
    assert flagged == contract.optional_feature_indices()


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
    for feature in contract.features():
        by_category.setdefault(feature.category, set()).add(feature.index)
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
# Copies in text files
# --------------------------------------------------------------------------
def test_feature_store_properties_list_every_feature_column() -> None:
    properties = yaml.safe_load(
        (REPO / "models/feature_store/_feature_store.yml").read_text())
    model = next(m for m in properties["models"]
                 if m["name"] == "ml_feature_store_v2")
    columns = {c["name"]: c for c in model["columns"]}
    feature_columns = [name for name in columns
                       if re.fullmatch(r"feature_\d+_(value|source|quality)",
                                       name)]
    assert len(feature_columns) == 3 * N_FEATURES
    # the YAML anchors render per target (see the file's header)
    float_type = "{{ 'float64' if target.type == 'bigquery' else 'double' }}"
    string_type = "{{ 'string' if target.type == 'bigquery' else 'varchar' }}"
    types = {"value": float_type, "source": string_type, "quality": float_type}
    for feature in contract.features():
        for part, data_type in types.items():
            column = columns[f"feature_{feature.index}_{part}"]
            assert column["data_type"] == data_type
            assert f"Feature {feature.index} ({feature.name})" in (
                column["description"])
    assert model["config"]["contract"]["enforced"] is True


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
