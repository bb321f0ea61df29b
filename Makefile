# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
export SALESOPS_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(SALESOPS_HOME)/dagster_home
SCALE ?= 1
# Let Python cache compiled modules in .venv even where the environment forbids it: without the
# cache every process (pytest, each dbt call) recompiles dagster, dbt and GX, a minute or more here.
unexport PYTHONDONTWRITEBYTECODE
SEED ?= 42

.PHONY: install run demo-data pipeline ui docs test test-postgres test-reliability test-browser test-fast bench bench-forecast clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	$(PYTHON) -m pip install --quiet --user uv

install: $(UV)  ## create .venv with the locked dependencies
	$(UV) sync --frozen --quiet --compile-bytecode  # as pip does: no process pays for compiling dagster, dbt and GX later

dagster-home:
	@mkdir -p $(DAGSTER_HOME)
	@cp orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo-data: install  ## generate the demo company's exports into $(SALESOPS_HOME)/landing
	$(UV) run --frozen python -m demo_company --home $(SALESOPS_HOME) --scale $(SCALE) --seed $(SEED)

pipeline: install dagster-home  ## ingest, build the warehouse, check and forecast
	$(UV) run --frozen python -m orchestration.run --home $(SALESOPS_HOME)

run: demo-data pipeline  ## generate the demo exports and run the whole pipeline

# The UI and the docs server listen on the loopback interface only: nobody else on the network can
# reach them. Set UI_HOST=0.0.0.0 only behind an authenticating proxy (docs/operations.md).
UI_HOST ?= 127.0.0.1
UI_PORT ?= 3000
ui: install dagster-home  ## the Dagster UI on http://$(UI_HOST):$(UI_PORT) (loopback only by default)
	$(UV) run --frozen dagster dev -w workspace.yaml -h $(UI_HOST) -p $(UI_PORT)

DOCS_HOST ?= 127.0.0.1
DOCS_PORT ?= 8080
docs: install  ## generate the dbt docs of the built warehouse and serve them on http://$(DOCS_HOST):$(DOCS_PORT)
	cd dbt_project && SALESOPS_HOME=$(SALESOPS_HOME) ../.venv/bin/dbt docs generate --profiles-dir . --target-path target/docs
	cd dbt_project && ../.venv/bin/dbt docs serve --profiles-dir . --target-path target/docs --host $(DOCS_HOST) --port $(DOCS_PORT) --no-browser

test: install  ## the test suite, without the reliability and browser tests (their own targets)
	$(UV) run --frozen pytest -m "not reliability and not browser"

test-reliability: install  ## kill -9, concurrent readers and queued runs on a tiny company (docs/publication.md)
	$(UV) run --frozen pytest -m reliability

test-postgres: install  ## start a local PostgreSQL (.ci/postgres.sh) and run the tests marked postgres against it
	. .ci/postgres.sh && $(UV) run --frozen pytest -m postgres

test-browser: install  ## the Dagster UI driven in headless Chromium (needs /usr/bin/chromium: .ci/install-browser)
	$(UV) run --frozen pytest -m browser -n 0

bench-forecast: install  ## forecaster vs seasonal naive and AutoETS (demo + real monthly series), speed; writes docs/forecasting.md
	$(UV) run --frozen --group bench python -m tests.bench.forecast_benchmark

SCALES ?=
PANDAS_VENV := $(CURDIR)/bench/work/pandas-venv
bench: install  ## benchmark the pipeline (SCALES="100k 1m 10m" by default; SCALES=10k is a smoke run): bench/results.json, docs/benchmarks.md
	UV_PROJECT_ENVIRONMENT=$(PANDAS_VENV) $(UV) sync --frozen --quiet --no-default-groups --group bench-pandas --compile-bytecode
	.venv/bin/python -m bench --scales "$(SCALES)"

clean:  ## remove generated data and build output
	rm -rf $(SALESOPS_HOME) dbt_project/target dbt_project/logs
