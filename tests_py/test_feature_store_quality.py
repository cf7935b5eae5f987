"""The feature store's quality fields against an independent Python oracle.

`quality_fields` below is a plain, obviously-correct reading of
docs/quality.md over a row's 39 raw source labels, with every
number taken from dbt_project.yml through python_hooks.contract. The SQL
(macros/quality/*, ml_feature_store_v2) must give the same answer on every
row: random fixture rows built through dbt, and, when a CI warehouse built
by the full pipeline is available, its real rows.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

import duckdb
import pytest

from python_hooks import contract
from feature_store_fixtures import (
    FixtureProject,
    feature_row,
    feature_store_table,
    random_rows,
)

TIERS_READY = ("gold", "silver", "bronze")
TIERS_TRAINING = ("gold", "silver")
CATEGORIES = ("matchup", "player_history", "team_context", "vegas",
              "game_context")
COMPOSITE_FACTORS = (5, 6, 7, 8)
OPPONENT_DEFENSE = (13, 14)
CURRENT_LINE = 25


# --------------------------------------------------------------------------
# The oracle
# --------------------------------------------------------------------------
def _label(raw: str | None) -> str:
    return "missing" if raw is None else raw


def is_default(raw: str | None) -> bool:
    return _label(raw) in contract.threshold("default_source_labels")


def weight(raw: str | None) -> int:
    return contract.quality_weights()[_label(raw)]


def canonical(raw: str | None) -> str:
    return contract.threshold("canonical_sources")[_label(raw)]


def round_half_up(value: Fraction, decimals: int) -> float:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal(1).scaleb(-decimals),
                                rounding=ROUND_HALF_UP))


def mean_weight(labels: Sequence[str | None], indices: Sequence[int],
                decimals: int) -> float:
    total = sum(weight(labels[i]) for i in indices)
    return round_half_up(Fraction(total, len(indices)), decimals)


def tier(pct: float) -> str:
    for name in ("gold", "silver", "bronze", "poor"):
        if pct >= contract.threshold(f"tier_{name}_min"):
            return name
    return "critical"


def quality_fields(labels: Sequence[str | None]) -> dict[str, Any]:
    """Every section 1 quality field of a row, from its raw source labels."""
    features = contract.features()
    assert len(labels) == len(features)
    optional = contract.optional_feature_indices()
    by_category = {
        category: [f.index for f in features if f.category == category]
        for category in CATEGORIES
    }
    defaults = [i for i, raw in enumerate(labels) if is_default(raw)]
    required = [i for i in defaults if i not in optional]
    out: dict[str, Any] = {
        "default_feature_count": len(defaults),
        "required_default_count": len(required),
        "vegas_default_count": len(defaults) - len(required),
        "default_feature_indices": defaults,
        "phase4_feature_count": sum(canonical(r) == "phase4" for r in labels),
        "phase3_feature_count": sum(canonical(r) == "phase3" for r in labels),
        "calculated_feature_count": sum(
            canonical(r) == "calculated" for r in labels),
        "feature_quality_score": mean_weight(labels, range(len(labels)), 2),
    }
    for category, indices in by_category.items():
        out[f"{category}_quality_pct"] = mean_weight(labels, indices, 1)
        if category != "vegas":  # vegas_default_count is the optional set's
            out[f"{category}_default_count"] = sum(
                i in defaults for i in indices)
    score = out["feature_quality_score"]
    matchup = out["matchup_quality_pct"]
    red = contract.threshold("alert_red_below_pct")
    yellow = contract.threshold("alert_yellow_below_pct")
    out["quality_tier"] = tier(score)
    out["matchup_quality_tier"] = tier(matchup)
    out["has_composite_factors"] = not any(
        i in defaults for i in COMPOSITE_FACTORS)
    out["has_opponent_defense"] = not any(
        i in defaults for i in OPPONENT_DEFENSE)
    out["has_vegas_line"] = CURRENT_LINE not in defaults
    if matchup < red or score < red:
        out["quality_alert_level"] = "red"
    elif len(required) > 0 or score < yellow or matchup < yellow:
        out["quality_alert_level"] = "yellow"
    else:
        out["quality_alert_level"] = "green"
    alerts = []
    if out["matchup_default_count"] == len(by_category["matchup"]):
        alerts.append("all_matchup_features_defaulted")
    if not out["has_composite_factors"]:
        alerts.append("composite_factors_missing")
    if not out["has_opponent_defense"]:
        alerts.append("opponent_defense_missing")
    share = Fraction(len(defaults), len(labels))
    if share > Fraction(str(contract.threshold("high_default_rate"))):
        percent = int(round_half_up(share * 100, 0))
        alerts.append(f"high_default_rate_{percent}pct")
    if matchup < red:
        alerts.append("matchup_quality_critical")
    if out["game_context_quality_pct"] < red:
        alerts.append("game_context_quality_critical")
    out["quality_alerts"] = alerts
    out["is_quality_ready"] = (
        out["quality_tier"] in TIERS_READY
        and score >= contract.threshold("ready_min_score")
        and matchup >= contract.threshold("ready_min_matchup_pct")
        and len(required) == 0
    )
    out["is_training_ready"] = (
        out["quality_tier"] in TIERS_TRAINING
        and matchup >= contract.threshold("training_min_matchup_pct")
        and out["player_history_quality_pct"]
        >= contract.threshold("training_min_player_history_pct")
    )
    for index, raw in enumerate(labels):
        out[f"feature_{index}_source"] = canonical(raw)
        out[f"feature_{index}_quality"] = float(weight(raw))
    return out


def effective_required_default_count(required: int | None,
                                     default: int) -> int:
    """The legacy-row rule: NULL required -> default count; 0 stays 0."""
    return default if required is None else required


# --------------------------------------------------------------------------
# The oracle alone, on the spec's worked examples
# --------------------------------------------------------------------------
def complete_labels() -> list[str]:
    return [feature.source_present for feature in contract.features()]


def without_line(labels: list[str]) -> list[str]:
    return ["missing" if i in contract.optional_feature_indices() else raw
            for i, raw in enumerate(labels)]


def test_oracle_complete_row_with_a_line_is_gold_98_49() -> None:
    fields = quality_fields(complete_labels())
    assert fields["feature_quality_score"] == 98.49
    assert fields["quality_tier"] == "gold"
    assert fields["is_quality_ready"] and fields["has_vegas_line"]
    assert fields["quality_alert_level"] == "green"


def test_oracle_same_row_without_a_line_is_silver_90_79_and_ready() -> None:
    fields = quality_fields(without_line(complete_labels()))
    assert fields["feature_quality_score"] == 90.79
    assert fields["quality_tier"] == "silver"
    assert fields["vegas_default_count"] == 3
    assert fields["required_default_count"] == 0
    assert fields["quality_alert_level"] == "green"
    assert fields["is_quality_ready"] and not fields["has_vegas_line"]


def test_legacy_rule_keeps_a_real_zero() -> None:
    assert effective_required_default_count(0, 3) == 0
    assert effective_required_default_count(None, 3) == 3
    assert effective_required_default_count(2, 5) == 2


# --------------------------------------------------------------------------
# SQL against the oracle
# --------------------------------------------------------------------------
def hand_rows() -> list[dict[str, Any]]:
    """Edge rows: the spec examples, every default, every matchup default."""
    day = dt.date(2025, 1, 4)
    complete = complete_labels()
    values = [1.0] * len(complete)
    all_absent = [f.source_absent or f.source_present
                  for f in contract.features()]
    matchup_absent = [
        f.source_absent if f.category == "matchup" else complete[f.index]
        for f in contract.features()
    ]
    return [
        feature_row("hand_complete", day, complete, values),
        feature_row("hand_no_line", day, without_line(complete), values),
        feature_row("hand_all_absent", day, all_absent, values),
        feature_row("hand_matchup_absent", day, matchup_absent, values),
        feature_row("hand_null_labels", day, [None] * len(complete), values),
    ]


def compare_with_oracle(built: list[dict[str, Any]],
                        labels_by_key: dict[tuple[str, Any], list]) -> None:
    assert built, "no rows to compare"
    mismatches = []
    for row in built:
        key = (row["player_lookup"], row["game_date"])
        expected = quality_fields(labels_by_key[key])
        for field, value in expected.items():
            actual = row[field]
            if isinstance(actual, float) or isinstance(value, float):
                equal = actual is not None and abs(actual - value) < 1e-9
            else:
                equal = actual == value
            if not equal:
                mismatches.append((key, field, value, actual))
    assert not mismatches, mismatches[:20]


@pytest.fixture(scope="module")
def built_fixture(tmp_path_factory: pytest.TempPathFactory) -> FixtureProject:
    project = FixtureProject(tmp_path_factory.mktemp("fs_quality")).create()
    project.write_rows(random_rows(400, seed=20261127) + hand_rows())
    # build = run + every data test, singular test and unit test of the
    # feature store, so the dbt tests must also pass on these rows
    project.dbt("build", "--full-refresh")
    return project


@pytest.mark.dbt
def test_sql_quality_fields_equal_the_oracle(
        built_fixture: FixtureProject) -> None:
    labels_by_key = {}
    n = len(contract.features())
    for row in built_fixture.query(
            "select * from main.fixture_int_player_features"):
        labels_by_key[(row["player_lookup"], row["game_date"])] = [
            row[f"f{i}_raw_source"] for i in range(n)]
    built = built_fixture.query(f"select * from {feature_store_table()}")
    assert len(built) == len(labels_by_key)
    compare_with_oracle(built, labels_by_key)
    # the fixture exercises every outcome the rules can produce
    outcomes = {(r["quality_tier"], r["quality_alert_level"],
                 r["is_quality_ready"]) for r in built}
    assert {t for t, _, _ in outcomes} >= {"gold", "silver", "bronze",
                                           "critical"}
    assert {a for _, a, _ in outcomes} == {"green", "yellow", "red"}
    assert {r for _, _, r in outcomes} == {True, False}


@pytest.mark.dbt
def test_sql_on_the_ci_warehouse_equals_the_oracle() -> None:
    """Real rows of a full pipeline build (make ci-warehouse), if present."""
    path = os.environ.get("NBA_CI_WAREHOUSE")
    if not path or not Path(path).exists():
        pytest.skip("NBA_CI_WAREHOUSE not built")
    schema = feature_store_table().split(".")[0]
    n = len(contract.features())
    with duckdb.connect(path, read_only=True) as con:
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ?", [schema]).fetchall()}
        if not {"ml_feature_store_v2",
                "int_player_features_computed"} <= tables:
            pytest.skip("the CI warehouse has no feature store tables")
        labels = ", ".join(f"f{i}_raw_source" for i in range(n))
        inputs = con.execute(
            f"select player_lookup, game_date, {labels} "
            f"from {schema}.int_player_features_computed").fetchall()
        cursor = con.execute(f"select * from {feature_store_table()}")
        names = [c[0] for c in cursor.description]
        built = [dict(zip(names, v)) for v in cursor.fetchall()]
    labels_by_key = {(r[0], r[1]): list(r[2:]) for r in inputs}
    compare_with_oracle(built, labels_by_key)


# --------------------------------------------------------------------------
# Date window: rerunning a window changes nothing but run timestamps
# --------------------------------------------------------------------------
@pytest.mark.dbt
def test_rerunning_a_window_twice_leaves_the_table_identical(
        tmp_path: Path) -> None:
    project = FixtureProject(tmp_path).create()
    project.write_rows(random_rows(200, seed=7, dates=10))
    project.dbt("run", "--select", "+ml_feature_store_v2", "--full-refresh")
    table = feature_store_table()
    order = "order by game_date, player_lookup"

    def snapshot() -> list[dict[str, Any]]:
        return project.query(f"select * from {table} {order}")

    before = snapshot()
    window = '{start_date: "2025-01-03", end_date: "2025-01-05"}'
    for _ in range(2):
        project.dbt("run", "--select", "ml_feature_store_v2",
                    "--vars", window)
    after = snapshot()

    def without_updated_at(rows: list[dict[str, Any]]) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "updated_at"}
                for r in rows]

    assert len(after) == len(before) == 200
    # identical content; created_at kept even for the rebuilt dates
    assert without_updated_at(after) == without_updated_at(before)
    first, last = dt.date(2025, 1, 3), dt.date(2025, 1, 5)
    for old, new in zip(before, after):
        if first <= new["game_date"] <= last:
            assert new["updated_at"] >= old["updated_at"]
        else:
            assert new["updated_at"] == old["updated_at"]

    # a window run rebuilds exactly the window's dates from current inputs
    changed = random_rows(200, seed=7, dates=10)
    for row in changed:
        row["f0_raw_source"] = "default"
    project.write_rows(changed)
    project.dbt("run", "--select", "ml_feature_store_v2", "--vars", window)
    previous = {(r["player_lookup"], r["game_date"]): r for r in before}
    rebuilt = snapshot()
    assert len(rebuilt) == 200
    for row in rebuilt:
        old = previous[(row["player_lookup"], row["game_date"])]
        if first <= row["game_date"] <= last:
            assert row["feature_0_source"] == "default"
        else:
            assert row == old


def test_random_rows_cover_every_label() -> None:
    rows = random_rows(400, seed=20261127)
    seen = {row[f"f{i}_raw_source"] for row in rows
            for i in range(len(contract.features()))}
    assert seen == set(contract.quality_weights())

