"""The README's commands, run as a new user runs them, in a fresh copy.

Every line of every `bash` block and every `python` block of README.md runs
in a copy of the project's tracked files whose `warehouse/nba.duckdb` is the
default sample built as `make demo` builds it (the CI warehouse), in the
README's order, with the environment its `export` lines set. A command that
is not run here is listed in SKIPPED with the reason and the test that
covers it, so a new command in the README is run unless someone says why not.

Each command must exit 0, or the status listed in EXPECTED_EXIT; the figures
the README prose states are checked against what the commands print (the
dispatch examples' requests, the alerts example's findings, the metric
query's table).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import BIN, ROOT

pytestmark = [pytest.mark.dbt, pytest.mark.timeout(1200)]

README = ROOT / "README.md"

# Lines not run here, by prefix of the command (after `.venv/bin/`), with why.
SKIPPED = {
    "make demo": "the setup itself: the warehouse here is the one it builds",
    "make test": "the whole suite, this test included",
    "make ci-warehouse": "builds the warehouse this test copies",
    "nba-fs replay": "tests_py/test_replay.py replays ten days",
    "nba-fs drift record": "needs the artifacts of the build just finished, not of the backfill"
                           " before it: tests_py/test_drift_record.py",
}
# Commands whose documented exit status is not 0 here, with the README's reason.
EXPECTED_EXIT = {
    "nba-fs drift --verbose": 1,  # nothing recorded on the demo: every model never deployed
    "nba-fs alerts --date today": 1,  # warnings on the sample's last day, nothing critical
    "nba-fs alerts --db warehouse/nba.duckdb --skip-freshness": 2,  # the season's outages
}
# A block that exports one of these talks to BigQuery: run by the emulator
# build (tests_py/test_bigquery_parity.py), not here.
BIGQUERY_EXPORTS = ("NBA_DBT_TARGET=prod",)


@dataclass
class Block:
    language: str
    line: int
    text: str


def readme_blocks() -> list[Block]:
    blocks: list[Block] = []
    language, start, body = None, 0, []
    for number, line in enumerate(README.read_text().splitlines(), 1):
        if line.startswith("```"):
            if language is None:
                language, start, body = line[3:].strip(), number, []
            else:
                blocks.append(Block(language, start, "\n".join(body)))
                language = None
        elif language is not None:
            body.append(line)
    return blocks


def commands(block: Block) -> list[str]:
    """The block's commands: continuations joined, comments dropped."""
    joined = block.text.replace("\\\n", " ")
    out = []
    for line in joined.splitlines():
        line = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if line:
            out.append(line)
    return out


def skip_reason(command: str) -> str | None:
    name = command.removeprefix(".venv/bin/")
    return next((why for prefix, why in SKIPPED.items() if name.startswith(prefix)), None)


def published(output: str) -> int:
    match = re.search(r"dispatched\s+(\d+)\s+published", output)
    assert match, output
    return int(match.group(1))


