"""The project's files cite only files inside the repository: no path outside
it, no design notes its users do not have, no issue numbers. Each rule is
stated in the project's own docs (docs/*.md) and cited from there."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OUTSIDE_REFERENCES = re.compile(
    # (split so that this file does not match itself)
    r"shared" r"/spec|/wo" r"rk/|quality-and-gating\.md|python-layer\.md|production-raw\.md"
    r"|raw-data\.md|style\.md|\bissues? #?[0-9]+\b", re.IGNORECASE)


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    skipped = (".png", ".jpg", ".duckdb", ".lock", ".parquet")
    return [ROOT / name for name in listed
            if not name.endswith(skipped) and name != "tests_py/test_docs_stand_alone.py"]


def test_no_reference_points_outside_the_repository() -> None:
    found = []
    for path in tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE_REFERENCES.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert found == []
