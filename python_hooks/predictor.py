"""A transparent BASELINE points predictor - a placeholder for the user's model.

It exists only to exercise the dispatch -> worker -> prediction path end to
end. It is not tuned and makes no claim of accuracy:

    recent = 0.5 * points_avg_last_5 + 0.3 * points_avg_last_10
             + 0.2 * points_avg_season            (features 0, 1, 2)
    predicted = 0.7 * recent + 0.3 * line         when a line is present
    predicted = recent                            otherwise

The weights are model parameters of this baseline, not quality thresholds.
Missing or non-finite inputs give no prediction (None), never NaN.
"""

from __future__ import annotations

import math
from typing import Sequence

SYSTEM_ID = "baseline_wma_v1"
RECENT_WEIGHTS = (0.5, 0.3, 0.2)  # features 0, 1, 2
LINE_WEIGHT = 0.3


def _finite(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def predict_points(features: Sequence[float] | None, line: float | None) -> float | None:
    """Baseline prediction, rounded to 0.1 point; None without usable inputs."""
    if features is None or len(features) < len(RECENT_WEIGHTS):
        return None
    values = [_finite(features[i]) for i in range(len(RECENT_WEIGHTS))]
    finite = [value for value in values if value is not None]
    if len(finite) != len(values):
        return None
    recent = sum(w * v for w, v in zip(RECENT_WEIGHTS, finite))
    if line is None:
        return round(recent, 1)
    finite_line = _finite(line)
    if finite_line is None:
        return None
    return round((1 - LINE_WEIGHT) * recent + LINE_WEIGHT * finite_line, 1)
