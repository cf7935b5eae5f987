"""Command-line options every `nba-fs` subcommand shares, defined once.

Dates use the one grammar of :mod:`python_hooks.clock` (today, yesterday,
tomorrow or YYYY-MM-DD, from the one run date); ``--db`` has one meaning and
one help text everywhere; ``--verbose`` / ``--quiet`` set the log level of
every command; ``--vars`` overrides dbt_project.yml vars for dbt and for the
Python layer alike (one mechanism, one set of names).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from typing import Any

import yaml

from python_hooks import clock, contract

DB_HELP = "DuckDB warehouse file (default: NBA_DUCKDB_PATH, else warehouse/nba.duckdb)"
DATE_HELP = "today, yesterday, tomorrow (from the run date) or YYYY-MM-DD"
VARS_HELP = ("override dbt_project.yml vars, as dbt's --vars takes them (YAML or JSON, e.g."
             " '{gate_pct_ready_warn_below: 75}'); applied to the Python layer's thresholds and"
             " passed to every dbt invocation of the command")


def parse_date(value: str) -> dt.date:
    """argparse type for a date in the one grammar; a bad value is a usage error."""
    try:
        return clock.resolve_date(value)
    except clock.ClockError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_dates(value: str) -> list[dt.date]:
    """argparse type for a comma-separated list of dates in the one grammar."""
    return [parse_date(part.strip()) for part in value.split(",") if part.strip()]


def positive_int(value: str) -> int:
    """argparse type for a count of at least 1; anything else is a usage error."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return number


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, help=DB_HELP)


def add_date_option(parser: argparse.ArgumentParser, *flags: str, default: str | None = None,
                    help: str | None = None) -> None:
    """A date option (``--date``, ``--start-date``...) in the one grammar.
    A string default is resolved when the command runs, like a typed value."""
    parser.add_argument(*flags, type=parse_date, default=default,
                        help=f"{help + ': ' if help else ''}{DATE_HELP}")


def parse_vars(text: str) -> dict[str, Any]:
    """argparse type of ``--vars``: a mapping of names dbt_project.yml defines."""
    try:
        value = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise argparse.ArgumentTypeError(f"--vars is not YAML/JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("--vars takes a mapping, e.g. '{name: value}'")
    unknown = sorted(str(name) for name in value if name not in contract.project_vars())
    if unknown:
        raise argparse.ArgumentTypeError(
            f"dbt_project.yml defines no var named {', '.join(unknown)}")
    return value


def add_vars_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vars", type=parse_vars, default={}, metavar="MAPPING", help=VARS_HELP)


def add_logging_options(parser: argparse.ArgumentParser) -> None:
    """``--verbose`` / ``--quiet``: the log level (diagnostics go to stderr;
    a command's summary is its output and stays on stdout)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--verbose", "-v", action="store_true",
                       help="more detail: debug log lines (and per-item listings)")
    group.add_argument("--quiet", "-q", action="store_true",
                       help="only warnings and errors on stderr")


def configure_logging(args: argparse.Namespace) -> None:
    level = logging.INFO
    if getattr(args, "verbose", False):
        level = logging.DEBUG
    elif getattr(args, "quiet", False):
        level = logging.WARNING
    root = logging.getLogger("nba_fs")
    root.setLevel(level)
    if not any(getattr(h, "_nba_fs", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler._nba_fs = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.propagate = False
    for existing in root.handlers:
        # Follow sys.stderr when it was replaced (tests capture it). Assign
        # instead of setStream, which flushes the old stream, maybe closed.
        # (_nba_fs marks the StreamHandler added above.)
        if (getattr(existing, "_nba_fs", False) and isinstance(existing, logging.StreamHandler)
                and existing.stream is not sys.stderr):
            existing.stream = sys.stderr
