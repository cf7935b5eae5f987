# Two commands matter: `make demo` (set up + build the embedded warehouse) and
# `make test` (everything that checks the project). Both work on a machine
# with only Python (3.11, 3.12 or 3.13) and make. `make help` lists the
# targets (from the `## target: description` comments below).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# Another supported Python: `make test-fast PYTHON=python3.12` (recreates
# .venv for it; add VENV=.venv-3.12 to keep the default one).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
ifeq ($(PY_VERSION),)
$(error PYTHON=$(PYTHON) does not run: give a Python 3.11-3.13 interpreter's path)
endif
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(PY_VERSION)
export DBT_PROFILES_DIR := $(CURDIR)

# The one clock (python_hooks/clock.py): builds of the sample run as of the
# sample's own date (its preset's as-of), so its scheduled games are today's
# and tomorrow's whatever the machine's date. Read when a recipe runs.
SAMPLE_RUN_DATE = $(shell $(BIN)/python -c "from python_hooks.sample_data.generator import PRESETS; print(PRESETS['default']['as_of'])")

DEMO_DB := warehouse/nba.duckdb
CI_DB := warehouse/ci.duckdb
# A full-history build judges every date of every season with the gating
# tests, including the odds outages the sample injects on purpose and the
# 2021-22 season that has no prior season behind it. Gates report those as
# warnings here; daily and backfill runs judge their window with `error`.
FULL_BUILD_VARS := --vars '{gate_severity: warn}'
# Before every build: the warehouse's raw tables must match
# models/staging/_sources.yml (macros/source_shape); a missing table or a
# column of another type stops here with one line per problem. Same vars as
# the build that follows, so that build reuses its partial parse.
SHAPE_CHECK := $(BIN)/dbt run-operation check_source_shape

.PHONY: demo test test-fast setup sample build summary lint lint-changed pytest pytest-fast \
	dbt-unit ci-warehouse ci-pytest clean help

## help: list the targets with what they do
help:
	@awk '/^## [A-Za-z0-9_-]+: / { sub(/^## /, ""); name = $$0; sub(/:.*/, "", name); \
	        sub(/^[^:]*: /, ""); printf "  %-14s %s\n", name, $$0; entry = 1; next } \
	      /^## / && entry { sub(/^## /, ""); printf "  %-14s %s\n", "", $$0; next } \
	      { entry = 0 }' $(MAKEFILE_LIST)

## setup: create .venv (VENV) with PYTHON and install the project with its dev extras
setup: $(STAMP)

# A venv of another Python version is replaced, not upgraded in place.
$(STAMP): pyproject.toml
	if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$(PY_VERSION)" ]; then \
		rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,pubsub]"
	touch $(STAMP)

## demo: create .venv, generate the default sample, dbt build it, print a summary
demo: setup
	$(BIN)/nba-fs generate --db $(DEMO_DB) --preset default
	NBA_DUCKDB_PATH=$(DEMO_DB) $(SHAPE_CHECK) --target dev $(FULL_BUILD_VARS)
	NBA_RUN_DATE=$(SAMPLE_RUN_DATE) NBA_DUCKDB_PATH=$(DEMO_DB) $(BIN)/dbt build --target dev --full-refresh $(FULL_BUILD_VARS)
	NBA_RUN_DATE=$(SAMPLE_RUN_DATE) $(BIN)/nba-fs publish --db $(DEMO_DB) --run-results target/run_results.json
	NBA_RUN_DATE=$(SAMPLE_RUN_DATE) $(BIN)/nba-fs summary --db $(DEMO_DB)

## test: dbt build on the default sample, pytest on both cores (unit tests,
## real dbt builds, the BigQuery emulator build with its parity and partition
## checks) and, alongside, lint of every file
test: setup setup-bq
	$(MAKE) --no-print-directory -j2 --output-sync=target ci-pytest lint

## test-fast: the edit loop (under 2 min): pytest without the tests marked
## dbt, and dbt's unit tests on empty upstream relations, side by side
test-fast: setup
	$(MAKE) --no-print-directory -j2 --output-sync=target pytest-fast dbt-unit

## ci-warehouse: generate the default sample and dbt build it into warehouse/ci.duckdb
ci-warehouse: setup
	rm -f $(CI_DB)
	$(BIN)/nba-fs generate --db $(CI_DB) --preset default
	NBA_DUCKDB_PATH=$(CI_DB) $(SHAPE_CHECK) --target ci $(FULL_BUILD_VARS)
	NBA_RUN_DATE=$(SAMPLE_RUN_DATE) NBA_DUCKDB_PATH=$(CI_DB) $(BIN)/dbt build --target ci --full-refresh $(FULL_BUILD_VARS)

# pytest-xdist: PYTEST_WORKERS processes (auto: one per core). Each test
# module is one unit of work (its module fixtures run once), handed out in
# the order tests_py/conftest.py sorts them (longest first, emulator tests
# last), so --no-loadscope-reorder. (--dist loadgroup would not group:
# xdist 3.8 cannot rename pytest 9's node ids.)
PYTEST_WORKERS ?= auto
XDIST := -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

PYTEST_ALL = NBA_CI_WAREHOUSE=$(abspath $(CI_DB)) NBA_BQEMU_TESTS=1 NBA_BQEMU_VENV=$(CURDIR)/$(BQ_VENV) \
	$(BIN)/pytest $(XDIST)

## pytest: the whole pytest suite on the CI warehouse (`make ci-warehouse`
## first). The BigQuery emulator build starts in the background when pytest
## has collected its tests (tests_py/bigquery_fixtures.py) and overlaps the rest
pytest: setup setup-bq
	$(PYTEST_ALL)

# `make test`'s: the CI warehouse, then pytest (lint runs alongside)
ci-pytest: setup setup-bq ci-warehouse
	$(PYTEST_ALL)

## pytest-fast: the pytest tests not marked dbt (see tests_py/conftest.py)
pytest-fast: setup
	$(BIN)/pytest $(XDIST) -m "not dbt"

# dbt unit tests need their input relations to exist (dbt reads their
# columns): the small sample's raw tables, every model built with --empty
# (zero rows, so seconds), then the unit tests, in one `dbt build`. The run
# date is the CI build's, as in `make test`. Partial parsing kept in target/unit.
UNIT_DB ?= warehouse/unit.duckdb
UNIT_TARGET ?= target/unit
UNIT_DBT = NBA_RUN_DATE=$(SAMPLE_RUN_DATE) NBA_DUCKDB_PATH=$(UNIT_DB) DBT_TARGET_PATH=$(UNIT_TARGET)

$(UNIT_DB): $(wildcard python_hooks/sample_data/*.py) | setup
	rm -f $@
	$(BIN)/nba-fs generate --db $@ --preset small

## dbt-unit: dbt's unit tests alone (part of `make test-fast`; `make test`
## runs them in its full build)
dbt-unit: setup $(UNIT_DB)
	$(UNIT_DBT) $(SHAPE_CHECK) --target ci
	$(UNIT_DBT) $(BIN)/dbt build --target ci --empty --full-refresh \
		--resource-type model --resource-type seed --resource-type unit_test

# The dbt templater opens the profile's DuckDB file; lint needs no data.
SQLFLUFF := NBA_DUCKDB_PATH=:memory: DBT_TARGET_PATH=target/sqlfluff $(BIN)/sqlfluff lint --processes 2
LINT_DIRS := models analyses tests/singular
## lint: ruff and mypy on the Python, sqlfluff (dbt templater) on every SQL file,
## the contract-generated files fresh, dbt-score above its floor
lint: setup
	$(BIN)/ruff check python_hooks tests_py bench
	$(BIN)/mypy python_hooks
	$(BIN)/python -m python_hooks.contract_codegen --check
	$(SQLFLUFF) $(LINT_DIRS)
	$(MAKE) --no-print-directory score

.PHONY: generate
## generate: rewrite the files generated from the feature contract
generate: setup
	$(BIN)/python -m python_hooks.contract_codegen

# dbt-score rates the project's metadata (descriptions, owners, tests,
# model size); lint fails below DBT_SCORE_FLOOR.
DBT_SCORE_FLOOR ?= 9.5
.PHONY: score
## score: dbt-score of the project's metadata, failing below DBT_SCORE_FLOOR
score: setup
	NBA_DUCKDB_PATH=:memory: DBT_TARGET_PATH=target/dbt-score $(BIN)/dbt parse --quiet
	$(BIN)/dbt-score lint --manifest target/dbt-score/manifest.json --fail-project-under $(DBT_SCORE_FLOOR) > target/dbt-score/report.txt \
		|| { tail -n 40 target/dbt-score/report.txt; exit 1; }
	tail -n 1 target/dbt-score/report.txt

# Changed: differs from LINT_BASE (origin/main's merge base when there is
# one, else HEAD) in the work tree, or is new and not ignored.
LINT_BASE ?= $(shell git merge-base HEAD origin/main 2>/dev/null || echo HEAD)
## lint-changed: the edit loop's lint: ruff on the Python, sqlfluff only on
## the SQL files changed against LINT_BASE (`make test` lints everything)
lint-changed: setup
	$(BIN)/ruff check python_hooks tests_py bench
	files="$$( { git diff --name-only --diff-filter=d $(LINT_BASE) -- $(LINT_DIRS); \
		git ls-files --others --exclude-standard -- $(LINT_DIRS); } | grep '\.sql$$' | sort -u)"; \
	if [ -z "$$files" ]; then echo "lint-changed: no SQL file changed against $(LINT_BASE)"; \
	else $(SQLFLUFF) $$files; fi

## clean: remove dbt's target/ and logs/ and the warehouse files
clean:
	rm -rf target logs warehouse/*.duckdb warehouse/*.wal

# ---------------------------------------------------------------------------
# BigQuery emulator. The emulator server (bqemulator) needs DuckDB
# 1.5.5 (the last release with an offline spatial-extension wheel), which
# cannot share .venv (duckdb 2.0.1), so it gets its own environment. dbt
# (dbt-bigquery), the loader and the tests run from .venv as usual.
# HOME points into .venv-bq so the extension lands in a folder we control.
# ---------------------------------------------------------------------------
BQ_VENV := .venv-bq
BQ_STAMP := $(BQ_VENV)/.installed
BQ_HOME := $(CURDIR)/$(BQ_VENV)/home

.PHONY: setup-bq test-bigquery

# The emulator's environment keeps the default Python whatever PYTHON says.
BQ_PYTHON ?= $(shell command -v python3.11 || command -v python3)

## setup-bq: create .venv-bq, the BigQuery emulator's own environment
setup-bq: $(BQ_STAMP)

$(BQ_STAMP): bigquery_emulator/requirements.txt
	$(BQ_PYTHON) -m venv $(BQ_VENV)
	$(BQ_VENV)/bin/pip install --quiet --upgrade pip
	$(BQ_VENV)/bin/pip install --quiet -r bigquery_emulator/requirements.txt
	mkdir -p $(BQ_HOME)
	HOME=$(BQ_HOME) $(BQ_VENV)/bin/python -c "import duckdb, duckdb_extensions; duckdb_extensions.import_extension('spatial', con=duckdb.connect())"
	touch $(BQ_STAMP)

## test-bigquery: only the BigQuery emulator tests (part of `make test`):
## build the small sample on DuckDB and on the emulator (dbt build, an
## incremental window twice), compare them, check partition filters
test-bigquery: setup setup-bq
	NBA_BQEMU_TESTS=1 NBA_BQEMU_VENV=$(CURDIR)/$(BQ_VENV) \
		$(BIN)/pytest -p no:cacheprovider tests_py/test_bigquery_parity.py tests_py/test_partition_filters.py

# ---------------------------------------------------------------------------
# Benchmarks: see docs/benchmarks.md. Prints a table and writes
# bench/results/bench_<UTC time>.json (+ latest.json). Tiers: S (one season),
# M (default preset), L (--scale 10: 21 M odds rows, long). Defaults S,M x 3
# runs took 11 minutes on a loaded 2-core machine; `make bench TIERS=S RUNS=1`
# about 3. SCALING=1 adds cold builds of 1, 2, 4, 8 seasons (about 5 more).
# ---------------------------------------------------------------------------
TIERS ?= S,M
RUNS ?= 3
SCALING ?=

.PHONY: bench

## bench: benchmark cold build, daily run, backfill (and scaling) per tier
bench: setup
	$(BIN)/python bench/bench.py --tiers '$(TIERS)' --runs $(RUNS) $(if $(SCALING),--scaling,)

# The season replay (docs/replay.md): every day of the 2025-26 season, from
# opening night to the finals, run as production ran it, on the CI warehouse
# (built first). Prints a line per day and the invariant counts; the figures
# go in docs/benchmarks.md. REPLAY_START / REPLAY_END pick another range.
# REPLAY_JOBS parts run side by side: the replay is mostly one busy Python
# process (dbt's compile steps), so a second part uses the second core.
REPLAY_START ?= 2025-10-21
REPLAY_END ?= 2026-06-13
REPLAY_JOBS ?= 2
.PHONY: bench-replay

## bench-replay: replay the full 2025-26 season day by day (long)
bench-replay: ci-warehouse
	$(BIN)/nba-fs replay --source $(CI_DB) --target ci \
		--start-date $(REPLAY_START) --end-date $(REPLAY_END) --jobs $(REPLAY_JOBS) \
		--work-dir warehouse/replay_season
