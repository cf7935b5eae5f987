"""One entry point, `nba-fs`, with a subcommand per operational task.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; modules are imported lazily so `nba-fs generate` does not
pay for importing dbt or Google libraries.
"""

from __future__ import annotations

import argparse
import importlib
import sys

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
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args._module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
