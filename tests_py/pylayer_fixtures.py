"""Fixture rows of nba_predictions.ml_feature_store_v2 for the Python-layer tests.

`feature_row(...)` builds one row with every column of the feature store
(docs/quality.md + the identity columns); keyword arguments
override any column. `write_feature_store(path, rows)` writes them into a fresh
DuckDB file, in the schema named by NBA_SCHEMA_PREDICTIONS.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pyarrow as pa

from python_hooks import contract
from python_hooks.warehouse import schema_name

N_FEATURES = len(contract.features())


def feature_row(player: str, game_date: dt.date, **overrides: Any) -> dict[str, Any]:
    """A complete gold row with a line (score 98.49); override what differs."""
    line = overrides.pop("line", 22.5)
    names = contract.feature_names()
    values = [20.0 + (i % 7) for i in range(N_FEATURES)]
    values[0], values[1], values[2] = 24.0, 22.0, 20.0
    values[25] = line if line is not None else 0.0
    row: dict[str, Any] = {
        "player_lookup": player,
        "game_date": game_date,
        "game_id": f"{game_date:%Y%m%d}_BOS_NYK",
        "season_year": 2025,
        "team_abbr": "BOS",
        "opponent_team_abbr": "NYK",
        "is_home": True,
        "days_rest": 1,
        "injury_status": None,
        "minutes_avg_last_7_days": 30.0,
        "vegas_line_source": "odds_api" if line is not None else None,
        "vegas_sportsbook": "draftkings" if line is not None else None,
        "features": values,
        "feature_names": names,
    }
    for i in range(N_FEATURES):
        row[f"feature_{i}_value"] = values[i]
        row[f"feature_{i}_source"] = "phase4"
        row[f"feature_{i}_quality"] = 100.0
    for i in (25, 26, 27):
        row[f"feature_{i}_value"] = line if i == 25 else (line if i == 26 else 0.0)
        if line is None:
            row[f"feature_{i}_value"] = None
            row[f"feature_{i}_source"] = "default"
            row[f"feature_{i}_quality"] = 0.0
    vegas_defaults = 0 if line is not None else 3
    row.update(
        {
            "default_feature_count": vegas_defaults,
            "required_default_count": 0,
            "vegas_default_count": vegas_defaults,
            "feature_quality_score": 98.49 if line is not None else 90.79,
            "quality_tier": "gold" if line is not None else "silver",
            "matchup_quality_pct": 100.0,
            "quality_alert_level": "green",
            "quality_alerts": [],
            "is_quality_ready": True,
            "is_training_ready": True,
            "has_vegas_line": line is not None,
            "cache_miss_fallback_used": False,
            "feature_version": "v2_39features",
        }
    )
    row.update(overrides)
    return row


def write_feature_store(path: str, rows: list[dict[str, Any]]) -> None:
    schema = schema_name("predictions")
    con = duckdb.connect(path)
    try:
        con.execute(f'create schema if not exists "{schema}"')
        batch = pa.Table.from_pylist(rows)
        con.register("fixture_rows", batch)
        con.execute(
            f'create or replace table "{schema}".ml_feature_store_v2 as'
            " select * from fixture_rows"
        )
        con.unregister("fixture_rows")
    finally:
        con.close()
