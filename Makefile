# `make run` and `make test` set up everything they need on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
FLASK  := $(BIN)/flask --app wsgi
PLOTLY := diary/static/vendor/plotly.json
PORT   ?= 5000
HOST   ?= 127.0.0.1

.PHONY: run test test-browser lint migrate demo clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Block Diary needs Python 3.11 or newer"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

# plotly.js for the charts: the pinned npm partial bundle, or the plotly package's own.
$(PLOTLY): scripts/fetch_plotly.py | $(STAMP)
	$(BIN)/python scripts/fetch_plotly.py

migrate: $(STAMP) $(PLOTLY)
	$(FLASK) db upgrade

run: migrate
	$(FLASK) diary demo --if-empty
	@echo "Block Diary on http://$(HOST):$(PORT)/"
	$(FLASK) run --host $(HOST) --port $(PORT)

demo: migrate
	$(FLASK) diary demo

# The whole suite, with the line and branch coverage of diary/ printed at the end.
test: migrate
	$(BIN)/python -m pytest -q -rs --cov=diary --cov-branch --cov-report=term:skip-covered $(PYTEST_ARGS)

test-browser: migrate
	$(BIN)/python -m pytest -q -m browser tests/e2e

# ruff, and the layers' import contract (pyproject.toml, docs/architecture.md).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .coverage
