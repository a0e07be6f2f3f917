# Two commands do all the set-up on a fresh machine:
#   make run    install, index corpus/, answer a sample question, then serve the API and the web page
#   make test   install everything the tests need and run them all
# Both are idempotent.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run setup setup-test system-deps ingest test lint fix bench eval clean

# Ends serving the API and the web page until Ctrl-C; it prints where to point the browser
# (http://127.0.0.1:8080/ by default; ASSISTANT_SERVER__HOST / ASSISTANT_SERVER__PORT change it).
run: setup ingest
	$(BIN)/assistant ask "What penetration rate for intelligent terminals and agents does the AI+ plan target for 2027?"
	$(BIN)/assistant serve

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# CPU-only torch first: an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[test,bench,eval]"
	touch $(STAMP)

setup-test: setup system-deps

# Debian packages the tests need (installed only when missing; needs root or sudo).
# chromium and chromium-driver: the web page's end-to-end test drives Debian's headless Chromium.
SYSTEM_PACKAGES := chromium chromium-driver
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

ingest: setup
	$(BIN)/assistant ingest corpus

test: setup-test
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check assistant tests
	$(BIN)/ruff format --check assistant tests

fix: setup
	$(BIN)/ruff check --fix assistant tests
	$(BIN)/ruff format assistant tests

# Both evaluation sets through the real service: the metric tables, reports in runs/, and the quality gates
# (exit 1 below configs/quality-gate*.yaml; the real-corpus one when ../shared/data is present). The evaluation index is kept in .assistant/eval/ and re-used.
eval: setup
	$(BIN)/assistant eval run evals/dev.jsonl --index-dir .assistant/eval/dev --gate configs/quality-gate.yaml
	@if [ -d ../shared/data/policy-corpus ]; then \
	  $(BIN)/assistant eval run evals/policy-corpus.jsonl --corpus ../shared/data/policy-corpus --half check \
	    --index-dir .assistant/eval/policy-corpus --gate configs/quality-gate-policy-corpus.yaml && \
	  $(BIN)/assistant eval run evals/cross-lingual.jsonl --corpus ../shared/data/policy-corpus --half check \
	    --index-dir .assistant/eval/policy-corpus --gate configs/quality-gate-cross-lingual.yaml; \
	else echo "../shared/data/policy-corpus is absent: the real-corpus gate is skipped"; fi

# The full benchmark run (manual, about an hour on 2 cores; CI runs `assistant bench --smoke` in the tests).
bench: setup
	$(BIN)/assistant bench

clean:
	rm -rf .assistant .pytest_cache
