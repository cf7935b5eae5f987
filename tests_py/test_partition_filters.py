"""What the emulator cannot show, checked in the SQL dbt-bigquery ran.

The emulator runs BigQuery SQL but does not prune partitions, bill bytes or
enforce `require_partition_filter`. So the SQL of the emulator build (same
SQL as production: only the target name differs) is inspected:

- every incremental date-window run overwrites exactly the window's
  partitions (a static `insert_overwrite`: the merge deletes only
  `DBT_INTERNAL_DEST.<partition column> in (<window dates>)`);
- every query of the window run that reads a partitioned table filters its
  partition column (so it prunes, and passes `require_partition_filter`);
  the partitioned tables are the partitioned models and the raw tables
  (each source table's meta names its partition column; the emulator
  creates them partitioned, with the option where production has it);
  data tests (full and window build) and analyses are checked the same way,
  and a window build's tests read only the window's partitions;
- contract data types are BigQuery types on BigQuery targets.

The pure checks are tested on small SQL snippets first, so a broken check
cannot pass silently.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bigquery_fixtures import WINDOW, EmulatorBuild, emulator_build_result

WRITE_PREFIX = re.compile(r"(merge\s+into|create\s+or\s+replace\s+table|create\s+table|insert\s+into"
                          r"|drop\s+table(\s+if\s+exists)?|alter\s+table)\s*$", re.I)
BIGQUERY_TYPE = re.compile(
    r"^(string|bytes|int64|integer|bigint|smallint|int|float64|numeric|bignumeric|bool|boolean|date"
    r"|datetime|time|timestamp|json|geography|interval|array<.+>|struct<.+>)$", re.I)


def enclosing_segment(sql: str, start: int) -> str:
    """The text from `start` to the end of its parenthesised level."""
    depth = 0
    for pos in range(start, len(sql)):
        char = sql[pos]
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return sql[start:pos]
            depth -= 1
    return sql[start:]


def without_subqueries(segment: str) -> str:
    """The segment with every parenthesised sub-select blanked out (a filter
    inside a sub-select does not filter the outer table)."""
    out, depth, group = [], 0, []
    for char in segment:
        if char == "(":
            depth += 1
        if depth == 0:
            out.append(char)
        else:
            group.append(char)
        if char == ")":
            depth -= 1
            if depth == 0:
                text = "".join(group)
                out.append(" " if re.search(r"\bselect\b", text, flags=re.I) else text)
                group = []
    return "".join(out)


def unfiltered_reads(sql: str, relation: str, column: str) -> list[str]:
    """Reads of `relation` whose select has no WHERE on `column`.

    A read is an occurrence of the relation name that is not the target of
    a write (merge / create / insert). Its select is the text up to the end
    of the enclosing parentheses; that text must have, at its own level, a
    WHERE clause whose condition mentions the partition column.
    """
    found = []
    for match in re.finditer(re.escape(relation), sql, flags=re.I):
        if WRITE_PREFIX.search(sql[:match.start()]):
            continue
        segment = enclosing_segment(sql, match.end())
        level = without_subqueries(segment)
        where = re.search(r"\bwhere\b", level, flags=re.I)
        if where is None or not re.search(rf"\b{re.escape(column)}\b",
                                          level[where.start():], flags=re.I):
            found.append(sql[max(0, match.start() - 60):match.end() + 120])
    return found


def overwritten_partitions(sql: str, column: str) -> list[str] | None:
    """Dates a static insert_overwrite merge deletes, or None if it has none."""
    match = re.search(rf"dbt_internal_dest\.`?{re.escape(column)}`?\)?\s+in\s*\(([^)]*)\)", sql, flags=re.I)
    if match is None:
        return None
    return re.findall(r"date\s*'(\d{4}-\d{2}-\d{2})'", match.group(1), flags=re.I)


def window_dates() -> list[str]:
    import datetime as dt

    start = dt.date.fromisoformat(WINDOW["start_date"])
    end = dt.date.fromisoformat(WINDOW["end_date"])
    return [(start + dt.timedelta(days=d)).isoformat() for d in range((end - start).days + 1)]


# --- the checks themselves ------------------------------------------------

TABLE = "`p`.`d`.`facts`"


def test_filtered_read_passes_and_unfiltered_read_is_found() -> None:
    good = f"select * from {TABLE} where game_date between date '2021-12-01' and date '2021-12-07'"
    assert unfiltered_reads(good, TABLE, "game_date") == []
    bad = f"select * from {TABLE} where player_lookup = 'x'"
    assert len(unfiltered_reads(bad, TABLE, "game_date")) == 1
    nested = f"with a as (select * from {TABLE}) select * from a where game_date = date '2021-12-01'"
    assert len(unfiltered_reads(nested, TABLE, "game_date")) == 1, "outer filter does not prune"
    in_cte = f"with a as (select * from {TABLE} where game_date >= date '2021-01-01') select * from a"
    assert unfiltered_reads(in_cte, TABLE, "game_date") == []
    grouped = f"select * from {TABLE} where (game_date > date '2021-01-01' or x)"
    assert unfiltered_reads(grouped, TABLE, "game_date") == []
    subquery_filter = f"select * from {TABLE} where x in (select game_date from t)"
    assert len(unfiltered_reads(subquery_filter, TABLE, "game_date")) == 1
    write = f"merge into {TABLE} as DBT_INTERNAL_DEST using (select 1) on false"
    assert unfiltered_reads(write, TABLE, "game_date") == []


def test_overwritten_partitions_reads_the_static_list() -> None:
    sql = ("when not matched by source and DBT_INTERNAL_DEST.game_date in "
           "(date '2021-12-01', date '2021-12-02') then delete")
    assert overwritten_partitions(sql, "game_date") == ["2021-12-01", "2021-12-02"]
    wrapped = "and date(dbt_internal_dest.game_date) in (date '2021-12-01') then delete"
    assert overwritten_partitions(wrapped, "game_date") == ["2021-12-01"]
    assert overwritten_partitions("when not matched by source then delete", "game_date") is None


# --- the emulator build's SQL ---------------------------------------------

@pytest.fixture(scope="module")
def emulator_build() -> EmulatorBuild:
    return emulator_build_result()


def manifest(build: EmulatorBuild, step: str) -> dict[str, Any]:
    return json.loads((build.target_dirs[step] / "manifest.json").read_text())


def sql_of(build: EmulatorBuild, step: str, node: dict[str, Any], kind: str) -> str:
    """The SQL of `node` that `step` wrote under target/<kind>/. A generic
    test's file is named by its `path` (dbt shortens long test names)."""
    path = build.target_dirs[step] / kind / node["package_name"] / node["original_file_path"]
    if node["resource_type"] == "test" and node["original_file_path"].endswith(".yml"):
        path = path / node["path"]
    assert path.exists(), f"no {kind} SQL for {node['unique_id']} at {path}"
    return path.read_text()


