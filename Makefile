# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The stamp is named after pyproject.toml's checksum, so a changed dependency re-installs.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# The tests also run the cluster engine on a local Ray cluster: the `cluster` extra, for tests only.
CLUSTER_STAMP := $(VENV)/.installed-cluster-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test test-fast install samples models bench clean-cache

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

$(CLUSTER_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,cluster]'
	touch $(CLUSTER_STAMP)

## The app on resources/samples (without a display: the same batch, headless, into exports/)
run: install
	$(PY) main.py

# Test processes: one per core of the 2-core machines the project is measured on; each takes a
# whole test file, so a file's shared fixtures (trained bundles, a Ray cluster) are made once.
TEST_WORKERS ?= 2
PYTEST := QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

## Lint (ruff), then the whole test suite (offscreen Qt)
test: $(CLUSTER_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PYTEST) --durations=25

## The fast tier for a change in progress: every test not marked slow, training or cluster
test-fast: $(STAMP)
	$(PYTEST) -m "not slow and not training and not cluster"

## Rebuild the shipped bundles and samples from scratch (docs/accuracy.md: "Reproducing the shipped models")
models: install
	bash scripts/train_shipped_models.sh
