# chartsift: `make demo` runs the main job on the sample notes; `make test` runs every test.
SHELL := /bin/bash
VENV := .venv/bin
export PREFECT_HOME ?= $(CURDIR)/.cache/prefect
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS :=
export HF_HUB_OFFLINE := 1

.PHONY: help setup demo test test-fast lint bench clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

setup:  ## create .venv from requirements-cpu.lock and prepare the CPU model
	@mkdir -p "$(PREFECT_HOME)"
	@scripts/setup.sh

demo: setup  ## run chartsift on samples/notes into ./out (real vLLM on CPU), then query it
	$(VENV)/chartsift run --source samples/notes --output out
	$(VENV)/chartsift query --output out --limit 20 "select fact_type, name, attributes, evidence from facts order by fact_type, name"
	$(VENV)/chartsift query --output out "select run_id, notes_input, notes_output, notes_quarantined, facts_output, facts_ungrounded, round(notes_per_second, 2) as notes_per_s from runs order by ended_at"

test: setup lint  ## all tests: fast unit tests, then slow and integration (real vLLM, S3 server, Prefect)
	$(VENV)/pytest -m "" --durations=15

test-fast: setup  ## fast unit tests only (seconds)
	$(VENV)/pytest

lint:  ## ruff and the import contracts (transforms imports no prefect/boto3/vllm/flows)
	$(VENV)/ruff check flows transforms tests benchmarks
	$(VENV)/lint-imports

clean:  ## remove outputs and caches (not the venv)
	rm -rf out .cache .pytest_cache
