# Two commands set everything up: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY310 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10) $(shell command -v python3.10))
PY311 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.11*/bin/python3.11) $(shell command -v python3.11))
BACKEND_VENV := .venv-backend
RASA_VENV := .venv-rasa
WEB_DEPS := web/node_modules/.installed
BACKEND_PY := $(CURDIR)/$(BACKEND_VENV)/bin/python
RASA := $(CURDIR)/$(RASA_VENV)/bin/rasa
BACKEND_PORT ?= 8000
ACTIONS_PORT ?= 5055
RASA_PORT ?= 5005
# The backend treats anything but ENVIRONMENT=development as production (weak secrets refused);
# `make backend` and `make run` are the development servers unless ENVIRONMENT says otherwise.
ENVIRONMENT ?= development
# Reverse proxies whose X-Forwarded-For uvicorn may believe (comma-separated addresses or
# networks). None unless set: otherwise anyone on loopback could forge the client's address.
FORWARDED_ALLOW_IPS ?=
export BACKEND_PYTHON := $(BACKEND_PY)

.PHONY: help venvs backend staff-user train actions rasa run cluster test test-backend test-rasa test-browser test-cluster validate contract system-deps bench evaluate evaluate-quick clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BACKEND_VENV)/.installed: requirements/backend.txt requirements/backend-dev.txt packages/pickup_rules/pyproject.toml
	@echo "==> backend environment (Python 3.11) in $(BACKEND_VENV)"
	@test -x "$(PY311)" || { echo "Python 3.11 not found (set PY311=/path/to/python3.11)"; exit 1; }
	$(PY311) -m venv $(BACKEND_VENV)
	$(BACKEND_VENV)/bin/pip install --disable-pip-version-check -q -r requirements/backend-dev.txt
	@touch $@

$(RASA_VENV)/.installed: requirements/rasa.txt requirements/rasa-dev.txt packages/pickup_rules/pyproject.toml
	@echo "==> Rasa environment (Python 3.10) in $(RASA_VENV); the first time takes a few minutes"
	@test -x "$(PY310)" || { echo "Python 3.10 not found (set PY310=/path/to/python3.10)"; exit 1; }
	$(PY310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --disable-pip-version-check -q -r requirements/rasa-dev.txt
	@touch $@

$(WEB_DEPS): web/package.json web/package-lock.json
	@echo "==> widget's socket.io client from npm"
	npm ci --prefix web --no-audit --no-fund --loglevel=error
	@touch $@

venvs: $(BACKEND_VENV)/.installed $(RASA_VENV)/.installed $(WEB_DEPS) ## Create both environments (and the widget's npm package) if missing

backend: $(BACKEND_VENV)/.installed ## Start the backend alone in the foreground (SQLite with demo data unless DATABASE_URL)
	cd backend && ENVIRONMENT=$(ENVIRONMENT) $(BACKEND_PY) -m app.prestart --demo
	cd backend && ENVIRONMENT=$(ENVIRONMENT) exec $(BACKEND_PY) -m uvicorn --factory app.main:create_app --host 127.0.0.1 --port $(BACKEND_PORT) \
	  --forwarded-allow-ips '$(FORWARDED_ALLOW_IPS)'

staff-user: $(BACKEND_VENV)/.installed ## Create or update a staff account: USERNAME=… ROLE=province|city|county|auditor OFFICE=<code>; password from STAFF_PASSWORD or a prompt
	@test -n "$(USERNAME)" -a -n "$(ROLE)" || { echo "usage: make staff-user USERNAME=… ROLE=province|city|county|auditor OFFICE=<office code>"; exit 2; }
	cd backend && ENVIRONMENT=$(ENVIRONMENT) $(BACKEND_PY) -m app.prestart
	cd backend && ENVIRONMENT=$(ENVIRONMENT) $(BACKEND_PY) -m app.staff_user --username "$(USERNAME)" --role "$(ROLE)" --office "$(OFFICE)"

train: $(RASA_VENV)/.installed ## Train a model into models/ (skipped when nothing changed)
	$(RASA) train --quiet --num-threads 2

actions: $(RASA_VENV)/.installed ## Start the action server alone
	$(RASA) run actions --actions actions --port $(ACTIONS_PORT)

run: venvs train ## Create environments, fill the demo database, train if needed, start everything
	@bash scripts/run.sh

cluster: venvs train system-deps ## The deployment's topology on this machine: nginx, two Rasa, two action servers, two backends, Redis, PostgreSQL (var/cluster/)
	@bash scripts/cluster.sh

system-deps: ## Install Debian's PostgreSQL, Chromium, a Chinese font, nginx, redis-server and docker-compose when missing
	@bash scripts/system-deps.sh

test: venvs system-deps test-backend test-rasa test-browser test-cluster ## The whole suite

test-backend: $(BACKEND_VENV)/.installed ## Shared rules and backend tests (SQLite and a real PostgreSQL server)
	$(BACKEND_PY) -m pytest packages/pickup_rules/tests -q -p no:cacheprovider
	cd backend && $(BACKEND_PY) -m pytest tests -q -p no:cacheprovider

contract: $(BACKEND_VENV)/.installed ## Write contract/openapi.json again after an API change (the actions' client is tested against it)
	cd backend && $(BACKEND_PY) -m app.contract

validate: $(RASA_VENV)/.installed ## rasa data validate
	$(RASA_VENV)/bin/python scripts/validate_data.py

test-rasa: $(RASA_VENV)/.installed validate train ## Shared rules on Python 3.10, action tests against a real backend, then the test stories
	$(RASA_VENV)/bin/python -m pytest packages/pickup_rules/tests -q -p no:cacheprovider
	$(RASA_VENV)/bin/python -m pytest -c tests/pytest.ini tests -q -p no:cacheprovider --ignore=tests/browser
	$(RASA) test core --stories tests/stories --e2e --fail-on-prediction-errors --out results/core

test-browser: venvs train ## Widget and hotline guide in headless Chromium against the three real servers
	@test -x /usr/bin/chromium || { echo "Debian's chromium is missing (make system-deps)"; exit 1; }
	$(RASA_VENV)/bin/python -m pytest -c tests/pytest.ini tests/browser -q -p no:cacheprovider

test-cluster: venvs train ## deploy/docker-compose.yml validated; make cluster under faults (a Rasa process killed mid-form, Redis and PostgreSQL away for 10 s)
	CLUSTER_TESTS=1 $(RASA_VENV)/bin/python -m pytest -c tests/pytest.ini tests/cluster -q -p no:cacheprovider

bench: venvs train ## Benchmarks (not part of make test): backend look-ups and imports, then our assistant against a moodbot trained in the run (README block); figures in reports/
	$(BACKEND_PY) -m bench.backend.run
	$(RASA_VENV)/bin/python bench/run.py $(BENCH_ARGS)

evaluate: $(RASA_VENV)/.installed ## NLU report: cross-validation, held-out and evaluation sets into reports/
	@bash scripts/evaluate.sh

evaluate-quick: $(RASA_VENV)/.installed ## NLU report without cross-validation (~4 min)
	@bash scripts/evaluate.sh --quick

clean: ## Remove environments, models, local databases and reports
	rm -rf $(BACKEND_VENV) $(RASA_VENV) models/*.tar.gz var results reports
