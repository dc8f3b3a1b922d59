# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
INSTANCE_PATH ?= instance
export INSTANCE_PATH
# Python's default: compiled modules are kept in __pycache__. Some environments turn it off
# (PYTHONDONTWRITEBYTECODE=1); the suite starts a hundred-odd Python processes (workers,
# `serve` nodes), each of which would otherwise compile every module it imports again.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test install lock catalogs lint typecheck bench bench-login bench-data clean messages translations

# uv installs the lock (and makes it, `make lock`): the same hashes as pip checks, in a
# few seconds instead of twenty on a fresh clone.
UV_VERSION := 0.13.9
UV_INSTALL = $(BIN)/uv pip install --quiet --python $(BIN)/python

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)

# Exactly the versions (and files, by hash) in the lock; the project itself on top, without deps.
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements/test.txt
	$(UV_INSTALL) --require-hashes -r requirements/test.txt
	$(UV_INSTALL) --no-deps -e .
	touch $@

# The profilers `make bench` and its tools use (py-spy, pyinstrument), also locked.
$(VENV)/.bench: $(VENV)/.installed requirements/bench.txt
	$(UV_INSTALL) --require-hashes -r requirements/bench.txt
	touch $@

# After changing a dependency in pyproject.toml: pin every package (with hashes) again.
LOCK = $(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --no-header --quiet
lock: $(BIN)/python
	$(LOCK) -o requirements/main.txt
	$(LOCK) --extra test -o requirements/test.txt
	$(LOCK) --extra test --extra bench -o requirements/bench.txt

install: $(VENV)/.installed catalogs

catalogs: $(VENV)/.installed
	$(BIN)/pybabel compile -d web/locale -D messages --statistics 2>&1 | tail -n 2

run: install
	$(BIN)/videoberatung migrate
	$(BIN)/videoberatung create-user fachkraft --name "Erste Fachkraft" --generate --if-no-users
	HOST=$(HOST) PORT=$(PORT) $(BIN)/videoberatung serve

# Parallel workers (pytest-xdist): each has its own Chromium, and every test its own database
# schema, Redis prefix, ports and tmp dir. PYTEST_ARGS for more, e.g. PYTEST_ARGS=-q.
# Three on the 2-core machine: 5:13 against 5:51 with four and 5:50 with two (docs/performance.md).
TEST_WORKERS ?= 3
test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: install node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	npx --no-install eslint web/static/js

# ESLint from the npm registry, exactly as package-lock.json pins it; offline afterwards.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# BENCH_SIZE=full for the issue's sizes (1k-20k idle, 500 pairs, 100-2,000 msg/s, 50-500 set-ups).
BENCH_SIZE ?= small
bench-login: install $(VENV)/.bench
	$(BIN)/python -m load_tests.login_flood

# The data-saving modes' MB per minute over 15 s windows (the suite uses 6 s), docs/performance.md.
bench-data: install
	DATA_WINDOW_SECONDS=15 $(BIN)/python -m pytest -s -p no:cacheprovider \
		tests/test_browser_datasaver.py::test_each_mode_stays_within_its_data_bound

bench: install $(VENV)/.bench
	$(BIN)/python -m load_tests --size $(BENCH_SIZE)

# Refresh the message catalogues after changing user-facing strings.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o web/locale/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i web/locale/messages.pot -d web/locale -D messages

# Which msgids each language still lacks (exit 1 if any); fill them with
# `.venv/bin/python -m web.catalogues fill FILE.json` ({"ar": {"msgid": "msgstr"}, ...}).
translations: $(VENV)/.installed
	$(BIN)/python -m web.catalogues

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache node_modules
