# `make run` shows the newest Django release's components; `make test` lints and
# runs the whole suite. Both install what they need into .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SDIST_CACHE := .cache/sdists

.PHONY: venv run test lint

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	touch $@

# One recipe line, so a failed download stops before the analyzer runs.
run: venv
	tree="$$($(BIN)/python -m tracker.sdist django --cache $(SDIST_CACHE))" && \
		$(BIN)/python -m analyzers "$$tree"

lint: venv
	$(BIN)/ruff check .

test: venv
	$(BIN)/ruff check .
	$(BIN)/python -m pytest
