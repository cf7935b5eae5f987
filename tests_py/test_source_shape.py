"""The source-shape check (`dbt run-operation check_source_shape`,
macros/source_shape) on a generated sample: it passes as generated and with
extra columns, and a dropped column, a retyped column or a missing table
each fail it with a line naming the table and column.

Real DuckDB, real dbt: each case changes a fresh copy of one generated
`small` sample, always at the same path (so every run after the first
reuses dbt's partial parse), and runs the operation.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from conftest import run_dbt, run_nba_fs


@dataclass(frozen=True)
class ShapeCase:
    name: str
    # DDL run on the raw schema of the copy before the check
    statements: tuple[str, ...]
    passes: bool
    # lines the check must print (substrings), each naming table and column
    expected_lines: tuple[str, ...] = ()


CASES = [
    ShapeCase("as_generated", (), True),
    ShapeCase(
        "extra_columns",
        ("alter table nba_raw.nbac_schedule add column venue_name varchar",
         "alter table nba_raw.nbac_gamebook_player_stats add column br_team_abbr_used varchar"),
        True,
    ),
    ShapeCase(
        "dropped_column",
        ("alter table nba_raw.nbac_gamebook_player_stats drop column minutes",),
        False,
        ("nba_raw.nbac_gamebook_player_stats.minutes: column missing (expected VARCHAR)",),
    ),
    ShapeCase(
        "retyped_column",
        ("alter table nba_raw.nbac_team_boxscore alter column points type varchar",),
        False,
        ("nba_raw.nbac_team_boxscore.points: expected BIGINT, found VARCHAR",),
    ),
    ShapeCase(
        "missing_table",
        ("drop table nba_raw.espn_team_rosters",),
        False,
        ("nba_raw.espn_team_rosters: table missing",),
    ),
    ShapeCase(
        "several_problems",
        ("alter table nba_raw.nbac_injury_report drop column injury_status",
         "alter table nba_raw.nbac_schedule alter column game_date_est type timestamptz"),
        False,
        ("nba_raw.nbac_injury_report.injury_status: column missing (expected VARCHAR)",
         "nba_raw.nbac_schedule.game_date_est: expected TIMESTAMP, found TIMESTAMP WITH TIME ZONE"),
    ),
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A generated (not built) small sample: (pristine file, work dir)."""
    work = tmp_path_factory.mktemp("source_shape")
    pristine = work / "pristine.duckdb"
    run_nba_fs(["generate", "--db", str(pristine), "--preset", "small"], db=pristine, work=work)
    return pristine, work


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_source_shape(sample: tuple[Path, Path], case: ShapeCase) -> None:
    pristine, work = sample
    db = work / "nba.duckdb"
    shutil.copyfile(pristine, db)
    with duckdb.connect(str(db)) as con:
        for statement in case.statements:
            con.execute(statement)
    result = run_dbt(["run-operation", "check_source_shape"], db=db, work=work, check=False)
    output = result.stdout + result.stderr
    problems = [line for line in output.splitlines() if line.startswith("source shape: nba_raw.")]
    if case.passes:
        assert result.returncode == 0, output[-4000:]
        assert problems == [], problems
        assert "match models/staging/_sources.yml" in output
        return
    assert result.returncode != 0, output[-4000:]
    for expected in case.expected_lines:
        assert any(expected in line for line in problems), (expected, problems)
    # one line per problem, nothing else reported
    assert len(problems) == len(case.expected_lines), problems
