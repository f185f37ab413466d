# Simpul: `make demo` to run it, `make test` to check it. `make help` lists every target.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
# uv installs exactly what uv.lock says; it is itself installed, by hash, from requirements-uv.txt
# into a venv of its own (.uv), so syncing .venv never touches the installer that runs it.
UV_DIR := .uv
UV := $(UV_DIR)/bin/uv
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.DEFAULT_GOAL := help
.PHONY: help install lock demo serve test test-latest lint format typecheck pytest tools browser messages stop clean bench bench-gateway bench-overload bench-scale cluster

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV): requirements-uv.txt
	test -x $(UV_DIR)/bin/python || $(PYTHON) -m venv $(UV_DIR)
	$(UV_DIR)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
	  --no-deps -r requirements-uv.txt
	touch $(UV)

# Bytecode is compiled at install (--compile-bytecode, and compileall for src/): where
# PYTHONDONTWRITEBYTECODE is set (this CI image sets it), every process the tests start
# (simpul serve, gateway, worker, CLI) would otherwise compile scikit-learn, SciPy and the
# rest from source on each start, seconds each.
$(STAMP): $(UV) pyproject.toml uv.lock package.json package-lock.json
	$(UV) sync --frozen --extra dev --quiet --compile-bytecode
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	  else echo "npm not found: pages will work without htmx live search"; fi
	touch $(STAMP)

src/simpul/locale/%/LC_MESSAGES/messages.mo: src/simpul/locale/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d src/simpul/locale -D messages -l $* >/dev/null

install: $(STAMP) src/simpul/locale/en/LC_MESSAGES/messages.mo ## Install Simpul and its tools into .venv, exactly as uv.lock pins them
	@$(BIN)/python -m compileall -q src/simpul >/dev/null

lock: $(UV) ## Re-resolve the newest allowed versions into uv.lock (then run make test and commit both)
	$(UV) lock --upgrade

demo: install ## Install, start the embedded PostgreSQL, migrate, seed Kota Bandung and serve it
	SIMPUL_DEBUG=$${SIMPUL_DEBUG:-1} $(BIN)/simpul demo

serve: install ## Serve the portal and API (uses SIMPUL_DATABASE_URL, else the embedded PostgreSQL)
	$(BIN)/simpul serve

stop: ## Stop the embedded PostgreSQL
	$(BIN)/simpul db stop

# Debian packages the tests drive for real: the browser, Poppler's pdfsig, NSS's certutil,
# SoftHSM2 (a PKCS#11 token, standing in for an HSM or a smart card) and Redis (the gateway's
# shared rate limits; the tests start a server of their own).
TEST_TOOLS := $(CHROMIUM):chromium /usr/bin/pdfsig:poppler-utils /usr/bin/certutil:libnss3-tools \
  /usr/bin/softhsm2-util:softhsm2 /usr/bin/redis-server:redis-server

tools: ## Make sure the Debian tools the tests use are there (Chromium, pdfsig, certutil, SoftHSM2, Redis)
	@missing=""; for pair in $(TEST_TOOLS); do \
	  [ -x "$${pair%%:*}" ] || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq $$missing >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq $$missing)); \
	  else echo "Missing Debian packages:$$missing (the tests that use them will fail)"; fi; \
	fi

browser: tools ## Same as tools (kept for old habits)

lint: install ## ruff (lint and format check) and lint-imports (the layers, decision 0033)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

format: install ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install ## mypy, strict on src/
	$(BIN)/mypy

# Branch coverage of src/simpul by the tests run in this process (not the servers they start
# in subprocesses), printed for the files below 100%. The floor is the figure measured by a whole
# run, rounded down: raise it as coverage grows, never lower it (decision 0032).
COVERAGE_FLOOR ?= 90
pytest: install tools ## Run the tests only, with branch coverage and its floor
	$(BIN)/pytest --cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

test: install tools lint typecheck pytest ## Everything: lint, type check and every test (browser included)

# The newest release of every dependency, ignoring uv.lock, in a venv of its own: drift shows
# here before `make lock` brings it to users.
test-latest: $(UV) tools ## The whole of make test against the newest releases (in .venv-latest)
	rm -rf .venv-latest
	$(UV) venv --quiet .venv-latest
	VIRTUAL_ENV=.venv-latest $(UV) pip install --quiet --refresh --resolution highest -e ".[dev]"
	touch .venv-latest/.installed
	$(MAKE) test VENV=.venv-latest

messages: install ## Extract messages and update the translation catalogues
	$(BIN)/pybabel extract -F babel.cfg -k lazy -o src/simpul/locale/messages.pot --no-location --omit-header --sort-output src/simpul
	$(BIN)/pybabel update -i src/simpul/locale/messages.pot -d src/simpul/locale -D messages --no-fuzzy-matching --ignore-obsolete

clean: ## Remove the virtualenv and caches (keeps var/, the demo data)
	rm -rf $(VENV) .venv-latest $(UV_DIR) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis

bench: install ## Catalogue benchmark (prints ratios to a baseline measured in the same run)
	$(BIN)/python -m bench.catalogue_search

bench-gateway: install ## Gateway against nginx, one worker each (installs nginx and h2load as root if missing)
	$(BIN)/python -m bench.gateway

bench-overload: install ## simpul serve under 20x its load from clients that give up: recovery time, 5xx, the pool afterwards
	$(BIN)/python -m bench.overload

bench-scale: install ## A region after years (N applications, M log records, generated through SQL): every officer, admin and API page against the demo's size (APPLICATIONS=100000 LOG_RECORDS=1000000)
	$(BIN)/python -m bench.scale --applications $${APPLICATIONS:-100000} --log-records $${LOG_RECORDS:-1000000}

cluster: install ## A city on one machine (network namespaces): haproxy, 2 serve, 2 gateways, 2 workers, pgbouncer, PostgreSQL primary + sync replica, Redis; kills one of each under load (root)
	$(BIN)/python -m bench.cluster
