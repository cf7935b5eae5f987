"""One entry point, `nba-fs`, with a subcommand per operational task.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; modules are imported lazily so `nba-fs generate` does not
pay for importing dbt or Google libraries.

Shared here, once: ``--verbose`` / ``--quiet`` on every subcommand (the log
level), and the errors an operator can fix - a warehouse that cannot be opened
(``warehouse.WarehouseUnavailable``) or a run date that cannot be read
(``clock.ClockError``) - reported as one line on stderr with exit status 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from python_hooks import clock, options
from python_hooks.warehouse import WarehouseUnavailable

EXIT_UNAVAILABLE = 2

# subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("python_hooks.sample_data.cli", "generate the sample raw data into a DuckDB file"),
    "summary": ("python_hooks.summary", "print what the warehouse holds and what to query next"),
    "dispatch": ("python_hooks.dispatch", "gate quality-ready players and dispatch prediction requests"),
    "worker": ("python_hooks.worker", "run the prediction worker (HTTP endpoint)"),
    "alerts": ("python_hooks.alerts", "evaluate monitoring models and send alerts"),
    "backfill": ("python_hooks.backfill", "rebuild a range of game dates through dbt"),
    "drift": ("python_hooks.drift", "compare deployed models with the project"),
    "report": ("python_hooks.report", "write a self-contained HTML quality report for a date range"),
    "publish": ("python_hooks.publish", "publish a read-only copy of the DuckDB warehouse for analysts"),
    "replay": ("python_hooks.replay", "run production days again on the data as it stood each day"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nba-fs", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # A subcommand whose module is not present is simply not offered.
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        # A module may define its own --quiet/--verbose (the worker's --quiet):
        # its definition then replaces the shared one ("resolve").
        sub_parser = sub.add_parser(name, help=help_text, description=help_text,
                                    conflict_handler="resolve")
        options.add_logging_options(sub_parser)
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    options.configure_logging(args)
    try:
        return int(args._module.run(args) or 0)
    except (WarehouseUnavailable, clock.ClockError) as exc:
        logging.getLogger("nba_fs").debug("%s failed", args.command, exc_info=True)
        print(f"nba-fs {args.command}: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
