# govsim: the two front-door commands are `make run` and `make test`.
# Both set up what they need (a Python 3.12 venv in .venv) on first use.

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench system-deps clean

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "govsim needs Python 3.12+ (Mesa 3.5); found " + sys.version.split()[0] + ". Set PY=python3.12")'
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## run: set up, run the quickstart batch (7 policy scenarios x 5 replicates) and write its report
run: $(STAMP)
	$(BIN)/govsim batch experiments/quickstart.toml --report
	@echo "open results/quickstart/report/report.html (or read report.md beside it)"

## test: set up (including Chromium and CJK fonts for the browser tests), lint, check the
## package's layers, run all tests
test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## bench: the speed benchmarks (by hand; they print their figures)
bench: $(STAMP)
	$(BIN)/python benchmarks/scale.py

system-deps:
	@bash scripts/system-deps.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
