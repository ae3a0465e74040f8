# Tollgate: `make run` starts a ready server on SQLite; `make test` sets up and runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TOLLGATE_DATABASE_URL ?= sqlite:///./var/tollgate.db

.PHONY: run serve test test-sqlite test-postgres lint bench clean system-deps bench-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian's chromium for browser tests (Playwright's own browser download cannot work offline).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Debian's wrk, the load generator of `make bench`.
bench-deps:
	@command -v wrk >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }

run: $(STAMP)
	$(BIN)/tollgate bootstrap
	$(BIN)/tollgate serve

test: $(STAMP) system-deps
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

# Every size on both backends, with py-spy profiles of the scenarios whose targets are hardest to meet.
BENCH_ARGS ?= --profile detail,list-512,create-individual
# Then create and detail latency while 12-megapixel images are decoded (issue 9's 2x target).
bench: $(STAMP) bench-deps
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.checks_latency

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
