# Two entry points: `make run` (set up, then the whole pipeline on the embedded
# digits dataset) and `make test` (set up, then the test suite). Both create
# the virtual environment .venv from pyproject.toml on first use, with any
# Python >= 3.11 (`make PYTHON=python3.13 setup` picks one). `make lint` runs
# ruff and Snakemake's linter; `make bench` every benchmark, briefly, as one table;
# `make plan [CONFIG=config/paper.yaml]` the cost of a run before submitting it;
# `make gpu-check` the CUDA tests, then the benchmarks, on a GPU machine.
# The suite runs on TEST_WORKERS processes (pytest-xdist), one test file each
# at a time: most of its tests use one core, so two workers fill two cores.

PYTHON ?= python3
CONFIG ?=
VENV ?= .venv
TEST_WORKERS ?= 2
BIN := $(VENV)/bin

.PHONY: setup run test lint bench plan gpu-check clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: setup
	$(BIN)/snakemake --workflow-profile profiles/default

test: setup
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: setup
	$(BIN)/ruff check .
	$(BIN)/snakemake --lint

bench: setup
	$(BIN)/python benchmarks/bench.py

# The jobs, device-hours and largest jobs of a run from scratch (workflow/rules/plan.smk).
plan: setup
	$(BIN)/snakemake plan --cores 1 --nolock --quiet host progress rules reason $(if $(CONFIG),--configfile $(CONFIG))

# On a GPU machine: the CUDA tests against the CPU (skipped, with the reason, without
# CUDA), then every benchmark, its table also in results/gpu-check.txt. About 3
# minutes on one modern GPU (tests/test_gpu.py, benchmarks/device_check.py).
gpu-check: setup
	$(BIN)/python -m pytest -m gpu -rs -q tests/test_gpu.py
	$(BIN)/python benchmarks/bench.py --out results/gpu-check.txt

clean:
	rm -rf results .snakemake report.html report.zip
