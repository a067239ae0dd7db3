# mqtriage: every target creates its own virtual environment from pyproject.toml.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out/demo

.PHONY: help venv demo test lint bench train docs golden samples limits clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,dask]'
	touch $(STAMP)

venv: $(STAMP)  ## create .venv and install the project with its dev and dask extras

demo: $(STAMP)  ## run the whole pipeline on data/samples; report in out/demo/report.html
	$(BIN)/mqtriage run data/samples --out $(OUT) --tz UTC --html $(OUT)/report.html \
		--preflight data/samples/config --as-of 2026-11-20

test: $(STAMP)  ## run the test suite
	$(BIN)/python -m pytest -q

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check pipeline tests
	$(BIN)/mypy pipeline

bench: $(STAMP)  ## measure throughput and memory; writes docs/performance.md
	$(BIN)/python -m pipeline.bench --out-doc docs/performance.md

train: $(STAMP)  ## regenerate data/training and retrain models/
	$(BIN)/mqtriage model train

docs: $(STAMP)  ## regenerate docs/rules.md and docs/cli.md
	$(BIN)/mqtriage rules docs --out docs/rules.md
	$(BIN)/python -m pipeline.cli.docgen docs/cli.md

golden: $(STAMP)  ## regenerate the parser golden files (review the diff)
	MQTRIAGE_REGEN_GOLDEN=1 $(BIN)/python -m pytest -q tests/ingest/test_textlog_golden.py

samples: $(STAMP)  ## regenerate data/samples (logs, exports) from the scenario generator
	$(BIN)/python -m pipeline.samples --out data/samples

limits: $(STAMP)  ## resource-limit runs (2 GB file, 10,000 files); figures for docs/reliability.md
	$(BIN)/python -m pipeline.reliability limits

clean:  ## remove the venv and outputs
	rm -rf $(VENV) out
