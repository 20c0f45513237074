# Trade On: the two commands a newcomer needs are `make demo` and `make test`.
# Both install what they need: a virtual environment with pinned packages, and (for tests)
# Debian's Chromium for the browser tests.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Under CI=true the suite runs against the real services; a missing one fails the run.
ifeq ($(CI),true)
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tradeon
export REDIS_URL ?= redis://127.0.0.1:6379/0
endif

.PHONY: help venv demo serve test lint format bench chromium clean

help:
	@echo "make demo   - install, migrate, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test   - install (incl. Chromium) and run the whole test suite"
	@echo "make lint   - ruff lint and format check"
	@echo "make bench  - run the benchmarks under bench/ and the matching evaluation; write docs/benchmarks.md"

# The stamp is rebuilt when the pins change, so a pull that adds a package installs it.
$(VENV)/.stamp-requirements: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

venv: $(VENV)/.stamp-requirements

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

demo: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Trade On is starting on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	$(BIN)/uvicorn tradeon.asgi:application --host $(HOST) --port $(PORT) --lifespan off

serve: venv
	$(BIN)/uvicorn tradeon.asgi:application --host $(HOST) --port $(PORT) --lifespan off

test: venv chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: venv
	$(BIN)/python bench/api.py
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/scheduling.py
	$(BIN)/python manage.py evaluate_matching --write-docs
	$(BIN)/python bench/realtime.py

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache .ruff_cache
