# The two commands a user needs: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export ORT_DISABLE_TELEMETRY := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test test-fast typecheck install index frontend system-deps lint eval bench test-llm clean

run: install index frontend
	$(BIN)/interviewer ui

test: install system-deps
	$(BIN)/ruff check interviewer tests evals
	$(MAKE) --no-print-directory typecheck
	$(BIN)/pytest -q

# The unit lane for a developer's loop: no browser, no servers, no SIGKILL loop, no real model.
test-fast: install
	$(BIN)/ruff check interviewer tests evals
	$(BIN)/pytest -q -m "not integration and not browser and not llm"

# Static types of the package and the evals (mypy, settings in pyproject.toml).
typecheck: install
	$(BIN)/mypy interviewer evals

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(BIN)/uv --version >/dev/null 2>&1 || $(PY) -m pip install -q uv
	$(BIN)/uv pip install -q -p $(PY) -r requirements.lock
	$(BIN)/uv pip install -q -p $(PY) --no-deps -e .
	@touch $@

# Regenerate the lock after editing dependencies in pyproject.toml.
lock:
	$(BIN)/uv pip compile -q pyproject.toml --extra dev -o requirements.lock -p $(PY)

index: install
	$(BIN)/interviewer index

# An offline copy of Chainlit's page (no CDN fonts or stylesheets); idempotent.
frontend: install
	$(BIN)/interviewer dev frontend

# Debian packages the browser tests need; quick when already there.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian) for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
	  echo "installing postgresql (Debian) for the transcript-store tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# Chroma's server and a PostgreSQL cluster on loopback, for several app instances on one machine
# (docs/deployment.md). Idempotent; data in $(SERVICES); `make services-stop` stops both.
SERVICES ?= .data/services
SERVICES_CHROMA_PORT ?= 8001
SERVICES_PG_PORT ?= 5433
SERVICES_ENV = CHROMA_HOST=127.0.0.1 CHROMA_PORT=$(SERVICES_CHROMA_PORT) \
  INTERVIEWER_DATABASE_URL=postgresql://interviewer@127.0.0.1:$(SERVICES_PG_PORT)/interviewer
PG_DIR = $(abspath $(SERVICES))/postgres
PG_AS = $$([ "$$(id -u)" = 0 ] && echo runuser -u postgres --)
PG_BIN = $$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
.PHONY: services services-stop
services: install system-deps
	@mkdir -p $(SERVICES)/chroma $(PG_DIR) && chmod 700 $(PG_DIR)
	@[ "$$(id -u)" != 0 ] || chown postgres: $(PG_DIR)
	@[ -s $(PG_DIR)/PG_VERSION ] || $(PG_AS) $(PG_BIN)/initdb -D $(PG_DIR) -U interviewer \
	  --auth=trust -E UTF8 --locale=C >/dev/null
	@$(PG_AS) $(PG_BIN)/pg_ctl -D $(PG_DIR) status >/dev/null 2>&1 || \
	  $(PG_AS) $(PG_BIN)/pg_ctl -D $(PG_DIR) -l $(PG_DIR)/server.log -w \
	    -o "-p $(SERVICES_PG_PORT) -h 127.0.0.1 -k $(PG_DIR)" start >/dev/null
	@$(PG_BIN)/psql -h 127.0.0.1 -p $(SERVICES_PG_PORT) -U interviewer -d postgres -tAc \
	  "SELECT 1 FROM pg_database WHERE datname = 'interviewer'" | grep -q 1 || \
	  $(PG_BIN)/createdb -h 127.0.0.1 -p $(SERVICES_PG_PORT) -U interviewer interviewer
	@if ! { [ -f $(SERVICES)/chroma.pid ] && kill -0 $$(cat $(SERVICES)/chroma.pid) 2>/dev/null; }; then \
	  nohup $(BIN)/chroma run --path $(SERVICES)/chroma --host 127.0.0.1 \
	    --port $(SERVICES_CHROMA_PORT) >$(SERVICES)/chroma.log 2>&1 & echo $$! >$(SERVICES)/chroma.pid; fi
	@for i in $$(seq 120); do $(PY) -c "import urllib.request as u; \
	  u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:$(SERVICES_CHROMA_PORT)/api/v2/heartbeat', timeout=2)" \
	  2>/dev/null && break; sleep 1; done
	$(SERVICES_ENV) $(BIN)/interviewer index
	@echo "Services up. Start each app instance with:"
	@echo "  $(SERVICES_ENV) CHAINLIT_AUTH_SECRET=<shared secret> $(BIN)/interviewer ui --port 8000"

services-stop:
	@[ ! -f $(SERVICES)/chroma.pid ] || { kill $$(cat $(SERVICES)/chroma.pid) 2>/dev/null; rm -f $(SERVICES)/chroma.pid; }
	@[ ! -s $(PG_DIR)/PG_VERSION ] || $(PG_AS) $(PG_BIN)/pg_ctl -D $(PG_DIR) -m fast -w stop >/dev/null 2>&1 || true

lint: install
	$(BIN)/ruff check interviewer tests evals

# Known vulnerabilities in the locked dependencies (PyPI's advisory data, via pip-audit).
# --strict: a package that cannot be checked fails the audit instead of passing unseen.
.PHONY: audit
audit: install
	$(BIN)/pip-audit -r requirements.lock --no-deps --disable-pip --strict --progress-spinner off

eval: install
	$(BIN)/interviewer eval all --model offline

bench: install
	$(BIN)/interviewer dev bench

clean:
	rm -rf .data .pytest_cache

# The real OpenAI-compatible server tests: llama-cpp-python's server + SmolLM2-135M on loopback.
# llama-cpp-python is source-only on PyPI: the first build takes minutes (uv caches the wheel).
LLAMA_CPP := llama-cpp-python[server]==0.3.36
.PHONY: llm-server
llm-server: install
	@$(PY) -c "import llama_cpp.server" >/dev/null 2>&1 || { \
	  echo "building $(LLAMA_CPP) (several minutes the first time)"; \
	  CMAKE_ARGS="-DGGML_NATIVE=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 nice \
	    $(BIN)/uv pip install -q -p $(PY) -c requirements.lock '$(LLAMA_CPP)'; }
	@$(PY) scripts/fetch_smollm2.py >/dev/null

test-llm: llm-server
	INTERVIEWER_LLM_REQUIRED=1 $(BIN)/pytest -q -m llm
