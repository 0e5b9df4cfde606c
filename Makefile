# Eventscope: every entry point a person uses. Run `make help` for the list.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Node.js >= 22: the machine's own, or a pinned Node 24 fetched from the npm registry.
NODE_DIR := $(shell infra/ensure-node.sh)
export PATH := $(NODE_DIR):$(CURDIR)/node_modules/.bin:$(PATH)
export EVENTSCOPE_HOME ?= $(CURDIR)/.eventscope
export EVENTSCOPE_CACHE ?= $(HOME)/.cache/eventscope

SCENARIO ?= smoke
RATE ?= 200
DURATION ?= 30s
# The load engine: k6 when the user has one on the PATH (never installed here: AGPL-3.0), else
# the native engine (vegeta + the runner's flow driver, installed by infra-up).
ENGINE ?= $(if $(shell command -v k6 2>/dev/null),k6,native)
export ENGINE

.PHONY: help install lint typecheck format test test-unit test-int test-e2e \
        infra-up infra-down infra-status infra-logs up down ps demo load bench

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json $(wildcard */*/package.json) infra/package.json loadtests/package.json
	npm ci --no-audit --no-fund
	@touch $@

# The console's web app, bundled (never committed): rebuilt when its sources change.
CONSOLE_BUNDLE := services/console/dist/index.html
$(CONSOLE_BUNDLE): node_modules/.package-lock.json services/console/src/build-web.ts services/console/web/index.html $(wildcard services/console/web/src/*)
	node services/console/src/build-web.ts

install: node_modules/.package-lock.json $(CONSOLE_BUNDLE) ## Install the npm workspace (and Node 24 where needed) and bundle the console

typecheck: install ## Type-check every workspace package
	tsc -p tsconfig.json

lint: install typecheck ## ESLint (type-aware), Prettier and import cycles
	eslint --max-warnings 0 .
	node infra/src/import-cycles.ts packages services
	prettier --check . --log-level warn

format: install ## Format the tree with Prettier
	prettier --write . --log-level warn

infra-up: install ## Install what is missing and start Kafka, PostgreSQL, Prometheus, Jaeger, SMTP
	@infra/native.sh up

infra-down: ## Stop the infrastructure processes that infra-up started
	@infra/native.sh down

infra-status: ## Each part: version, port, health
	@infra/native.sh status

infra-logs: ## Tail the infrastructure logs
	@infra/native.sh logs

test-unit: install ## Unit tests only (no infrastructure)
	vitest run --project unit

test: install ## Lint, start the infrastructure, run every test tier, stop what was started
	@infra/run-tests.sh

bench: infra-up ## Benchmarks (figures, not tests): event store append vs raw PostgreSQL and Emmett; the pipeline under load, ENGINE=native|k6 (knee, latency at 1,000/s, drain, telemetry cost, memory)
	node bench/src/main.ts

up: install ## Start the infrastructure and the four services, wait until ready, print where everything is
	@services/stack.sh up

down: ## Stop the services and the infrastructure
	@services/stack.sh down

ps: ## The services and the infrastructure: pid, port, health, memory
	@services/stack.sh ps

# --- load tests (loadtests/) ---------------------------------------------------------------------
# The stack is started only when one of its parts does not answer.
STACK_READY = for u in 8081 8082 8083 8084; do curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:$$u/health/ready || exit 1; done; \
	curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:9090/-/ready

load: ## One scenario against the running stack: make load SCENARIO=smoke|load|ramp|spike|soak|flows RATE=1000 DURATION=60s WARMUP=10s ENGINE=native|k6
	@( $(STACK_READY) ) >/dev/null 2>&1 || $(MAKE) --no-print-directory up
	@node loadtests/src/run.ts --scenario $(SCENARIO) --engine $(ENGINE) \
		$(if $(filter file,$(origin RATE)),,--rate $(RATE)) $(if $(filter file,$(origin DURATION)),,--duration $(DURATION))

demo: up ## First command on a fresh machine: install, start everything, a 10 s warm-up and 20 s of load (ENGINE=native|k6), summary and report
	@node loadtests/src/run.ts --demo --engine $(ENGINE)

dashboards: install ## Regenerate dashboards/*.json from dashboards/generate.ts
	node dashboards/generate.ts
