"""How `nba-fs replay` classifies the days it judges alerts on, and how the
reports of a range replayed in parts add up (no dbt).

A day on which the sample's odds feed missed one game is not a healthy day:
a star of that game has no line, and STAR_PLAYERS_MISSING_LINES is right to
fire. Counting it as healthy made a correct alert fail the replay.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from python_hooks.replay import (DayRecord, invariant_failures, merge_comparisons, merge_reports,
                                 split_days, summarise)

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


def test_a_range_splits_into_consecutive_parts_of_nearly_equal_length() -> None:
    days = [dt.date(2025, 10, 21) + dt.timedelta(days=k) for k in range(236)]
    parts = split_days(days, 2)
    assert [len(p) for p in parts] == [118, 118]
    assert [d for p in parts for d in p] == days
    assert [len(p) for p in split_days(days[:7], 3)] == [3, 2, 2]
    assert split_days(days[:1], 4) == [days[:1]]


def part_report(records: list[DayRecord], comparison: dict, doubles: int) -> dict:
    summary = summarise(records, comparison, doubles, {OUTAGE}, {MISSED_GAME})
    return {"summary": summary, "days": [asdict(r) for r in records]}


def test_the_reports_of_parts_add_up_to_the_report_of_the_range() -> None:
    first = [day(MISSED_GAME, {"STAR_PLAYERS_MISSING_LINES": 1}), day(HEALTHY, {})]
    second = [day(OUTAGE, {"VEGAS_COVERAGE_LOW": 1})]
    first[0].dispatched, second[0].dispatched = 100, 40
    first[-1].open_gaps, second[-1].open_gaps, second[-1].resolved_gaps = 9, 5, 7
    compared = dict(NO_DIFFERENCES, rows_compared=300, days_compared=2,
                    documented_differences={"injury_status": 3})
    later = dict(NO_DIFFERENCES, rows_compared=120, days_compared=1, rows_only_daily=4,
                 documented_differences={"injury_status": 1, "feature_25_value": 2},
                 unexpected_differences={"feature_3_value": 1},
                 unexpected_examples=["2026-02-26 x feature_3_value"])
    merged = merge_reports([part_report(first, compared, 0), part_report(second, later, 1)],
                           {OUTAGE}, {MISSED_GAME})["summary"]
    whole = summarise(first + second, merge_comparisons([compared, later]), 1,
                      {OUTAGE}, {MISSED_GAME})
    assert merged == whole
    assert merged["days"] == 3 and merged["requests_dispatched"] == 140
    assert merged["double_dispatches"] == 1
    assert (merged["odds_outage_days_alerted"], merged["missed_game_days_alerted"],
            merged["healthy_game_days_alerted"]) == (1, 1, 0)
    # the gaps at the end are the last part's, not a sum
    assert (merged["gaps_open_at_end"], merged["gaps_resolved_at_end"]) == (5, 7)
    cmp = merged["daily_vs_rebuild"]
    assert (cmp["rows_compared"], cmp["days_compared"], cmp["rows_only_daily"]) == (420, 3, 4)
    assert cmp["documented_differences"] == {"feature_25_value": 2, "injury_status": 4}
    assert cmp["unexpected_differences"] == {"feature_3_value": 1}
    assert any("differ from the rebuild" in f for f in invariant_failures(merged))
