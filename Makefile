# MASIP developer tasks. `make setup` once (it is also what `run` and `test` depend
# on); it re-installs only when pyproject.toml, requirements.lock or
# package-lock.json change. The stamp files live inside .venv/ and node_modules/, so
# deleting either directory also forgets its stamp.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON_BOOTSTRAP ?= python3
UV_VERSION := 0.13.9
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
PY_STAMP := $(VENV)/.masip-installed
NODE_STAMP := node_modules/.masip-installed
# Written last by scripts/build-assets.mjs, so it exists only after a good build.
ASSETS := static/vendor/versions.json

# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k cases -x"`.
PYTEST_ARGS ?=
# The suite runs on this many processes (pytest-xdist), each with its own test database,
# Redis database, Celery worker and browser; TEST_WORKERS=0 runs it in one (for --pdb).
# Work stealing: a process that runs out of tests takes half of the other's queue, so a
# few minute-long browser and worker tests at the end do not leave one process idle.
TEST_WORKERS ?= 3

.PHONY: help setup run test lint imports lock clean-data

help:
	@echo "make setup       create .venv, install requirements.lock and npm packages, build static/vendor/"
	@echo "make run         PostgreSQL + Redis (embedded unless DATABASE_URL/REDIS_URL set), migrate, seed, web + worker + beat"
	@echo "make test        the test suite on TEST_WORKERS=3 processes (PYTEST_ARGS=... for pytest)"
	@echo "make lint        ruff check, ruff format --check, mypy, lint-imports (the floors)"
	@echo "make imports     lint-imports alone: no app imports one on a floor above it"
	@echo "make lock        regenerate requirements.lock from pyproject.toml"
	@echo "make clean-data  delete ./var (the embedded PostgreSQL and Redis data)"

setup: $(PY_STAMP) $(ASSETS)

$(PY):
	$(PYTHON_BOOTSTRAP) -m venv $(VENV)

$(UV): | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# `uv pip sync` makes .venv exactly requirements.lock: it also removes what is not in it.
# --compile-bytecode writes the packages' .pyc files now: where PYTHONDONTWRITEBYTECODE
# is set, every process would otherwise compile Django and the rest again at each start
# (about 2 s on two cores: each management command, test worker and Celery process).
$(PY_STAMP): pyproject.toml requirements.lock Makefile | $(UV)
	$(UV) pip sync --compile-bytecode --python $(PY) requirements.lock
	touch $@

# --omit=optional: skips sass's native file watcher (only for `sass --watch`).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --omit=optional
	touch $@

$(ASSETS): $(NODE_STAMP) scripts/build-assets.mjs $(wildcard static/src/*.scss)
	npm run build

run: setup
	$(PY) -m masip.devstack run

test: setup
	$(PY) -m masip.devstack test -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# mypy imports the settings; the URLs only have to parse, nothing connects.
	DATABASE_URL=$${DATABASE_URL:-postgresql://localhost/masip} REDIS_URL=$${REDIS_URL:-redis://localhost:6379/0} \
		$(VENV)/bin/mypy .
	# The floors of the house (pyproject.toml [tool.importlinter], docs/development.md).
	$(VENV)/bin/lint-imports

imports: $(PY_STAMP)
	$(VENV)/bin/lint-imports

lock: | $(UV)
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

# Refuses while a `make run` or `make test` still has its servers running on ./var.
clean-data:
	@for state in var/run/postgres.json var/run/redis.json; do \
		[[ -f $$state ]] || continue; \
		pid=$$(grep -o '"pid": *[0-9]*' $$state | grep -o '[0-9]*$$' || true); \
		if [[ -n $$pid && $$pid != 0 ]] && kill -0 $$pid 2>/dev/null; then \
			echo "clean-data: a server from ./var is still running (pid $$pid, $$state); stop make run first" >&2; \
			exit 1; \
		fi; \
	done
	rm -rf var
	@echo "Removed ./var: the next make run starts with an empty database."
