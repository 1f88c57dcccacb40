PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: install plan test lint

# One virtualenv for the program, the policy pack, the tests and the tools.
install: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt policies/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt -r policies/requirements.txt
	touch $@

# What `pulumi up` would create for STACK, evaluated offline.
plan: install
	$(BIN)/python -m offline.plan $(STACK)

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
