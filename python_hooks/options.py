"""Command-line options every `nba-fs` subcommand shares, defined once.

Dates use the one grammar of :mod:`python_hooks.clock` (today, yesterday,
tomorrow or YYYY-MM-DD, from the one run date); ``--db`` has one meaning and
one help text everywhere.
"""

from __future__ import annotations

import argparse
import datetime as dt

from python_hooks import clock

DB_HELP = "DuckDB warehouse file (default: NBA_DUCKDB_PATH, else warehouse/nba.duckdb)"
DATE_HELP = "today, yesterday, tomorrow (from the run date) or YYYY-MM-DD"


def parse_date(value: str) -> dt.date:
    """argparse type for a date in the one grammar; a bad value is a usage error."""
    try:
        return clock.resolve_date(value)
    except clock.ClockError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, help=DB_HELP)


def add_date_option(parser: argparse.ArgumentParser, *flags: str, default: str | None = None,
                    help: str | None = None) -> None:
    """A date option (``--date``, ``--start-date``...) in the one grammar.
    A string default is resolved when the command runs, like a typed value."""
    parser.add_argument(*flags, type=parse_date, default=default,
                        help=f"{help + ': ' if help else ''}{DATE_HELP}")
