# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n 2 --dist loadscope

.PHONY: install install-dev run test lint bench clean chromium

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "regwatch needs Python 3.11 or newer on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

## run: install, then start the main job (poll every source in sources.yaml; SQLite at data/regwatch.db)
run: install
	$(BIN)/regwatch run

## chromium: Debian's chromium for the browser tests (tests/web), installed when missing; sudo only when not root.
## Playwright drives it by path: never `playwright install`, whose browser download does not work here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  echo "installing chromium for the browser tests"; \
	  $$SUDO apt-get install -y chromium || { $$SUDO apt-get update && $$SUDO apt-get install -y chromium; }; }

## test: install with the test tools (and chromium), then run the whole suite
test: install-dev chromium
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check pipeline tests bench

bench: install-dev
	$(BIN)/python bench/crawl_pass.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
