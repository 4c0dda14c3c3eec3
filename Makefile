# faio: `make run` brings the platform up, `make test` runs every check. Both set up what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .local/venv
BIN := $(VENV)/bin
KAFKA_LIBS := .local/kafka/libs
# Stamps make the set-up idempotent and quick the second time; they change when their inputs do.
PY_STAMP := $(VENV)/.installed
KAFKA_STAMP := $(KAFKA_LIBS)/.resolved
# The AsyncAPI page's viewer, served by each service itself (no CDN): fetched from npm once.
ASYNCAPI_VIEWER := @asyncapi/react-component@3.1.5
ASYNCAPI_DIR := .local/static/asyncapi
ASYNCAPI_STAMP := $(ASYNCAPI_DIR)/.fetched-3.1.5
# Helm, to render deploy/helm/faio in the tests: built once from the Go module proxy (no other
# download works here), into .local/bin; the stamp's name carries the version, so a bump rebuilds.
HELM_VERSION := v3.21.4
HELM := .local/bin/helm
HELM_STAMP := .local/bin/.helm-$(HELM_VERSION)

.PHONY: help setup run test test-cluster check lint format bench clean migration demo

help:
	@echo "make run     start Kafka, Temporal and every service (Ctrl-C stops all)"
	@echo "make test    lint, type-check and run the whole test suite on its own broker and Temporal"
	@echo "make test-cluster  three Kafka brokers, Temporal, PostgreSQL and two of every service: killed -9, a broker cut off"
	@echo "make bench   run the benchmarks (print figures, never fail on them)"
	@echo "make demo    fill a running platform (make run) with a demo portfolio, through the public APIs"
	@echo "make format  apply ruff's formatting and safe fixes"
	@echo "make helm    build Helm (pinned) from the Go module proxy into .local/bin (make test does it)"

setup: system-packages $(PY_STAMP) $(KAFKA_STAMP) $(ASYNCAPI_STAMP) $(HELM_STAMP)

# Debian packages the tests need, installed once when missing: PostgreSQL (a tested database
# next to SQLite) and Chromium (the browser tests drive Debian's Chromium: Playwright's own
# browser download cannot work offline), pango with a font for WeasyPrint's report PDF, and
# Prometheus for promtool (the alert rules' unit tests, tests/deploy/test_slo_alerts.py).
.PHONY: system-packages
system-packages:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	ls /usr/lib/*/libpangoft2-1.0.so.0 >/dev/null 2>&1 || missing="$$missing libpangoft2-1.0-0"; \
	test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || missing="$$missing fonts-dejavu-core"; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	if [ -n "$$missing" ]; then \
		command -v apt-get >/dev/null || { echo "install$$missing (Debian packages) for the tests"; exit 1; }; \
		echo "installing$$missing (Debian's packages) for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(PY_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

$(KAFKA_STAMP): deploy/kafka/pom.xml
	@command -v java >/dev/null || { echo "Java 17+ is needed for the local Kafka broker"; exit 1; }
	@command -v mvn >/dev/null || { echo "Maven is needed to resolve the Kafka jars"; exit 1; }
	rm -rf $(KAFKA_LIBS)
	mvn --quiet --batch-mode -f deploy/kafka/pom.xml dependency:copy-dependencies -Dlibs.dir=$(CURDIR)/$(KAFKA_LIBS)
	@touch $@

.PHONY: helm
helm: $(HELM_STAMP)

$(HELM_STAMP):
	@command -v go >/dev/null || { echo "Go is needed to build Helm (make helm)"; exit 1; }
	GOBIN=$(CURDIR)/.local/bin GOFLAGS=-buildvcs=false go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	@rm -f .local/bin/.helm-* && touch $@

$(ASYNCAPI_STAMP):
	@command -v npm >/dev/null || { echo "npm is needed to fetch the AsyncAPI viewer"; exit 1; }
	rm -rf $(ASYNCAPI_DIR) && mkdir -p $(ASYNCAPI_DIR)/.pack
	cd $(ASYNCAPI_DIR)/.pack && npm pack --silent $(ASYNCAPI_VIEWER) >/dev/null && tar -xzf *.tgz
	cp $(ASYNCAPI_DIR)/.pack/package/browser/standalone/index.js $(ASYNCAPI_DIR)/.pack/package/styles/default.min.css $(ASYNCAPI_DIR)/
	rm -rf $(ASYNCAPI_DIR)/.pack
	@touch $@

run: setup
	@mkdir -p .local/temporal .local/data .local/traces .local/mail
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f deploy/local/Procfile -d .

check: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

test: check
	$(BIN)/pytest

# The distributed suite (tests/cluster, left out of `make test`): minutes on a small machine.
test-cluster: setup
	FAIO_TEST_CLUSTER=1 $(BIN)/pytest tests/cluster -s -q

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	@for bench in tests/bench/bench_*.py; do \
		module=$${bench%.py}; module=$${module//\//.}; \
		echo "== $$module"; $(BIN)/python -m $$module || exit 1; \
	done

# About 25 clinics at every stage and weeks of partner events, sent to the running services' APIs.
demo: setup
	$(BIN)/python -m deploy.demo.fill

# A new Alembic revision from a service's models: make migration SERVICE=audit MSG="add windows"
migration: setup
	$(BIN)/python deploy/new_migration.py $(SERVICE) "$(MSG)"

clean:
	rm -rf .local/data .local/traces .local/temporal .local/kafka/data
