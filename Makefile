# The two commands a user needs: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export ORT_DISABLE_TELEMETRY := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test install index frontend system-deps lint eval bench test-llm clean

run: install index frontend
	$(BIN)/interviewer ui

test: install system-deps
	$(BIN)/ruff check interviewer tests evals
	$(BIN)/pytest -q

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
	$(PY) -m interviewer.ui.frontend

# Debian packages the browser tests need; quick when already there.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian) for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

lint: install
	$(BIN)/ruff check interviewer tests evals

eval: install
	$(BIN)/interviewer eval all --model offline

bench: install
	$(PY) -m interviewer.bench

clean:
	rm -rf .data .pytest_cache
