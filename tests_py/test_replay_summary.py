"""How `nba-fs replay` classifies the days it judges alerts on (no dbt).

A day on which the sample's odds feed missed one game is not a healthy day:
a star of that game has no line, and STAR_PLAYERS_MISSING_LINES is right to
fire. Counting it as healthy made a correct alert fail the replay.
"""

from __future__ import annotations

import datetime as dt

from python_hooks.replay import DayRecord, invariant_failures, summarise

OUTAGE = dt.date(2026, 2, 26)
MISSED_GAME = dt.date(2026, 2, 20)
HEALTHY = dt.date(2026, 2, 21)

NO_DIFFERENCES = {"rows_compared": 0, "days_compared": 0, "days_with_late_data": 0,
                  "rows_only_daily": 0, "rows_only_rebuild": 0,
                  "documented_differences": {}, "unexpected_differences": {},
                  "unexpected_examples": []}


def day(date: dt.date, alerts: dict[str, int]) -> DayRecord:
    return DayRecord(game_date=date.isoformat(), games=5, rostered_players=150,
                     feature_rows=120, alerts=alerts)


def test_a_missed_game_day_is_counted_apart_from_healthy_days() -> None:
    records = [day(OUTAGE, {"VEGAS_COVERAGE_LOW": 1}),
               day(MISSED_GAME, {"STAR_PLAYERS_MISSING_LINES": 1}),
               day(HEALTHY, {})]
    summary = summarise(records, NO_DIFFERENCES, 0, {OUTAGE}, {MISSED_GAME})
    assert (summary["odds_outage_days"], summary["odds_outage_days_alerted"]) == (1, 1)
    assert (summary["missed_game_days"], summary["missed_game_days_alerted"]) == (1, 1)
    assert (summary["healthy_game_days"], summary["healthy_game_days_alerted"]) == (1, 0)
    assert invariant_failures(summary) == []


def test_an_odds_alert_on_a_healthy_day_still_fails_the_replay() -> None:
    records = [day(OUTAGE, {"VEGAS_COVERAGE_LOW": 1}),
               day(HEALTHY, {"STAR_PLAYERS_MISSING_LINES": 1})]
    summary = summarise(records, NO_DIFFERENCES, 0, {OUTAGE}, {MISSED_GAME})
    assert summary["healthy_game_days_alerted"] == 1
    assert any("healthy game days" in failure for failure in invariant_failures(summary))