@pytest.fixture(scope="module")
def fresh_copy(default_warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tracked files, the venv, and the demo's warehouse."""
    copy = tmp_path_factory.mktemp("readme") / "project"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                             capture_output=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    (copy / ".venv").symlink_to(BIN.parent)
    (copy / "warehouse").mkdir(exist_ok=True)
    shutil.copy2(default_warehouse_path, copy / "warehouse" / "nba.duckdb")
    # what `make demo` does after its build: the analysts' read-only copy
    subprocess.run([str(BIN / "nba-fs"), "publish", "--db", "warehouse/nba.duckdb"], cwd=copy,
                   check=True, capture_output=True, env=_copy_env(copy))
    return copy


def _user_env() -> dict[str, str]:
    """A user's shell: none of the suite's NBA_ / dbt path variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NBA_", "DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_PROFILES_DIR"))}
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


def _copy_env(copy: Path) -> dict[str, str]:
    # the venv's editable install points at this checkout: the copy's own
    # package must win, as a clone's does in its own venv
    return _user_env() | {"PYTHONPATH": str(copy)}


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the README's worker did not answer {url}: {log.read_text()}")


@pytest.fixture(scope="module")
def ran(fresh_copy: Path) -> dict[str, str]:
    """Runs every README command in order; the output of each, by command."""
    env = _copy_env(fresh_copy)
    outputs: dict[str, str] = {}
    background: list[subprocess.Popen] = []
    try:
        for block in readme_blocks():
            if block.language == "python":
                result = subprocess.run([str(BIN / "python"), "-c", block.text], cwd=fresh_copy,
                                        env=env, capture_output=True, text=True, timeout=300)
                assert result.returncode == 0, (block.line, result.stderr)
                outputs[f"python@{block.line}"] = result.stdout
                continue
            if block.language != "bash":
                continue
            lines = commands(block)
            if any(any(marker in line for marker in BIGQUERY_EXPORTS) for line in lines):
                continue
            block_env = dict(env)
            for command in lines:
                if command.startswith("export "):
                    for assignment in shlex.split(command)[1:]:
                        name, _, value = assignment.partition("=")
                        block_env[name] = value
                    continue
                if skip_reason(command):
                    continue
                if command.endswith("&"):
                    log = fresh_copy / "background.log"
                    process = subprocess.Popen(
                        command.rstrip("&").strip(), shell=True, cwd=fresh_copy, env=block_env,
                        stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
                    background.append(process)
                    port = re.search(r"--port (\d+)", command)
                    _wait_healthy(f"http://127.0.0.1:{port.group(1) if port else 8080}/healthz",
                                  process, log)
                    continue
                result = subprocess.run(command, shell=True, cwd=fresh_copy, env=block_env,
                                        capture_output=True, text=True, timeout=600)
                expected = next((code for prefix, code in EXPECTED_EXIT.items()
                                 if command.removeprefix(".venv/bin/").startswith(prefix)), 0)
                assert result.returncode == expected, (
                    f"README line {block.line}: `{command}` exited {result.returncode},"
                    f" not {expected}\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
                outputs.setdefault(command, result.stdout)
    finally:
        for process in background:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
    return outputs


def test_every_readme_command_exits_as_documented(ran: dict[str, str]) -> None:
    # the fixture asserts each exit status; here: something of each kind ran
    assert any(c.startswith(".venv/bin/nba-fs dispatch") for c in ran)
    assert any(c.startswith(".venv/bin/dbt") for c in ran)
    assert any(c.startswith("python@") for c in ran)


def test_the_dispatch_examples_publish_what_the_readme_says(ran: dict[str, str]) -> None:
    prose = re.search(r"first dispatch publishes (\d+) requests for\s+(\S+) and the HTTP one"
                      r" (\d+) for (\S+?)\s", README.read_text())
    assert prose, "the README no longer states what the dispatch examples publish"
    local = [out for c, out in ran.items() if c.startswith(".venv/bin/nba-fs dispatch --date today")]
    http = [out for c, out in ran.items() if "--sink http" in c]
    assert local and http
    assert published(local[0]) == int(prose.group(1)), local[0]
    assert published(http[0]) == int(prose.group(3)), http[0]


def test_the_report_and_the_readonly_copy_are_written(ran: dict[str, str],
                                                      fresh_copy: Path) -> None:
    assert (fresh_copy / "warehouse" / "quality_report.html").stat().st_size > 100_000
    assert (fresh_copy / "warehouse" / "nba_readonly.duckdb").exists()


def test_every_skipped_command_still_appears_in_the_readme() -> None:
    """A stale skip would hide nothing, but says the list was not kept."""
    text = README.read_text()
    for prefix in [*SKIPPED, *EXPECTED_EXIT]:
        assert prefix in text, prefix


def test_the_alerts_example_reports_what_the_readme_says(ran: dict[str, str]) -> None:
    text = " ".join(README.read_text().split())
    ready = re.search(r"that ([\d.]+)% of the day's rows are ready", text)
    defaults = re.search(r"the mean default count is ([\d.]+)", text)
    assert ready and defaults, "the README no longer states what the alerts example finds"
    output = next(out for c, out in ran.items() if c.startswith(".venv/bin/nba-fs alerts --date today"))
    assert f"pct ready {ready.group(1)}% is below" in output, output
    assert f"mean default feature count {defaults.group(1)} is above" in output, output
    assert "[CRITICAL]" not in output, output


def test_the_metric_query_prints_the_readme_table(ran: dict[str, str]) -> None:
    """The `text` block after the `mf query` block is that command's output."""
    blocks = readme_blocks()
    at = next(i for i, b in enumerate(blocks) if "mf query" in b.text)
    shown = blocks[at + 1]
    assert shown.language == "text", shown
    output = next(out for c, out in ran.items() if "mf query" in c)
    printed = [line.split() for line in output.splitlines() if line.strip()]
    rows = [line.split() for line in shown.text.splitlines() if line.strip()]
    assert rows and all(row in printed for row in rows), output
