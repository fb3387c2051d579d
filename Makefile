# One command to set up and run the weekly job, one to set up and run the tests.
# Both create .venv on first use and reinstall when pyproject.toml or constraints.txt change.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: run test bench clean

run: $(STAMP)
	$(BIN)/casewatch run

test: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_classify.py
	$(BIN)/python bench/bench_pipeline.py

$(STAMP): pyproject.toml constraints.txt
	@echo "installing casewatch and its dependencies into $(VENV) (a few minutes the first time)..."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) casewatch.db casewatch.db-wal casewatch.db-shm reports models
