# Two commands do everything on a fresh clone: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
CLIENTS := tests/clients

.PHONY: serve test lint bench clients browser clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/mockgw serve $(ARGS)

# The Node clients (Claude Code, the TypeScript SDK, the AI SDK) are installed from the lockfile,
# again only when the lockfile changed.
clients: $(CLIENTS)/node_modules/.installed

$(CLIENTS)/node_modules/.installed: $(CLIENTS)/package-lock.json
	cd $(CLIENTS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The inspector's browser tests (tests/browser) drive Debian's Chromium headless. When /usr/bin/chromium is
# missing and we are root, it is installed with apt-get (update first); otherwise this only says so, and the
# browser tests skip with that reason (under CI, with `CI` set, they fail instead).
CHROMIUM := /usr/bin/chromium

browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "make browser: installing Chromium for the inspector's browser tests (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "make browser: $(CHROMIUM) is missing and we are not root with apt-get: the browser tests will skip"; \
	fi

test: $(TEST_STAMP) clients browser
	$(VENV)/bin/ruff check mockgw tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q -n 2 $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check mockgw tests bench
	$(VENV)/bin/ruff format --check mockgw tests bench
	$(VENV)/bin/mypy

bench: $(TEST_STAMP)
	$(PY) bench/run.py $(ARGS)

clean:
	rm -rf $(VENV) $(CLIENTS)/node_modules
