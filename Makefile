# drsim — two commands on a fresh machine (Python 3.11+ and pip, nothing else):
#   make demo   create .venv, install drsim, validate, describe and run the reference scenario
#   make test   create .venv, install drsim with test extras, run ruff, lint-imports and pytest
# Pick another interpreter with e.g. `make test PYTHON=python3.12`.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet
SCENARIO ?= scenarios/cognito-active-passive.yaml

.PHONY: all demo test lint docs goldens bench browser validate venv venv-test clean help

all: test

help:
	@echo "make demo    validate, describe and run $(SCENARIO)"
	@echo "make test    ruff + import layers + pytest (what CI runs)"
	@echo "make lint    ruff and the import-linter layers contract"
	@echo "make docs    regenerate docs/scenarios.md (schema) and docs/metrics.md (glossary)"
	@echo "make validate run every validation case, write docs/validation.md (fails if one is off)"
	@echo "make goldens regenerate the golden summaries in tests/golden (review the diff)"
	@echo "make bench   performance benchmarks (< 10 min), recorded in benchmarks/RESULTS.md"
	@echo "make clean   remove .venv and caches"

# The venv is (re)installed whenever pyproject.toml changes: the stamps depend on it.
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "drsim needs Python >= 3.11, $(PYTHON) is " + sys.version.split()[0] + "; try: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	@touch $@ $(VENV)/.installed

venv: $(VENV)/.installed
venv-test: $(VENV)/.installed-test

demo: $(VENV)/.installed
	$(BIN)/drsim validate $(SCENARIO)
	$(BIN)/drsim describe $(SCENARIO)
	$(BIN)/drsim run $(SCENARIO)

# lint-imports checks the layer order of docs/architecture.md ([tool.importlinter] in pyproject.toml).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports

# Headless Chromium renders the HTML report in tests/report (skipped without it). Installed
# with apt-get only where that needs no password (root, or password-less sudo); never a prompt.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "note: no chromium and no apt-get: the report rendering test will be skipped"; \
	  elif [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	      || echo "note: could not install chromium: the report rendering test will be skipped"; \
	  elif sudo -n true 2>/dev/null; then \
	    (sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	      || echo "note: could not install chromium: the report rendering test will be skipped"; \
	  else \
	    echo "note: chromium is not installed (sudo apt-get install chromium): the report rendering test will be skipped"; \
	  fi; }

# pytest-xdist: one worker per core (tests are independent; each worker keeps its own caches).
test: lint browser
	$(BIN)/python -m pytest -n auto --dist worksteal

# Golden summaries of the scenario library (tests/golden/): regenerate on purpose, review the diff.
goldens: $(VENV)/.installed-test
	DRSIM_REGENERATE_GOLDENS=1 $(BIN)/python -m pytest tests/test_library.py -q

docs: $(VENV)/.installed
	$(BIN)/python -m drsim.scenario.reference > docs/scenarios.md
	$(BIN)/python -m drsim.metrics.glossary > docs/metrics.md
	@echo "wrote docs/scenarios.md and docs/metrics.md"

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/harness.py $(BENCH_ARGS)

validate: $(VENV)/.installed
	$(BIN)/python -m drsim.validation --jobs 2 -o docs/validation.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
