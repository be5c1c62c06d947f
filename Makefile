# Two commands for a newcomer:  `make run`  and  `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test check system-deps install

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	scripts/install-system-deps build
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## run: install, migrate, seed demo data, start the simulator and the dashboard, print a login
run: $(STAMP)
	$(PY) manage.py rundemo

## test: install system packages (Chromium, slapd, the test OpenID provider) and Python packages, run the checks (lint, format,
## types), then the whole suite twice: on the embedded default (SQLite, local memory) and on
## the production profile (PostgreSQL + Redis, started if needed).
test: system-deps $(STAMP)
	$(MAKE) --no-print-directory check
	$(PY) -m pytest
	scripts/test-production-profile

## check: lint (ruff), formatting (ruff format) and types (mypy), in well under a minute
check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

system-deps:
	@scripts/install-system-deps
