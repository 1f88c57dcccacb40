PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STACK ?= dev
STACKS := $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml))

.PHONY: install compaction-package plan plan-all test lint bench bench-volume bench-compaction bench-diagnosis

# One virtualenv for the program, the policy pack, the tests and the tools.
install: $(VENV)/.installed
# seslog is installed editable, with its extras, so that `seslog` runs the checkout's code.
$(VENV)/.installed: pyproject.toml requirements.txt requirements-dev.txt policies/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt -e '.[local,web,mcp]'
	touch $@

# The compaction job's Lambda package (seslog/compaction/package.py): the stack uploads it when `compaction` is on.
# Rebuilt when seslog's code or the installed versions change.
PACKAGE := build/compaction.zip
compaction-package: $(PACKAGE)
$(PACKAGE): $(VENV)/.installed $(shell find seslog -name '*.py' -o -name '*.sql' -o -name '*.json' | grep -v __pycache__)
	$(BIN)/python -m seslog.compaction.package $@

# What `pulumi up` would create for STACK, evaluated offline, and the policy pack's verdict;
# fails on a mandatory policy violation.
plan: install $(PACKAGE)
	$(BIN)/python -m offline.plan $(STACK)

# The same for every stack; fails if any stack does.
plan-all: install $(PACKAGE)
	@status=0; for stack in $(STACKS); do $(BIN)/python -m offline.plan $$stack || status=1; done; exit $$status

# The tests spread over the machine's cores (-n auto), one at a time to whichever worker is free;
# the data sets several tests read are written once for the run (tests/shared_data.py). Bytecode is
# written even where PYTHONDONTWRITEBYTECODE is set: the workers and the seslog processes the tests
# start then compile the code and rewrite the tests' asserts once, not each.
test: install $(PACKAGE)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -q -n auto --dist worksteal

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Which format and partitioning to choose: writes every layout of about 880,000 generated events,
# measures the bytes each investigation reads and times it; results in bench/results/.
bench: install
	$(BIN)/python -m bench

# The message lookups at make bench's volume and at a million mails a day (bench/volume.py):
# about 35 minutes on 2 cores, 2 writing processes of up to about 3 GB each; progress on stderr;
# results in bench/results/volume.md. WORK holds the layouts (about 3 GB) and the kept runs.
WORK ?= /tmp/ses-event-log-bench-volume
bench-volume: install
	$(BIN)/python -m bench.volume --work $(WORK)

# What the compacted tables read for a message's and a recipient's events at a million mails a day, against
# parquet-send-date and the baseline, checked against the bytes DuckDB reads (bench/compaction.py): about 30 minutes
# on 2 cores, compacting a day takes a process about 11 GB (the stack's hourly copies about 1.2 GB each); progress on stderr; results in
# bench/results/compaction.md. COMPACTION_WORK (empty) keeps the layouts (about 2.2 GB) for
# `python -m bench.compaction --measure` or `--report` with `--work DIR`; unset, a temporary directory is used and removed.
COMPACTION_WORK ?=
bench-compaction: install
	$(BIN)/python -m bench.compaction $(if $(COMPACTION_WORK),--work $(COMPACTION_WORK))

# How many of the test replies (tests/diagnosis_corpus.py) each provider's rules decide: a coverage report, not timed.
bench-diagnosis: install
	$(BIN)/python -m bench.diagnosis