def partitioned_tables(nodes: dict[str, Any]) -> dict[str, str]:
    """relation name -> partition column of every partitioned model."""
    return {
        node["relation_name"]: node["config"]["partition_by"]["field"]
        for node in nodes.values()
        if node["resource_type"] == "model" and node["config"].get("partition_by")
    }


def partitioned_sources(sources: dict[str, Any]) -> dict[str, str]:
    """relation name -> partition column of every raw (source) table."""
    found = {}
    for source in sources.values():
        meta = {**source.get("meta", {}), **source.get("config", {}).get("meta", {})}
        if meta.get("partition_column"):
            found[source["relation_name"]] = meta["partition_column"]
    return found


def unfiltered_reads_of_step(build: EmulatorBuild, step: str, kind: str,
                             resource_type: str) -> list[str]:
    """`node: snippet` for each read of a partitioned table (model or raw
    source) without a partition filter, in the SQL of `resource_type` nodes
    that `step` ran."""
    parsed = manifest(build, step)
    nodes = parsed["nodes"]
    partitioned = partitioned_tables(nodes) | partitioned_sources(parsed["sources"])
    problems: list[str] = []
    for result in build.run_results(step):
        node = nodes.get(result["unique_id"])
        if node is None or node["resource_type"] != resource_type:
            continue
        sql = sql_of(build, step, node, kind)
        for relation, column in partitioned.items():
            if relation.lower() in sql.lower():
                problems += [f"{node['name']}: {snippet}"
                             for snippet in unfiltered_reads(sql, relation, column)]
    return problems


def test_window_run_overwrites_exactly_the_window(emulator_build: EmulatorBuild) -> None:
    nodes = manifest(emulator_build, "window_2")["nodes"]
    ran = [r["unique_id"] for r in emulator_build.run_results("window_2")]
    checked = 0
    for unique_id in ran:
        node = nodes[unique_id]
        if node["config"].get("incremental_strategy") != "insert_overwrite":
            continue
        sql = sql_of(emulator_build, "window_2", node, "run")
        assert sql is not None, unique_id
        column = node["config"]["partition_by"]["field"]
        assert overwritten_partitions(sql, column) == window_dates(), unique_id
        checked += 1
    assert checked >= 5


