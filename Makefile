# opencustoms: every set-up step lives here, so a fresh machine with Python 3.11+
# and pip needs nothing else.  `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ARGS   ?=
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help demo test lint format bench serve i18n-extract i18n-update constraints clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP) ## set up, migrate the SQLite database, load reference data, tour, serve on :8000 (ARGS=--no-serve to exit)
	$(BIN)/opencustoms demo $(ARGS)

serve: $(STAMP) ## serve the web UI and API on http://127.0.0.1:8000
	$(BIN)/opencustoms db upgrade
	$(BIN)/opencustoms serve $(ARGS)

lint: $(STAMP) ## ruff, formatting, mypy (strict on kernel and domain), import contracts
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix src tests benchmarks tools
	$(BIN)/ruff format src tests benchmarks tools

test: lint ## lint, then the whole suite (unit, integration on SQLite and PostgreSQL, e2e, browser)
	$(BIN)/python -m pytest -n 2 --junitxml=.test-results.xml $(PYTEST_ARGS)

bench: $(STAMP) ## run the benchmarks; results in benchmarks/results/
	$(BIN)/python -m benchmarks.run $(ARGS)

i18n-extract: $(STAMP) ## extract translatable strings into the template catalogue
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o src/opencustoms/locales/messages.pot src/opencustoms

i18n-update: i18n-extract ## merge new strings into the English and Korean catalogues
	$(BIN)/python tools/write_catalogues.py

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .test-results.xml

constraints: $(BIN)/python ## re-pin constraints.txt to what pyproject.toml resolves to today
	rm -rf .venv-pin && $(PYTHON) -m venv .venv-pin
	.venv-pin/bin/python -m pip install --quiet --upgrade pip
	.venv-pin/bin/python -m pip install --quiet -e '.[dev]'
	(echo "# Exact versions for reproducible installs (make uses: pip install -c constraints.txt)."; \
	 echo "# Refresh after changing pyproject.toml: make constraints"; \
	 .venv-pin/bin/python -m pip freeze --exclude-editable | grep -v '^opencustoms') > constraints.txt
	rm -rf .venv-pin
