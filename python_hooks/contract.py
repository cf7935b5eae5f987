"""The project's rules as Python sees them: read from dbt_project.yml `vars`.

dbt reads the same vars at compile time, so a threshold or the feature
contract has exactly one definition. Overrides passed to dbt with --vars are
passed here as ``overrides``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_FILE = PROJECT_ROOT / "dbt_project.yml"


@dataclass(frozen=True)
class Feature:
    index: int
    name: str
    category: str
    source_present: str
    source_absent: str | None
    default: float
    optional: bool
    # the phase 4 model whose missing row explains a default of the feature
    # (None: always computable, or not read from a phase 4 model)
    upstream: str | None
    # the feature whose value stands in when this one is absent (by name)
    stand_in: str | None = None


@lru_cache(maxsize=1)
def _project_vars() -> dict[str, Any]:
    with DBT_PROJECT_FILE.open() as handle:
        return dict(yaml.safe_load(handle)["vars"])


def project_vars(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """All vars of dbt_project.yml, with optional overrides applied on top."""
    merged = dict(_project_vars())
    if overrides:
        merged.update(overrides)
    return merged


def threshold(name: str, overrides: Mapping[str, Any] | None = None) -> Any:
    """One named threshold; KeyError if the project does not define it."""
    values = project_vars(overrides)
    if name not in values:
        raise KeyError(f"dbt_project.yml defines no var named {name!r}")
    return values[name]


def features() -> list[Feature]:
    return [Feature(**entry) for entry in _project_vars()["feature_contract"]]


def feature_names() -> list[str]:
    return [feature.name for feature in features()]


def stand_in_index(feature: Feature) -> int | None:
    """Index of the feature whose value the vector carries when `feature` is
    absent, or None when the vector carries the contract default."""
    if feature.stand_in is None:
        return None
    return feature_names().index(feature.stand_in)


def optional_feature_indices() -> frozenset[int]:
    """The optional set: the contract entries flagged `optional: true`."""
    return frozenset(feature.index for feature in features() if feature.optional)


def features_by_upstream() -> dict[str, list[int]]:
    """Upstream model -> the indices it feeds, in contract order (features
    without an upstream left out); the SQL macro features_by_upstream."""
    groups: dict[str, list[int]] = {}
    for feature in features():
        if feature.upstream:
            groups.setdefault(feature.upstream, []).append(feature.index)
    return groups


def quality_weights() -> dict[str, int]:
    return dict(_project_vars()["quality_weights"])
