"""The prediction gate (docs/python_layer.md, "The gate"): pure functions.

Every threshold comes from dbt_project.yml vars through
:mod:`python_hooks.contract`; ``overrides`` replace any of them.

Reason strings carry a number:

* ``hard_floor_matchup_<N>``: N = matchup_quality_pct truncated to an integer
  (``floor``), so N is always below the floor it failed (49.9 -> ``49``).
* ``zero_tolerance_defaults_<N>``: N = the required default count (integer).
* ``quality_below_threshold_<T>``: T = the mode's minimum score, as an integer
  when it is whole (``85``), else as written (``72.5``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping

from python_hooks import contract


class Mode(str, Enum):
    FIRST = "FIRST"
    RETRY = "RETRY"
    FINAL_RETRY = "FINAL_RETRY"
    LAST_CALL = "LAST_CALL"
    BACKFILL = "BACKFILL"


MODE_VAR = {
    Mode.FIRST: "gate_min_score_first",
    Mode.RETRY: "gate_min_score_retry",
    Mode.FINAL_RETRY: "gate_min_score_final_retry",
    Mode.LAST_CALL: "gate_min_score_last_call",
    Mode.BACKFILL: "gate_min_score_backfill",
}

# Outcome categories of the dispatch summary.
DISPATCHED = "dispatched"
SKIPPED_EXISTING = "skipped_existing"
SKIPPED_LOW_QUALITY = "skipped_low_quality"
HARD_BLOCKED = "hard_blocked"
NO_FEATURES = "no_features"


@dataclass(frozen=True)
class Thresholds:
    min_score: float
    low_quality_flag_below: float
    matchup_floor: float

    @classmethod
    def for_mode(cls, mode: Mode, overrides: Mapping[str, Any] | None = None) -> "Thresholds":
        return cls(
            min_score=float(contract.threshold(MODE_VAR[mode], overrides)),
            low_quality_flag_below=float(contract.threshold("low_quality_flag_below", overrides)),
            matchup_floor=float(contract.threshold("ready_min_matchup_pct", overrides)),
        )


@dataclass(frozen=True)
class Decision:
    dispatch: bool
    reason: str
    category: str
    low_quality_flag: bool = False


def effective_mode(mode: Mode | str, game_date: dt.date, today: dt.date) -> Mode:
    """BACKFILL applies only to past dates; for today or later it is RETRY."""
    mode = Mode(mode)
    if mode is Mode.BACKFILL and game_date >= today:
        return Mode.RETRY
    return mode


def required_defaults(row: Mapping[str, Any]) -> int:
    """required_default_count; legacy NULL rows fall back to the total.

    A real 0 stays 0 (production's ``required or default`` turned it into the
    total and blocked every vegas-only player).
    """
    required = row.get("required_default_count")
    if required is None:
        required = row.get("default_feature_count") or 0
    return int(required)


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def decide(
    row: Mapping[str, Any] | None,
    *,
    has_active_prediction: bool,
    thresholds: Thresholds,
) -> Decision:
    """Gate one player, rules in their fixed order (docs/python_layer.md)."""
    if has_active_prediction:
        return Decision(False, "already_has_prediction", SKIPPED_EXISTING)
    if row is not None:
        if (row.get("quality_alert_level") or "").lower() == "red":
            return Decision(False, "hard_floor_red_alert", HARD_BLOCKED)
        matchup = row.get("matchup_quality_pct")
        if matchup is not None and float(matchup) < thresholds.matchup_floor:
            return Decision(False, f"hard_floor_matchup_{math.floor(float(matchup))}", HARD_BLOCKED)
        required = required_defaults(row)
        if required > 0:
            return Decision(False, f"zero_tolerance_defaults_{required}", HARD_BLOCKED)
    if row is None:
        return Decision(False, "no_features_available", NO_FEATURES)
    score = float(row.get("feature_quality_score") or 0.0)
    if score >= thresholds.min_score:
        return Decision(
            True,
            "dispatched",
            DISPATCHED,
            low_quality_flag=score < thresholds.low_quality_flag_below,
        )
    return Decision(
        False,
        f"quality_below_threshold_{format_number(thresholds.min_score)}",
        SKIPPED_LOW_QUALITY,
    )


def is_candidate(row: Mapping[str, Any], min_minutes: float) -> bool:
    """Expected to play (not out/doubtful) and a regular or has a prop line."""
    status = (row.get("injury_status") or "").lower()
    if status in ("out", "doubtful"):
        return False
    minutes = row.get("minutes_avg_last_7_days")
    has_line = row.get("feature_25_value") is not None
    return has_line or (minutes is not None and float(minutes) >= min_minutes)
