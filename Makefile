# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
INSTANCE_PATH ?= instance
export INSTANCE_PATH

.PHONY: run test install catalogs lint typecheck bench bench-login clean messages translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed catalogs

catalogs: $(VENV)/.installed
	$(BIN)/pybabel compile -d web/locale -D messages --statistics 2>&1 | tail -n 2

run: install
	$(BIN)/videoberatung migrate
	$(BIN)/videoberatung create-user fachkraft --name "Erste Fachkraft" --generate --if-no-users
	HOST=$(HOST) PORT=$(PORT) $(BIN)/videoberatung serve

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: install node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	npx --no-install eslint web/static/js

# ESLint from the npm registry, exactly as package-lock.json pins it; offline afterwards.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# BENCH_SIZE=full for the issue's sizes (1k-20k idle, 500 pairs, 100-2,000 msg/s, 50-500 set-ups).
BENCH_SIZE ?= small
bench-login: install
	$(BIN)/python -m load_tests.login_flood

bench: install
	$(BIN)/python -m load_tests --size $(BENCH_SIZE)

# Refresh the message catalogues after changing user-facing strings.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o web/locale/messages.pot .
	$(BIN)/pybabel update -i web/locale/messages.pot -d web/locale -D messages

# Which msgids each language still lacks (exit 1 if any); fill them with
# `.venv/bin/python -m web.catalogues fill FILE.json` ({"ar": {"msgid": "msgstr"}, ...}).
translations: $(VENV)/.installed
	$(BIN)/python -m web.catalogues

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache node_modules
