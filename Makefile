# The two commands of the README: `make dev` (local stack) and `make test` (whole suite).
SHELL := /bin/bash
PYTHON_VERSION ?= 3.13.0
# 3.8: the 1EdTech Open Badges validator's own environment (OB_VENV), used by the tests.
export PYENV_VERSION := 3.11.7:$(PYTHON_VERSION):3.8.18
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SAM_STAMP := $(SAM_VENV)/.installed
OB_VENV := .venv-ob
OB_STAMP := $(OB_VENV)/.installed
# The Swagger UI files of the API reference page (/docs), from the npm package pinned in
# functions/docs/package-lock.json, copied to functions/docs/vendor/ (git-ignored).
DOCS_ASSETS := functions/docs/vendor/.installed

.PHONY: dev dev-clean services migrate test venv validator-venv docs-assets lock lock-check lint typecheck unit unit-pure integration template-tests sam-validate sam-build bench openapi openapi-fuzz clean

venv: $(STAMP) $(DOCS_ASSETS)
# Installed from the hashed lock files only (pip refuses anything unpinned or with another hash).
$(STAMP): requirements-dev.lock
	@test -x $(PY) || python3.13 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@touch $@

## The API reference page's Swagger UI files (npm ci; run by `make venv`, so by dev and test).
docs-assets: $(DOCS_ASSETS)
$(DOCS_ASSETS): functions/docs/package.json functions/docs/package-lock.json
	$(MAKE) -C functions/docs vendor

## The 1EdTech Open Badges validator (PyPI `openbadges`) in a Python 3.8 environment of its own,
## from its hashed lock; tests/support/validator.py runs it against the local stack.
validator-venv: $(OB_STAMP)
$(OB_STAMP): requirements-validator.lock
	@test -x $(OB_VENV)/bin/python || python3.8 -m venv $(OB_VENV)
	$(OB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-validator.lock
	@touch $@

$(SAM_STAMP): requirements-sam.lock
	@test -x $(SAM_VENV)/bin/python || python3.13 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-sam.lock
	@touch $@

## Write the hashed lock files again from the requirement files (needs the package index).
lock: venv
	$(PY) -m scripts.lock

## Offline: fail when a requirement file changed since its lock was written.
lock-check: venv
	$(PY) -m scripts.lock --check

## Start the local stack (embedded DynamoDB + API on http://127.0.0.1:$${PORT:-8080}); its data
## is kept in .local-state/ (or $$LOCAL_STATE_DIR) across restarts.
dev: venv
	$(PY) -m local

## The same, started empty: the saved data is deleted first.
dev-clean: venv
	$(PY) -m local --clean

## Only the embedded DynamoDB, S3 and SQS on $${SERVICES_PORT:-5055} for `sam local` (writes local/env.json).
services: venv
	$(PY) -m local --services-only

## Import an original BadgeKit API database (docs/migration.md): into the running `make dev` stack
## by default; ARGS for more options, e.g. ARGS=--dry-run or ARGS="--stack NAME".
migrate: venv
	@test -n "$(SOURCE)" || { echo "usage: make migrate SOURCE=mysql://user:password@host:port/database [ARGS=--dry-run]" >&2; exit 2; }
	@$(PY) -m migrate import --source '$(SOURCE)' $(ARGS)

## Run everything CI runs: lint, types, unit, template and integration tests.
test: venv $(OB_STAMP) lint typecheck sam-validate
	$(PY) -m pytest -n 2 -q

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

unit: venv
	$(PY) -m pytest -q tests/unit

## The pure tier alone: every resource's rules, no moto, no AWS, no network (seconds).
unit-pure: venv
	$(PY) -m pytest -q tests/unit/domain

integration: venv
	$(PY) -m pytest -q tests/integration

template-tests: venv
	$(PY) -m pytest -q tests/template

sam-validate: $(SAM_STAMP)
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --template-file infra/template.yaml

sam-build: $(SAM_STAMP)
	SAM_CLI_TELEMETRY=0 PATH="$$(pyenv root)/versions/$(PYTHON_VERSION)/bin:$$PATH" $(SAM_VENV)/bin/sam build --template-file infra/template.yaml --build-dir .aws-sam/build

bench: venv
	$(PY) -m scripts.bench

## Write functions/docs/openapi.json again from the template and scripts/openapi's operation table.
openapi: venv
	$(PY) -m scripts.openapi

## Schemathesis over every operation of the document against a local stack (part of `make test` too).
openapi-fuzz: venv
	$(PY) -m pytest -q tests/integration/test_openapi_fuzz_http.py

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
