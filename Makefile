# Kasal. Two commands set up everything on a fresh machine:
#   make run    install, migrate, seed, serve API + web app on http://127.0.0.1:8000
#               (port taken? KASAL_PORT=8001 make run; `kasal serve` checks before it starts)
#   make test   install, then lint, type-check and test everything (SQLite and PostgreSQL)

SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
KASAL := $(VENV)/bin/kasal
FRONTEND_SOURCES := $(shell find frontend -path frontend/node_modules -prune -o -path frontend/dist -prune -o -type f -print 2>/dev/null)

.PHONY: run test install install-dev lint typecheck pytest web web-test api-types bench clean databricks-app

run: install web
	$(KASAL) db upgrade
	$(KASAL) serve

test: install-dev lint typecheck web-test api-types web pytest

install: uv
	$(UV) sync --frozen --no-dev

install-dev: uv
	$(UV) sync --frozen

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
		|| $(PYTHON) -m pip install --quiet uv

lint:
	$(VENV)/bin/ruff check src tests alembic benchmarks
	$(VENV)/bin/ruff format --check src tests alembic benchmarks
	$(VENV)/bin/lint-imports

typecheck:
	$(VENV)/bin/mypy

pytest:
	$(VENV)/bin/pytest

# The web app is built only when its sources changed since the last build.
web: frontend/dist/index.html

frontend/dist/index.html: $(FRONTEND_SOURCES)
	@if [ -f frontend/package.json ]; then cd frontend && npm ci --no-audit --no-fund && npm run build; fi

web-test:
	@if [ -f frontend/package.json ]; then \
		cd frontend && npm ci --no-audit --no-fund && npm run typecheck && npm run lint && npm test; fi

# The web app's API types are generated from the OpenAPI document (`npm run generate`);
# regenerate them into a temporary file and fail if the committed ones differ.
api-types:
	@if [ -f frontend/package.json ]; then \
		tmp=$$(mktemp --suffix=.ts) && trap 'rm -f "$$tmp"' EXIT && \
		(cd frontend && KASAL="$(CURDIR)/$(KASAL)" node scripts/generate-api.mjs "$$tmp") && \
		diff -u frontend/src/api/schema.ts "$$tmp" \
		|| { echo "frontend/src/api/schema.ts is stale: run 'cd frontend && npm run generate'"; exit 1; }; fi

# Performance, as ratios and percentiles of one run on this machine (not part of `make test`).
bench: install-dev
	$(VENV)/bin/python -m benchmarks.run
	$(VENV)/bin/python -m benchmarks.memory_retrieval

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist

# A Databricks App installs requirements.txt with pip: the locked versions, then Kasal itself,
# editable, so that it finds its migrations and the built web app in the source folder.
# Run before `databricks bundle deploy` (docs/databricks.md).
databricks-app: uv web
	$(UV) export --frozen --no-dev --no-hashes --no-emit-project --quiet > requirements.txt
	echo "-e ." >> requirements.txt
