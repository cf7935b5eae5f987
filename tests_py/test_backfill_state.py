"""Backfill resume state belongs to one target and one warehouse: the same dates
on another target or a rebuilt warehouse are rebuilt, not "already done"."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from python_hooks import backfill, cli

DATES = [dt.date(2021, 11, 2), dt.date(2021, 11, 3), dt.date(2021, 11, 4)]


def make_warehouse(path: Path) -> None:
    """The few tables a --skip-preflight backfill reads."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    for schema in ("nba_staging", "nba_predictions", "nba_monitoring"):
        con.execute(f"create schema {schema}")
    con.execute("create table nba_staging.stg_nba_raw__schedule as select * from (values "
                + ", ".join(f"(date '{d}', 'regular', 'final')" for d in DATES)
                + ") as t(game_date, game_type, game_status)")
    con.execute("create table nba_predictions.ml_feature_store_v2 as select * from (values "
                + ", ".join(f"(date '{d}')" for d in DATES) + ") as t(game_date)")
    con.execute("create table nba_monitoring.daily_quality_counts as select * from (values "
                + ", ".join(f"(date '{d}', 1, 1, 100.0)" for d in DATES)
                + ") as t(game_date, total_records, quality_ready, pct_ready)")
    con.close()


WINDOW_ENV = ("NBA_WINDOW_START", "NBA_WINDOW_END")


class Calls(list):
    """dbt invocations that ran nodes; ``parses``: the parses."""

    def __init__(self) -> None:
        super().__init__()
        self.parses: list[list[str]] = []


@pytest.fixture
def fake_dbt(monkeypatch):
    """dbt's runner, recording each invocation but the parse (the project is
    parsed once per command, then every chunk reuses the manifest: the
    runner is given it, and the chunk's window is in the environment)."""
    calls = Calls()
    parses = calls.parses

    class Runner:
        def __init__(self, *args, **kwargs) -> None:
            self.manifest = kwargs.get("manifest")

        def invoke(self, args):
            if args[0] == "parse":
                assert self.manifest is None
                parses.append(list(args))
                return SimpleNamespace(success=True, exception=None, result="manifest")
            assert self.manifest == "manifest", "a chunk re-parsed the project"
            calls.append([*args, "ENV", *(f"{n}={os.environ.get(n)}" for n in WINDOW_ENV)])
            return SimpleNamespace(success=True, exception=None, result=None)

    import dbt.cli.main

    monkeypatch.setattr(dbt.cli.main, "dbtRunner", Runner)
    return calls


def run(db: Path, state: Path, *extra: str, capsys) -> str:
    args = cli.build_parser().parse_args([
        "backfill", "--start-date", "2021-11-02", "--end-date", "2021-11-04", "--db", str(db),
        "--state-dir", str(state), "--skip-preflight", "--today", "2022-01-01", *extra])
    assert backfill.run(args) == 0
    captured = capsys.readouterr()
    return captured.out + captured.err


def test_state_is_keyed_on_target_and_warehouse_identity(tmp_path, fake_dbt, capsys):
    db, state = tmp_path / "nba.duckdb", tmp_path / "state"
    make_warehouse(db)
    run(db, state, capsys=capsys)
    assert len(fake_dbt) == 1
    assert "already done" in run(db, state, capsys=capsys) and len(fake_dbt) == 1

    out = run(db, state, "--target", "ci", capsys=capsys)  # another target: not done there
    assert "already done" not in out and len(fake_dbt) == 2
    assert "--target" in fake_dbt[-1] and "ci" in fake_dbt[-1]

    make_warehouse(db)  # rebuilt from scratch: nothing of it is backfilled yet
    out = run(db, state, capsys=capsys)
    assert "already done" not in out and len(fake_dbt) == 3

    args = cli.build_parser().parse_args(
        ["backfill", "--status", "--db", str(db), "--state-dir", str(state)])
    backfill.run(args)
    status = capsys.readouterr().out
    assert "superseded" in status and "(this one)" in status
    assert str(db.resolve()) in status and " ci " in status


def test_db_reaches_dbt(tmp_path, fake_dbt, capsys, monkeypatch):
    """dbt builds the warehouse the command was given, not NBA_DUCKDB_PATH's."""
    seen: list[str | None] = []

    class Runner:
        def __init__(self, *a, **k) -> None:
            pass

        def invoke(self, args):
            seen.append(os.environ.get("NBA_DUCKDB_PATH"))
            return SimpleNamespace(success=True, exception=None, result=None)

    import dbt.cli.main

    monkeypatch.setattr(dbt.cli.main, "dbtRunner", Runner)
    monkeypatch.setenv("NBA_DUCKDB_PATH", str(tmp_path / "other.duckdb"))
    db = tmp_path / "nba.duckdb"
    make_warehouse(db)
    run(db, tmp_path / "state", capsys=capsys)
    assert seen == [str(db.resolve())] * 2  # the parse, then the one chunk


def test_vars_reach_dbt_with_the_chunk_window(tmp_path, fake_dbt, capsys):
    import json

    db = tmp_path / "nba.duckdb"
    make_warehouse(db)
    run(db, tmp_path / "state", "--vars", "{min_history_games: 5}", capsys=capsys)
    (args,) = fake_dbt
    (parse,) = fake_dbt.parses
    for invoked in (args, parse):  # vars are parsed into the manifest: the same on both
        assert json.loads(invoked[invoked.index("--vars") + 1]) == {"min_history_games": 5}
    assert args[args.index("ENV") + 1:] == ["NBA_WINDOW_START=2021-11-02",
                                            "NBA_WINDOW_END=2021-11-04"]
    assert os.environ.get("NBA_WINDOW_START") is None  # set only while dbt ran


def test_one_parse_for_every_chunk_and_the_window_wins_over_vars(tmp_path, fake_dbt, capsys):
    db = tmp_path / "nba.duckdb"
    make_warehouse(db)
    run(db, tmp_path / "state", "--chunk-days", "1",
        "--vars", "{start_date: 2020-01-01, end_date: 2020-01-02}", capsys=capsys)
    assert len(fake_dbt.parses) == 1 and len(fake_dbt) == len(DATES)
    for day, args in zip(DATES, fake_dbt):
        assert "--vars" not in args  # a start_date var would hide the chunk's window
        assert args[args.index("ENV") + 1:] == [f"NBA_WINDOW_START={day}", f"NBA_WINDOW_END={day}"]
    assert "--vars" not in fake_dbt.parses[0]