def test_no_partition_list_is_stored_at_parse_time(emulator_build: EmulatorBuild) -> None:
    """The window's partitions are computed when a model runs
    (bq_generate_incremental_insert_overwrite_build_sql), never kept in the
    parsed config, where a daily run reusing a partial parse from an earlier
    day would find yesterday's list."""
    nodes = manifest(emulator_build, "window_2")["nodes"].values()
    date_window_models = [node for node in nodes if node["resource_type"] == "model"
                          and node["config"].get("meta", {}).get("date_window_column")]
    assert len(date_window_models) >= 10
    assert [node["name"] for node in date_window_models if node["config"].get("partitions")] == []


def test_model_reads_of_partitioned_tables_filter_partitions(
        emulator_build: EmulatorBuild) -> None:
    """Every read of a partitioned table by a model's SQL filters its
    partition column, on the full build and on the incremental (daily /
    backfill) window run. The compiled SQL is checked: with
    on_schema_change the model's select runs as its own statement, and
    target/run/ keeps only the merge that follows it."""
    for step in ("build", "window_2"):
        assert unfiltered_reads_of_step(emulator_build, step, "compiled", "model") == [], step
        nodes = manifest(emulator_build, step)["nodes"]
        feature_store = sql_of(emulator_build, step, nodes["model.nba_feature_store.ml_feature_store_v2.v2"],
                               "compiled")
        assert "int_player_features_computed" in feature_store  # the check saw its reads


def test_raw_reads_filter_partitions(emulator_build: EmulatorBuild) -> None:
    """Every raw table is partitioned (most require a filter on BigQuery):
    the check covers all eight, and the models that read them (the base
    models) are among the checked SQL."""
    parsed = manifest(emulator_build, "build")
    sources = partitioned_sources(parsed["sources"])
    assert len(sources) == 8
    readers = [node for node in parsed["nodes"].values()
               if node["resource_type"] == "model"
               and any(dep.startswith("source.") for dep in node["depends_on"]["nodes"])]
    assert readers
    for node in readers:
        sql = sql_of(emulator_build, "build", node, "compiled")
        read = [relation for relation in sources if relation.lower() in sql.lower()]
        assert read, node["name"]
        for relation in read:
            assert unfiltered_reads(sql, relation, sources[relation]) == [], node["name"]


def test_data_tests_of_partitioned_tables_filter_partitions(emulator_build: EmulatorBuild) -> None:
    """Generic and singular data tests, on the full build and on the window
    build, filter the partition column of every partitioned table they read."""
    for step in ("build", "window_2"):
        assert unfiltered_reads_of_step(emulator_build, step, "compiled", "test") == [], step


def test_window_build_tests_read_only_the_window(emulator_build: EmulatorBuild) -> None:
    """On an incremental build the data tests of partitioned tables read the
    window's partitions, not the whole history (bytes billed)."""
    nodes = manifest(emulator_build, "window_2")["nodes"]
    partitioned = partitioned_tables(nodes)
    window = f"between date '{WINDOW['start_date']}'"
    checked = 0
    for result in emulator_build.run_results("window_2"):
        node = nodes.get(result["unique_id"])
        if node is None or node["resource_type"] != "test":
            continue
        sql = sql_of(emulator_build, "window_2", node, "compiled").lower()
        if any(relation.lower() in sql for relation in partitioned):
            assert window in sql, node["name"]
            checked += 1
    assert checked >= 100


def test_analyses_filter_partitions(emulator_build: EmulatorBuild) -> None:
    assert unfiltered_reads_of_step(emulator_build, "analyses", "compiled", "analysis") == []
    compiled = [r for r in emulator_build.run_results("analyses")
                if r["unique_id"].startswith("analysis.")]
    assert len(compiled) >= 3


def test_contract_types_are_bigquery_types(emulator_build: EmulatorBuild) -> None:
    """dbt sends contract types verbatim to BigQuery (`create table t (c type)`);
    the emulator translates DuckDB names, BigQuery rejects them."""
    nodes = manifest(emulator_build, "build")["nodes"]
    wrong = [
        f"{node['name']}.{column['name']}: {column['data_type']}"
        for node in nodes.values()
        if node["resource_type"] == "model" and node["config"].get("contract", {}).get("enforced")
        for column in node["columns"].values()
        if not BIGQUERY_TYPE.match((column.get("data_type") or "").strip())
    ]
    assert wrong == []
