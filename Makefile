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

.PHONY: install run demo-data pipeline ui docs test test-reliability test-fast bench clean help

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

ui: install dagster-home  ## the Dagster UI on http://127.0.0.1:3000
	$(UV) run --frozen dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

DOCS_PORT ?= 8080
docs: install  ## generate the dbt docs of the built warehouse and serve them on http://127.0.0.1:$(DOCS_PORT)
	cd dbt_project && SALESOPS_HOME=$(SALESOPS_HOME) ../.venv/bin/dbt docs generate --profiles-dir . --target-path target/docs
	cd dbt_project && ../.venv/bin/dbt docs serve --profiles-dir . --target-path target/docs --host 127.0.0.1 --port $(DOCS_PORT) --no-browser

test: install  ## the test suite, without the reliability and browser tests (their own targets)
	$(UV) run --frozen pytest -m "not reliability and not browser"

test-reliability: install  ## kill -9, concurrent readers and queued runs on a tiny company (docs/publication.md)
	$(UV) run --frozen pytest -m reliability

clean:  ## remove generated data and build output
	rm -rf $(SALESOPS_HOME) dbt_project/target dbt_project/logs
