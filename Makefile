# ocmf-advisor: `make run` serves the web chat on the demo organisation; `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DATA ?= data/demo
INSTALLED := $(VENV)/.installed

.PHONY: install run test test-slow test-all lint typecheck bench clean

install: $(INSTALLED)

# torch==2.13.0 first, so pip takes the CPU build; then the project with its test tools.
$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(DATA)/tickets.csv: | $(INSTALLED)
	$(BIN)/advisor demo-data $(DATA) --size medium

run: install $(DATA)/tickets.csv
	$(BIN)/advisor serve --data $(DATA)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# Lint, types and every test not marked slow: the everyday check, under 15 minutes on two cores.
test: install lint typecheck
	$(BIN)/python -m pytest -m "not slow"

# The tests marked slow: loops over many generated organisations and real logs, fault injection, load, several
# workers, Spark. `.ci/run` runs them after `make test`.
test-slow: install
	$(BIN)/python -m pytest -m slow

test-all: test test-slow

clean:
	rm -rf $(VENV) var data .pytest_cache .mypy_cache .ruff_cache
