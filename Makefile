# Settle — `make run` serves the demo, `make test` runs every test (browser tests included).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app app
WORKER := $(BIN)/huey_consumer worker.huey --logfile instance/worker.log

.PHONY: run test test-fast bench bench-exports bench-import bench-pdf wrk worker install install-dev chromium translations messages clean help

help:
	@echo "make run    - install, create the demo database if empty, serve on http://127.0.0.1:$(PORT)"
	@echo "make test   - install what tests need (virtualenv, Chromium) and run the whole suite"
	@echo "make worker - run the background worker alone (make run already starts it)"
	@echo "make bench  - a million invoices, 1,000 users sending a mixed load: the portal against bare Flask"
	@echo "              (BENCH_ARGS=--quick: 100,000 invoices, short rounds; DATABASE_URL=postgresql://... for PostgreSQL)"
	@echo "make bench-pdf - time the invoice PDF up to 10,000 lines"
	@echo "make bench-import - import 100,000 invoices and the same file again: invoices/s, peak memory"
	@echo "              (BENCH_ARGS='--invoices 1000000' for the memory check; DATABASE_URL=postgresql://... for PostgreSQL)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime translations
install-dev: $(VENV)/.dev translations

# Compiled message catalogs are build output; make them from the committed .po files.
translations: | $(BIN)/python
	@if [ -d translations ]; then $(BIN)/pybabel -q compile -d translations; fi

# After changing user-visible text: re-extract it and merge it into translations/nb and pl (then translate
# the new empty entries; tests/test_i18n.py fails until every one is translated).
messages: | $(BIN)/python
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext -k _l --add-location=file --sort-output --no-wrap \
	  --project=Settle --version=1.0 --copyright-holder=Settle -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --no-wrap

# Debian's Chromium for the browser suite (Playwright cannot download its own browser here).
chromium:
	@if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || [ -n "$$CHROMIUM_PATH" ]; then :; \
	else echo "Installing Debian's chromium for the browser tests..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; fi

run: install
	@$(FLASK) init-db
	@$(FLASK) seed-demo --if-empty
	@echo "Serving Settle on http://127.0.0.1:$(PORT)  (Ctrl-C stops it)"
	@echo "The background worker sends requested invoice copies every minute (log: instance/worker.log)."
	@$(WORKER) & worker=$$!; \
	  trap 'kill -INT $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	  $(FLASK) run --port $(PORT)

# The huey worker alone (runs `process-requests` every minute; REDIS_URL switches its queue to Redis).
worker: install
	$(BIN)/huey_consumer worker.huey

# Two pytest-xdist workers (TEST_WORKERS=0 runs in one process): each has its own databases and live servers.
TEST_WORKERS ?= 2
test: install-dev chromium
	$(BIN)/python -m pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS),)

test-fast: install-dev
	$(BIN)/python -m pytest -m "not browser" -x -q

# Benchmark (bench/run.py): a million invoices; 1,000 users of 200 companies, each signed in, send a shuffled
# mix (lists, searches, invoice pages, Pay invoice) to the portal and to bare Flask under the same gunicorn,
# with wrk; then the list and invoice pages in-process, with profiles. About 5-7 minutes.
# `make bench DATABASE_URL=postgresql://user@host/db` runs it on PostgreSQL (that database is emptied).
# `make bench BENCH_ARGS=--quick` for development (100,000 invoices, short rounds, about 2 minutes);
# BENCH_ARGS="--reuse" keeps today's data set; "--single" adds the former single-URL table.
wrk:
	@if command -v wrk >/dev/null 2>&1; then :; \
	else echo "Installing Debian's wrk for the benchmark..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null \
	  || echo "wrk could not be installed: the benchmark falls back to its Python load generator"; fi

bench: install-dev wrk
	$(BIN)/python -m bench.run $(if $(DATABASE_URL),--database-url '$(DATABASE_URL)',) $(BENCH_ARGS)

# How long the invoice PDF takes, up to a 10,000-line invoice, in each language (target: under 10 s).
bench-pdf: install-dev
	$(BIN)/python -m bench.pdf $(BENCH_ARGS)

# The invoice exports (CSV, Excel) of 100,000 invoices: time and memory (bench/exports.py).
bench-exports: install-dev
	$(BIN)/python -m bench.exports $(if $(DATABASE_URL),--database-url '$(DATABASE_URL)',) $(BENCH_ARGS)

# The import's speed and memory (bench/import_speed.py): a generated file of N invoices with 1-4 lines each
# (default 100,000; BENCH_ARGS="--invoices 1000000"), imported through import-data's own code path, then again.
# `make bench-import DATABASE_URL=postgresql://user@host/db` runs it on PostgreSQL (that database is emptied).
bench-import: install-dev
	$(BIN)/python -m bench.import_speed $(if $(DATABASE_URL),--database-url '$(DATABASE_URL)',) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache test-results
