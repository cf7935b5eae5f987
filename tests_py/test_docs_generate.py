"""`dbt docs generate` works on the embedded default (DuckDB), and the docs
it produces are complete: every model, seed and source column described, the
shared doc blocks resolved, the three consumers declared as exposures.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import BuiltWarehouse

MAIN_MODELS = {
    "ml_feature_store_v2",
    "feature_contract",
    "daily_quality_counts",
    "feature_store_gaps",
    "scraper_health_star_lines",
    "vegas_coverage_daily",
    "player_game_summary",
    "upcoming_player_game_context",
    "player_daily_cache",
}
EXPOSURES = {
    "prediction_dispatcher": {"ml_feature_store_v2"},
    "alerting_command": {
        "daily_quality_counts", "vegas_coverage_daily", "scraper_health_star_lines", "feature_store_gaps",
    },
    "quality_report": {
        "daily_quality_counts", "vegas_coverage_daily", "ml_feature_store_v2", "feature_store_gaps",
        "scraper_health_star_lines",
    },
}
DOC_BLOCKS = {"__overview__", "player_lookup", "game_date", "game_id", "team_abbr", "season_year", "loaded_at"}


@pytest.fixture(scope="module")
def docs(small_warehouse_template: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory
         ) -> tuple[dict[str, Any], dict[str, Any], Path]:
    """manifest.json and catalog.json of one `dbt docs generate` into tmp."""
    work = tmp_path_factory.mktemp("docs")
    db = work / "nba.duckdb"
    shutil.copyfile(small_warehouse_template.db, db)  # dbt opens it read-write
    result = BuiltWarehouse(db=db, work=work).dbt("docs", "generate")
    assert "Catalog written" in result.stdout, result.stdout[-3000:]
    target = work / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    return manifest, catalog, target


def _models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}


def test_docs_generate_writes_a_catalog_of_the_main_models(docs: tuple) -> None:
    manifest, catalog, target = docs
    assert (target / "index.html").stat().st_size > 0
    assert not catalog.get("errors")
    in_catalog = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    assert MAIN_MODELS <= in_catalog
    # Every model of the project is a relation the catalog describes.
    assert {v["name"] for v in _models(manifest).values()} <= in_catalog
    assert len(catalog["nodes"]["model.nba_feature_store.ml_feature_store_v2.v2"]["columns"]) > 100


def _undocumented(manifest_node: dict[str, Any], catalog_node: dict[str, Any]) -> list[str]:
    described = {name.lower(): c.get("description", "") for name, c in manifest_node["columns"].items()}
    return [name for name in catalog_node["columns"] if not described.get(name.lower(), "").strip()]


def test_every_model_seed_and_source_column_is_described(docs: tuple) -> None:
    manifest, catalog, _ = docs
    missing: list[str] = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] not in ("model", "seed"):
            continue
        if not node["description"].strip():
            missing.append(f"{unique_id} (model description)")
        missing += [f"{unique_id}.{c}" for c in _undocumented(node, catalog["nodes"][unique_id])]
    for unique_id, node in manifest["sources"].items():
        if unique_id in catalog["sources"]:
            missing += [f"{unique_id}.{c}" for c in _undocumented(node, catalog["sources"][unique_id])]
    assert missing == []


def test_doc_blocks_are_defined_and_rendered(docs: tuple) -> None:
    manifest, _, _ = docs
    names = {doc["name"] for doc in manifest["docs"].values() if doc["package_name"] == "nba_feature_store"}
    assert DOC_BLOCKS <= names
    # The shared columns reuse the blocks (staging, analytics, sources ...).
    block = next(d["block_contents"] for d in manifest["docs"].values() if d["name"] == "player_lookup")
    uses = sum(
        1 for node in list(manifest["nodes"].values()) + list(manifest["sources"].values())
        for column in node.get("columns", {}).values() if column.get("description") == block
    )
    assert uses >= 10
    for node in list(manifest["nodes"].values()) + list(manifest["sources"].values()):
        texts = [node.get("description", "")] + [c.get("description", "") for c in node.get("columns", {}).values()]
        assert not any("{{" in text or "doc(" in text for text in texts), node["unique_id"]


def test_exposures_declare_the_consumers(docs: tuple) -> None:
    manifest, _, _ = docs
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert set(EXPOSURES) <= set(exposures)
    for name, models in EXPOSURES.items():
        depends = {manifest["nodes"][uid]["name"] for uid in exposures[name]["depends_on"]["nodes"]
                   if uid in manifest["nodes"]}
        assert models <= depends, (name, depends)
        assert exposures[name]["description"].strip() and exposures[name]["owner"]["name"]
    alert_sources = [uid for uid in exposures["alerting_command"]["depends_on"]["nodes"]
                     if uid.startswith("source.")]
    assert len(alert_sources) >= 8


# ---------------------------------------------------------------------------
# docs/querying.md: every example query runs as written on the DuckDB file.
# `python tests_py/test_docs_generate.py DB` rewrites the guide's output blocks
# (the ```text block after each ```sql block) with the real results on DB.
# ---------------------------------------------------------------------------

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "querying.md"
_EXAMPLE = re.compile(r"```sql\n(?P<sql>.*?)```\n\n```text\n(?P<out>.*?)```", re.S)


def guide_queries(text: str) -> list[str]:
    return [match.group("sql") for match in _EXAMPLE.finditer(text)]


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_cell(v) for v in value) + "]"
    return str(value)


def format_result(columns: list[str], rows: list[tuple]) -> str:
    """A plain text table; a single wide row is shown one column a line."""
    cells = [[_cell(v) for v in row] for row in rows]
    if len(rows) == 1 and len(columns) > 6:
        width = max(len(c) for c in columns)
        return "".join(f"{c.ljust(width)} | {v}\n" for c, v in zip(columns, cells[0]))
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines) + f"\n({len(rows)} rows)\n"


def run_query(con: Any, sql: str) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(sql)
    return [d[0] for d in cursor.description], cursor.fetchall()


@pytest.fixture(scope="module")
def guide_db(request: pytest.FixtureRequest) -> Path:
    """The default sample `make test` built; the small one when run alone."""
    path = os.environ.get("NBA_CI_WAREHOUSE")
    if path and Path(path).exists():
        return Path(path)
    return request.getfixturevalue("small_warehouse_template").db


def test_guide_queries_run_as_written(guide_db: Path) -> None:
    import duckdb

    queries = guide_queries(GUIDE.read_text(encoding="utf-8"))
    assert len(queries) >= 3
    con = duckdb.connect(str(guide_db), read_only=True)
    try:
        results = [run_query(con, sql) for sql in queries]
    finally:
        con.close()
    for columns, _ in results:
        assert columns
    # The trend and the gaps query aggregate a whole season: never empty.
    assert results[2][1] and results[3][1]


def render_guide(db: Path, path: Path = GUIDE) -> None:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        def replace(match: re.Match[str]) -> str:
            columns, rows = run_query(con, match.group("sql"))
            return f"```sql\n{match.group('sql')}```\n\n```text\n{format_result(columns, rows)}```"

        path.write_text(_EXAMPLE.sub(replace, path.read_text(encoding="utf-8")), encoding="utf-8")
    finally:
        con.close()


if __name__ == "__main__":
    render_guide(Path(sys.argv[1]))
