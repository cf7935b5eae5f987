"""A throwaway dbt project that builds the feature store on fixture rows.

`ml_feature_store_v2` reads `int_player_features_computed`. To test the
feature store alone, `FixtureProject` lays out a project in a tmp folder that
links the real dbt_project.yml, macros, generic tests and feature-store files
of this repository, and replaces `int_player_features_computed` by a stand-in
model reading a fixture table written with DuckDB. dbt runs in-process through
its programmatic runner, with its own DuckDB file, target and log folders.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import duckdb
import pyarrow as pa

from python_hooks import contract
from python_hooks.warehouse import schema_name

REPO = contract.PROJECT_ROOT
FIXTURE_TABLE = "main.fixture_int_player_features"
FEATURE_STORE_FILES = (
    "models/_groups.yml",  # the groups dbt_project.yml assigns the models to
    "models/feature_store/feature_contract.sql",
    "models/feature_store/ml_feature_store_v2.sql",
    "models/feature_store/_feature_store.yml",
)
SINGULAR_TEST_GLOB = "tests/singular/feature_store_*.sql"

Row = dict[str, Any]


def context_columns(player: str, game_date: dt.date) -> Row:
    return {
        "player_lookup": player,
        "game_date": game_date,
        "game_id": f"{game_date:%Y%m%d}_BOS_NYK",
        "season_year": 2024,
        "team_abbr": "BOS",
        "opponent_team_abbr": "NYK",
        "is_home": True,
        "days_rest": 1,
        "injury_status": None,
        "minutes_avg_last_7_days": 30.0,
        "vegas_line_source": None,
        "vegas_sportsbook": None,
        "cache_miss_fallback_used": False,
    }


def feature_row(player: str, game_date: dt.date, labels: Sequence[str | None],
                values: Sequence[float | None]) -> Row:
    """One row of int_player_features_computed from 39 labels and values."""
    row = context_columns(player, game_date)
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        row[f"f{index}_value"] = value
        row[f"f{index}_raw_source"] = label
    return row


def random_labels(rnd: random.Random) -> list[str]:
    """Raw source labels of one row: mostly present, some absent, some phase3.

    The absent share varies per row so every tier, alert and readiness
    outcome appears in a few hundred rows.
    """
    absent_share = rnd.choice([0.0, 0.0, 0.03, 0.1, 0.25, 0.6, 1.0])
    labels = []
    for feature in contract.features():
        if feature.source_absent is not None and rnd.random() < absent_share:
            labels.append(feature.source_absent)
        elif feature.source_present == "phase4" and rnd.random() < 0.1:
            labels.append("phase3")
        else:
            labels.append(feature.source_present)
    return labels


def random_rows(count: int, seed: int, dates: int = 10) -> list[Row]:
    """`count` rows spread over `dates` consecutive game dates."""
    rnd = random.Random(seed)
    first = dt.date(2025, 1, 1)
    per_date = max(1, count // dates)
    rows = []
    for number in range(count):
        labels = random_labels(rnd)
        values = [
            None if label in ("default", "missing") and rnd.random() < 0.8
            else round(rnd.uniform(-5, 120), 3)
            for label in labels
        ]
        row = feature_row(f"player{number % per_date:04d}",
                          first + dt.timedelta(days=number // per_date),
                          labels, values)
        row["cache_miss_fallback_used"] = "phase3" in labels
        rows.append(row)
    return rows


def _stand_in_model_sql() -> str:
    """int_player_features_computed read from the fixture, explicitly typed."""
    columns = [
        "cast(player_lookup as varchar) as player_lookup",
        "cast(game_date as date) as game_date",
        "cast(game_id as varchar) as game_id",
        "cast(season_year as integer) as season_year",
        "cast(team_abbr as varchar) as team_abbr",
        "cast(opponent_team_abbr as varchar) as opponent_team_abbr",
        "cast(is_home as boolean) as is_home",
        "cast(days_rest as integer) as days_rest",
        "cast(injury_status as varchar) as injury_status",
        "cast(minutes_avg_last_7_days as double) as minutes_avg_last_7_days",
        "cast(vegas_line_source as varchar) as vegas_line_source",
        "cast(vegas_sportsbook as varchar) as vegas_sportsbook",
        "cast(cache_miss_fallback_used as boolean) as cache_miss_fallback_used",
    ]
    for feature in contract.features():
        i = feature.index
        columns.append(f"cast(f{i}_value as double) as f{i}_value")
        columns.append(f"cast(f{i}_raw_source as varchar) as f{i}_raw_source")
    # a view, so a changed fixture reaches ml_feature_store_v2 directly
    return ("{{ config(materialized='view') }}\nselect\n    "
            + ",\n    ".join(columns) + f"\nfrom {FIXTURE_TABLE}\n")


@dataclass
class FixtureProject:
    """A tmp dbt project building the feature store on fixture rows."""

    root: Path

    @property
    def project_dir(self) -> Path:
        return self.root / "project"

    @property
    def database(self) -> Path:
        return self.root / "fixture.duckdb"

    def create(self) -> "FixtureProject":
        project = self.project_dir
        (project / "models/feature_store/intermediate").mkdir(parents=True)
        (project / "tests/singular").mkdir(parents=True)
        (project / "dbt_project.yml").symlink_to(REPO / "dbt_project.yml")
        (project / "macros").symlink_to(REPO / "macros")
        (project / "tests/generic").symlink_to(REPO / "tests/generic")
        # the unit tests' CSV fixtures of the feature-store YAML
        (project / "tests/fixtures").symlink_to(REPO / "tests/fixtures")
        for relative in FEATURE_STORE_FILES:
            (project / relative).symlink_to(REPO / relative)
        for test in sorted(REPO.glob(SINGULAR_TEST_GLOB)):
            (project / "tests/singular" / test.name).symlink_to(test)
        (project / "models/feature_store/intermediate"
         / "int_player_features_computed.sql").write_text(
            _stand_in_model_sql())
        return self

    def write_rows(self, rows: Sequence[Row]) -> None:
        table = pa.Table.from_pylist(list(rows))
        with duckdb.connect(str(self.database)) as con:
            con.register("fixture_rows", table)
            con.execute(f"create or replace table {FIXTURE_TABLE} as "
                        "select * from fixture_rows")

    def dbt(self, *args: str) -> Any:
        """Run one dbt command in-process; raise with its log on failure."""
        from dbt.cli.main import dbtRunner

        env = {
            "NBA_DUCKDB_PATH": str(self.database),
            "DBT_PARTIAL_PARSE": "false",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            result = dbtRunner().invoke([
                *args,
                "--project-dir", str(self.project_dir),
                "--profiles-dir", str(REPO),
                "--target-path", str(self.root / "target"),
                "--log-path", str(self.root / "logs"),
                "--target", "dev",
            ])
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        if not result.success:
            log = (self.root / "logs" / "dbt.log")
            tail = log.read_text()[-6000:] if log.exists() else ""
            raise AssertionError(f"dbt {' '.join(args)} failed: "
                                 f"{result.exception}\n{tail}")
        return result

    def query(self, sql: str) -> list[Row]:
        # not read_only: dbt-duckdb may still hold this file open in-process,
        # and DuckDB refuses a second connection with another configuration
        with duckdb.connect(str(self.database)) as con:
            cursor = con.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, values)) for values in cursor.fetchall()]


def feature_store_table() -> str:
    return f"{schema_name('predictions')}.ml_feature_store_v2"


def feature_contract_table() -> str:
    return f"{schema_name('predictions')}.feature_contract"
