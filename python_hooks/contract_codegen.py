"""Write the per-feature copies of the feature contract from the contract.

The 39 features are defined once, in var `feature_contract` of
dbt_project.yml (read here through python_hooks.contract). Their per-feature
column entries in the dbt properties files and the feature table of
docs/features.md are generated between two marker lines:

    # >>> generated from var feature_contract by python -m python_hooks.contract_codegen: do not edit
    ...
    # <<< generated

(HTML comments in Markdown). Everything outside the markers is hand-written
and kept as is. The generated lines take the indentation of the opening
marker.

    python -m python_hooks.contract_codegen          rewrite the blocks
    python -m python_hooks.contract_codegen --check  exit 1 if one is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import yaml

from python_hooks import contract

COMMAND = "python -m python_hooks.contract_codegen"
BEGIN_TEXT = f">>> generated from var feature_contract by {COMMAND}: do not edit"
END_TEXT = "<<< generated"


class CodegenError(Exception):
    """A target file cannot be generated (no markers, invalid result)."""


@dataclass(frozen=True)
class Target:
    path: str
    render: Callable[[], list[str]]
    # comment syntax of the marker lines
    prefix: str = "# "
    suffix: str = ""
    # the whole file must still load as YAML (anchors defined before use)
    check_yaml: bool = True

    def begin(self) -> str:
        return f"{self.prefix}{BEGIN_TEXT}{self.suffix}"

    def end(self) -> str:
        return f"{self.prefix}{END_TEXT}{self.suffix}"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (descriptions contain ': '); JSON's
    escaping is valid YAML."""
    return json.dumps(text)


def _number(value: float) -> str:
    return repr(float(value))


def _canonical_labels() -> list[str]:
    """Canonical source labels, in the order var canonical_sources names them."""
    labels: list[str] = []
    for label in contract.threshold("canonical_sources").values():
        if label not in labels:
            labels.append(label)
    return labels


def feature_store_columns() -> list[str]:
    """feature_<i>_value / _source / _quality of ml_feature_store_v2. Types
    are the anchors defined above the block (the file's header says why);
    NOT NULL is a constraint of the enforced model contract, not a test."""
    canonical = ", ".join(_canonical_labels())
    names = contract.feature_names()
    lines: list[str] = []
    for f in contract.features():
        head = f"Feature {f.index} ({f.name})"
        value = "the value, NULL when the feature is a default"
        if f.stand_in:
            value += (f" (source {f.source_absent}: the vector then carries its stand-in, "
                      f"feature {names.index(f.stand_in)} ({f.stand_in}))")
        entries = (
            ("value", "*float_type", f"{value}.", False),
            ("source", "*string_type", f"canonical source ({canonical}).", True),
            ("quality", "*float_type",
             "quality weight of its raw source (var quality_weights).", True),
        )
        for part, data_type, text, not_null in entries:
            lines += [
                f"- name: feature_{f.index}_{part}",
                f"  data_type: {data_type}",
                f"  description: {_quoted(f'{head}: {text}')}",
            ]
            if not_null:
                lines += ["  constraints:", "  - type: not_null"]
    return lines


def computed_columns() -> list[str]:
    """f<i>_value / f<i>_raw_source of int_player_features_computed."""
    by_name = {f.name: f for f in contract.features()}
    lines: list[str] = []
    for f in contract.features():
        if f.stand_in:
            stand_in = by_name[f.stand_in]
            carries = (f"source {f.source_absent}: the vector carries feature "
                       f"{stand_in.index} ({stand_in.name}), or {_number(f.default)} "
                       "when that is a default too")
        else:
            carries = f"vector carries {_number(f.default)}"
        absent = f.source_absent or "never (always computed)"
        lines += [
            f"- name: f{f.index}_value",
            f"  description: {_quoted(f'Feature {f.index} ({f.name}); NULL when absent ({carries}).')}",
            f"- name: f{f.index}_raw_source",
            "  description: " + _quoted(
                f"Raw source of feature {f.index}: {f.source_present} when present; "
                f"absent: {absent}."),
        ]
    return lines


def features_table() -> list[str]:
    """The Markdown table of the contract in docs/features.md."""
    names = contract.feature_names()
    lines = [
        "| index | name | category | source present / absent | default | optional "
        "| upstream | stand-in |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in contract.features():
        absent = f.source_absent or "(never absent)"
        stand_in = f"{f.stand_in} ({names.index(f.stand_in)})" if f.stand_in else "-"
        optional = "yes" if f.optional else "no"
        upstream = f.upstream or "-"
        lines.append(f"| {f.index} | {f.name} | {f.category} | {f.source_present} / {absent} "
                     f"| {_number(f.default)} | {optional} | {upstream} | {stand_in} |")
    return lines


TARGETS = (
    Target("models/feature_store/_feature_store.yml", feature_store_columns),
    Target("models/feature_store/intermediate/int_player_features_computed.yml",
           computed_columns),
    Target("docs/features.md", features_table, prefix="<!-- ", suffix=" -->", check_yaml=False),
)


def regenerate(target: Target, text: str) -> str:
    """`text` with its generated block rewritten from the contract."""
    lines = text.splitlines(keepends=True)
    stripped = [line.strip() for line in lines]
    begins = [i for i, line in enumerate(stripped) if line == target.begin()]
    ends = [i for i, line in enumerate(stripped) if line == target.end()]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise CodegenError(
            f"{target.path}: needs one '{target.begin()}' line and one "
            f"'{target.end()}' line after it")
    begin, end = begins[0], ends[0]
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    block = [f"{indent}{line}\n" if line else "\n" for line in target.render()]
    result = "".join(lines[: begin + 1] + block + lines[end:])
    if target.check_yaml:
        try:
            yaml.safe_load(result)
        except yaml.YAMLError as error:
            first = str(error).splitlines()[0]
            raise CodegenError(f"{target.path}: generated YAML does not load ({first})") from None
    return result


def run(root: Path, check: bool, targets: Sequence[Target] = TARGETS) -> list[str]:
    """Regenerate (or, with check, only compare) every target under `root`.
    Returns one problem line per stale or broken file."""
    problems = []
    for target in targets:
        path = root / target.path
        try:
            text = path.read_text()
            fresh = regenerate(target, text)
        except (OSError, CodegenError) as error:
            problems.append(str(error))
            continue
        if fresh == text:
            continue
        if check:
            problems.append(f"{target.path} is stale: run `{COMMAND}` to regenerate it")
        else:
            path.write_text(fresh)
            print(f"rewrote {target.path}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=COMMAND, description="Rewrite the files generated from var feature_contract.")
    parser.add_argument("--check", action="store_true",
                        help="only verify the generated blocks are fresh (exit 1 if not)")
    parser.add_argument("--root", type=Path, default=contract.PROJECT_ROOT,
                        help="project directory holding the files (default: this repository)")
    args = parser.parse_args(argv)
    problems = run(args.root, args.check)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
