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

DEMO_DB := warehouse/nba.duckdb
CI_DB := warehouse/ci.duckdb

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
	NBA_DUCKDB_PATH=$(DEMO_DB) $(BIN)/dbt build --target dev --full-refresh
	$(BIN)/nba-fs summary --db $(DEMO_DB)

## test: pytest (unit + real dbt builds), dbt build on a generated sample, lint
test: setup ci-warehouse pytest lint

ci-warehouse: setup
	rm -f $(CI_DB)
	$(BIN)/nba-fs generate --db $(CI_DB) --preset default
	NBA_DUCKDB_PATH=$(CI_DB) $(BIN)/dbt build --target ci --full-refresh

pytest: setup
	NBA_CI_WAREHOUSE=$(CURDIR)/$(CI_DB) $(BIN)/pytest

# The dbt templater opens the profile's DuckDB file; lint needs no data.
lint: setup
	NBA_DUCKDB_PATH=:memory: DBT_TARGET_PATH=target/sqlfluff $(BIN)/sqlfluff lint models macros analyses tests

clean:
	rm -rf target logs warehouse/*.duckdb warehouse/*.wal
