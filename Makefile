# Two commands matter: `make demo` (set up + build the embedded warehouse) and
# `make test` (everything that checks the project). Both work on a machine
# with only Python 3.11 and make.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
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

.PHONY: demo test setup sample build summary lint pytest ci-warehouse clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,pubsub]"
	touch $(STAMP)

## demo: create .venv, generate the default sample, dbt build it, print a summary
demo: setup
	$(BIN)/nba-fs generate --db $(DEMO_DB) --preset default
	NBA_RUN_DATE=$(SAMPLE_RUN_DATE) NBA_DUCKDB_PATH=$(DEMO_DB) $(BIN)/dbt build --target dev --full-refresh $(FULL_BUILD_VARS)
	NBA_RUN_DATE=$(SAMPLE_RUN_DATE) $(BIN)/nba-fs publish --db $(DEMO_DB) --run-results target/run_results.json
	NBA_RUN_DATE=$(SAMPLE_RUN_DATE) $(BIN)/nba-fs summary --db $(DEMO_DB)

## test: dbt build on the default sample, pytest (unit tests, real dbt builds,
## and the BigQuery emulator build with its parity and partition checks), lint
test: setup setup-bq ci-warehouse pytest lint

ci-warehouse: setup
	rm -f $(CI_DB)
	$(BIN)/nba-fs generate --db $(CI_DB) --preset default
	NBA_RUN_DATE=$(SAMPLE_RUN_DATE) NBA_DUCKDB_PATH=$(CI_DB) $(BIN)/dbt build --target ci --full-refresh $(FULL_BUILD_VARS)

# The BigQuery emulator build starts in the background when pytest has
# collected its tests (tests_py/bigquery_fixtures.py) and overlaps the rest.
pytest: setup setup-bq
	NBA_CI_WAREHOUSE=$(CURDIR)/$(CI_DB) NBA_BQEMU_TESTS=1 NBA_BQEMU_VENV=$(CURDIR)/$(BQ_VENV) \
		$(BIN)/pytest

# The dbt templater opens the profile's DuckDB file; lint needs no data.
lint: setup
	$(BIN)/ruff check python_hooks tests_py bench
	NBA_DUCKDB_PATH=:memory: DBT_TARGET_PATH=target/sqlfluff $(BIN)/sqlfluff lint --processes 2 models analyses tests/singular

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

setup-bq: $(BQ_STAMP)

$(BQ_STAMP): bigquery_emulator/requirements.txt
	$(PYTHON) -m venv $(BQ_VENV)
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
REPLAY_START ?= 2025-10-21
REPLAY_END ?= 2026-06-13
.PHONY: bench-replay

## bench-replay: replay the full 2025-26 season day by day (long)
bench-replay: ci-warehouse
	$(BIN)/nba-fs replay --source $(CI_DB) --target ci \
		--start-date $(REPLAY_START) --end-date $(REPLAY_END) --work-dir warehouse/replay_season
