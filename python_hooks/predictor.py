"""A transparent BASELINE points predictor - a placeholder for the user's model.

It exists only to exercise the dispatch -> worker -> prediction path end to
end. It is not tuned and makes no claim of accuracy:

    recent = 0.5 * points_avg_last_5 + 0.3 * points_avg_last_10
             + 0.2 * points_avg_season            (features 0, 1, 2)
    predicted = 0.7 * recent + 0.3 * line         when a line is present
    predicted = recent                            otherwise

The weights are model parameters of this baseline, not quality thresholds.
"""

from __future__ import annotations

from typing import Sequence

SYSTEM_ID = "baseline_wma_v1"
RECENT_WEIGHTS = (0.5, 0.3, 0.2)  # features 0, 1, 2
LINE_WEIGHT = 0.3


def predict_points(features: Sequence[float], line: float | None) -> float:
    """Baseline prediction, rounded to 0.1 point."""
    recent = sum(w * float(features[i]) for i, w in enumerate(RECENT_WEIGHTS))
    if line is None:
        return round(recent, 1)
    return round((1 - LINE_WEIGHT) * recent + LINE_WEIGHT * float(line), 1)
