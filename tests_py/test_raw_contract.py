"""python_hooks.raw_contract reads the raw interface from models/staging/_sources.yml."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from python_hooks import raw_contract

SOURCES = Path(__file__).resolve().parent.parent / "models" / "staging" / "_sources.yml"
EXPECTED_TABLES = [
    "nbac_schedule", "nbac_gamebook_player_stats", "nbac_team_boxscore", "nbac_injury_report",
    "odds_api_player_points_props", "bettingpros_player_points_props", "bigdataball_play_by_play",
    "espn_team_rosters",
]


def _yaml_tables() -> dict[str, dict]:
    doc = yaml.safe_load(SOURCES.read_text(encoding="utf-8"))
    (source,) = [s for s in doc["sources"] if s["name"] == "nba_raw"]
    return {t["name"]: t for t in source["tables"]}


def test_every_table_and_column_matches_the_yaml() -> None:
    tables = raw_contract.tables()
    assert list(tables) == EXPECTED_TABLES
    yaml_tables = _yaml_tables()
    assert set(tables) == set(yaml_tables)
    for name, columns in tables.items():
        listed = yaml_tables[name]["columns"]
        assert [c.name for c in columns] == [c["name"] for c in listed], name
        for col, raw in zip(columns, listed):
            assert col.bq_type == raw["data_type"], (name, col.name)
            meta = (raw.get("config") or {}).get("meta") or {}
            assert col.not_null is bool(meta.get("not_null", False)), (name, col.name)
        meta = yaml_tables[name]["config"]["meta"]
        assert raw_contract.partition(name) == (meta["partition_column"], meta["require_partition_filter"])
        # Every table has the version column the replay and freshness use.
        assert "processed_at" in [c.name for c in columns]


def test_known_columns_and_flags() -> None:
    schedule = {c.name: c for c in raw_contract.columns("nbac_schedule")}
    assert schedule["game_id"] == raw_contract.Column("game_id", "STRING", True)
    assert schedule["home_team_score"].not_null is False
    assert raw_contract.partition("nbac_schedule") == ("game_date", True)
    assert raw_contract.partition("nbac_injury_report") == ("report_date", False)
    assert raw_contract.partition("espn_team_rosters") == ("roster_date", True)
    with pytest.raises(KeyError):
        raw_contract.columns("schedule")


@pytest.mark.parametrize(("bq", "duck", "arrow"), [
    ("STRING", "VARCHAR", pa.string()), ("INT64", "BIGINT", pa.int64()), ("FLOAT64", "DOUBLE", pa.float64()),
    ("BOOLEAN", "BOOLEAN", pa.bool_()), ("DATE", "DATE", pa.date32()), ("TIMESTAMP", "TIMESTAMP", pa.timestamp("us")),
])
def test_type_maps(bq: str, duck: str, arrow: pa.DataType) -> None:
    assert raw_contract.duckdb_type(bq) == duck
    assert raw_contract.arrow_type(bq) == arrow


def test_unknown_types_are_refused() -> None:
    with pytest.raises(raw_contract.RawContractError):
        raw_contract.duckdb_type("NUMERIC")
    with pytest.raises(raw_contract.RawContractError):
        raw_contract.arrow_type("JSON")


def test_a_bad_sources_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "_sources.yml"
    bad.write_text(yaml.safe_dump({"version": 2, "sources": [{"name": "nba_raw", "tables": [
        {"name": "t", "config": {"meta": {"partition_column": "d"}},
         "columns": [{"name": "d", "data_type": "DATETIME"}]}]}]}))
    with pytest.raises(raw_contract.RawContractError, match="unknown data_type"):
        raw_contract._tables(bad)
    bad.write_text(yaml.safe_dump({"version": 2, "sources": [{"name": "nba_raw", "tables": [
        {"name": "t", "config": {"meta": {"partition_column": "x"}},
         "columns": [{"name": "d", "data_type": "DATE"}]}]}]}))
    with pytest.raises(raw_contract.RawContractError, match="partition_column"):
        raw_contract._tables(bad)


def test_the_result_is_cached_and_not_shared_mutably() -> None:
    first = raw_contract.tables()
    first["nbac_schedule"].clear()
    assert raw_contract.tables()["nbac_schedule"], "callers cannot damage the cached contract"
