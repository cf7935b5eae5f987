"""The prediction gate (docs/python_layer.md, "The gate"), rule by rule."""

from __future__ import annotations

import datetime as dt

import pytest

from python_hooks import contract, gate
from pylayer_fixtures import feature_row

DAY = dt.date(2026, 1, 15)


def thresholds(mode: gate.Mode) -> gate.Thresholds:
    return gate.Thresholds.for_mode(mode)


def decide(row, mode=gate.Mode.FIRST, existing=False) -> gate.Decision:
    return gate.decide(row, has_active_prediction=existing, thresholds=thresholds(mode))


@pytest.mark.parametrize(
    ("mode", "var"),
    [
        (gate.Mode.FIRST, "gate_min_score_first"),
        (gate.Mode.RETRY, "gate_min_score_retry"),
        (gate.Mode.FINAL_RETRY, "gate_min_score_final_retry"),
        (gate.Mode.LAST_CALL, "gate_min_score_last_call"),
        (gate.Mode.BACKFILL, "gate_min_score_backfill"),
    ],
)
def test_mode_minimum_comes_from_dbt_project_vars(mode, var):
    minimum = float(contract.threshold(var))
    assert thresholds(mode).min_score == minimum
    at_min = feature_row("p", DAY, feature_quality_score=minimum)
    below = feature_row("p", DAY, feature_quality_score=minimum - 0.01)
    assert decide(at_min, mode).dispatch
    below_decision = decide(below, mode)
    assert not below_decision.dispatch
    assert below_decision.reason == f"quality_below_threshold_{int(minimum)}"
    assert below_decision.category == gate.SKIPPED_LOW_QUALITY


def test_spec_defaults_per_mode():
    got = {m: thresholds(m).min_score for m in gate.Mode}
    assert got == {
        gate.Mode.FIRST: 85,
        gate.Mode.RETRY: 85,
        gate.Mode.FINAL_RETRY: 80,
        gate.Mode.LAST_CALL: 70,
        gate.Mode.BACKFILL: 70,
    }


def test_overrides_replace_a_threshold():
    t = gate.Thresholds.for_mode(gate.Mode.FIRST, {"gate_min_score_first": 72.5})
    row = feature_row("p", DAY, feature_quality_score=72.0)
    decision = gate.decide(row, has_active_prediction=False, thresholds=t)
    assert decision.reason == "quality_below_threshold_72.5"


def test_backfill_only_for_past_dates():
    today = dt.date(2026, 1, 15)
    assert gate.effective_mode("BACKFILL", dt.date(2026, 1, 14), today) is gate.Mode.BACKFILL
    assert gate.effective_mode("BACKFILL", today, today) is gate.Mode.RETRY
    assert gate.effective_mode("BACKFILL", dt.date(2026, 1, 20), today) is gate.Mode.RETRY
    assert gate.effective_mode("LAST_CALL", dt.date(2026, 1, 20), today) is gate.Mode.LAST_CALL


def test_low_quality_flag_below_85():
    assert decide(feature_row("p", DAY, feature_quality_score=75.0), gate.Mode.LAST_CALL).low_quality_flag
    assert not decide(feature_row("p", DAY, feature_quality_score=85.0), gate.Mode.LAST_CALL).low_quality_flag
    assert not decide(feature_row("p", DAY), gate.Mode.FIRST).low_quality_flag


def test_existing_prediction_wins_over_everything():
    red = feature_row("p", DAY, quality_alert_level="red", matchup_quality_pct=10.0)
    decision = decide(red, existing=True)
    assert (decision.dispatch, decision.reason, decision.category) == (
        False,
        "already_has_prediction",
        gate.SKIPPED_EXISTING,
    )
    assert decide(None, existing=True).reason == "already_has_prediction"


def test_red_alert_is_a_hard_floor_in_every_mode():
    row = feature_row("p", DAY, quality_alert_level="red", matchup_quality_pct=40.0)
    for mode in gate.Mode:
        decision = decide(row, mode)
        assert decision.reason == "hard_floor_red_alert"
        assert decision.category == gate.HARD_BLOCKED


def test_matchup_floor_truncates_to_integer():
    row = feature_row("p", DAY, quality_alert_level="yellow", matchup_quality_pct=49.9)
    for mode in gate.Mode:
        assert decide(row, mode).reason == "hard_floor_matchup_49"
    ok = feature_row("p", DAY, matchup_quality_pct=50.0)
    assert decide(ok).dispatch


def test_required_defaults_zero_tolerance():
    row = feature_row("p", DAY, required_default_count=2, default_feature_count=5, feature_quality_score=97.0)
    for mode in gate.Mode:
        decision = decide(row, mode)
        assert decision.reason == "zero_tolerance_defaults_2"
        assert decision.category == gate.HARD_BLOCKED


def test_legacy_null_required_count_uses_total_defaults():
    legacy = feature_row("p", DAY, required_default_count=None, default_feature_count=3)
    assert decide(legacy).reason == "zero_tolerance_defaults_3"
    legacy_clean = feature_row("p", DAY, required_default_count=None, default_feature_count=0)
    assert decide(legacy_clean).dispatch


def test_real_zero_stays_zero_for_vegas_only_defaults():
    """Only vegas defaults: required 0, total 3 -> dispatched (production bug fixed)."""
    vegas_only = feature_row("p", DAY, line=None)
    assert vegas_only["required_default_count"] == 0
    assert vegas_only["default_feature_count"] == 3
    decision = decide(vegas_only, gate.Mode.FIRST)
    assert decision.dispatch and decision.reason == "dispatched"
    assert not decision.low_quality_flag  # 90.79


def test_no_feature_row():
    decision = decide(None)
    assert (decision.reason, decision.category) == ("no_features_available", gate.NO_FEATURES)


def test_order_red_before_matchup_before_defaults():
    row = feature_row(
        "p", DAY, quality_alert_level="red", matchup_quality_pct=30.0, required_default_count=4
    )
    assert decide(row).reason == "hard_floor_red_alert"
    row["quality_alert_level"] = "yellow"
    assert decide(row).reason == "hard_floor_matchup_30"
    row["matchup_quality_pct"] = 80.0
    assert decide(row).reason == "zero_tolerance_defaults_4"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, True),
        ({"injury_status": "out"}, False),
        ({"injury_status": "doubtful"}, False),
        ({"injury_status": "questionable"}, True),
        ({"minutes_avg_last_7_days": 5.0}, True),  # has a line
        ({"minutes_avg_last_7_days": 5.0, "line": None}, False),
        ({"minutes_avg_last_7_days": None, "line": None}, False),
        ({"minutes_avg_last_7_days": 15.0, "line": None}, True),
    ],
)
def test_candidates(overrides, expected):
    minimum = float(contract.threshold("candidate_min_minutes_last_7_days"))
    assert gate.is_candidate(feature_row("p", DAY, **overrides), minimum) is expected
