# apibrake developer tasks. `make demo` and `make test` install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Lambda runs Python 3.12: use it when this machine has one (plain or through
# pyenv), otherwise fall back to 3.11.
PY312 := $(shell for c in "python3.12" "env PYENV_VERSION=$$(pyenv versions --bare 2>/dev/null | grep '^3\.12' | tail -n1) python3.12"; do \
	  $$c -c 'import sys; print(sys.executable)' 2>/dev/null && break; done)
PYTHON ?= $(if $(PY312),$(PY312),$(shell command -v python3.11 || command -v python3))
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
# checkov pins many libraries of its own: it gets a venv apart from the dev one.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# Packaging tools (build, twine, pipx) in a venv of their own; .package/ holds their output.
PACKAGE_VENV := .venv-package
PACKAGE_STAMP := $(PACKAGE_VENV)/.installed
PACKAGE_OUT := .package
export AWS_DEFAULT_REGION ?= us-east-1

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml layers/apibrake/requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

$(SAM_STAMP):
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q --upgrade pip
	$(SAM_VENV)/bin/python -m pip install -q 'aws-sam-cli==1.170.0'
	@touch $@

$(CHECKOV_STAMP):
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install -q 'checkov==3.3.30'
	@touch $@

$(PACKAGE_STAMP):
	@test -x $(PACKAGE_VENV)/bin/python || $(PYTHON) -m venv $(PACKAGE_VENV)
	$(PACKAGE_VENV)/bin/python -m pip install -q --upgrade pip
	$(PACKAGE_VENV)/bin/python -m pip install -q 'build>=1.2' 'twine>=6' 'pipx>=1.7'
	@touch $@

venv: $(STAMP)  ## create or refresh the dev venv

lint: $(STAMP)  ## ruff (lint + format check)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## apply ruff formatting and fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)  ## mypy, strict on the apibrake package
	$(BIN)/mypy layers/apibrake/apibrake sandbox localaws functions drill apibrake_cli

unit: $(STAMP)  ## the test suite without slow tests
	$(BIN)/pytest -m "not slow" -q

test-all: $(STAMP)  ## every test, slow ones included
	$(BIN)/pytest -q

# sam needs a region and some credentials to start: give it dummy ones, never
# a profile, and no telemetry.
SAM := env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID=testing \
	AWS_SECRET_ACCESS_KEY=testing SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam

template-check: $(STAMP) $(SAM_STAMP)  ## cfn-lint, sam validate --lint, sam build
	$(BIN)/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml --region $(AWS_DEFAULT_REGION)
	@if [ -n "$(PY312)" ]; then \
	  echo "sam build with $(PY312)"; \
	  PATH="$$(dirname $(PY312)):$$PATH" $(SAM) build --template template.yaml \
	    --build-dir .aws-sam/build --region $(AWS_DEFAULT_REGION); \
	else echo "sam build skipped: no python3.12 on this machine"; fi

# checkov on the SAM template and on the plain CloudFormation SAM makes of it (.checkov.yaml).
security: $(STAMP) $(CHECKOV_STAMP)  ## IaC scan (checkov) and ruff's security rules
	$(BIN)/python -m tests.security.cloudformation .aws-sam/plain/template.json
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml
	$(BIN)/ruff check --select S --ignore S101 layers sandbox localaws functions drill

# What a user gets from `pipx install .`: the build backend must not warn (a deprecation
# today is a broken build tomorrow), twine must accept the metadata, the command must run.
package: $(PACKAGE_STAMP)  ## sdist + wheel without backend warnings, twine check, pipx install
	rm -rf $(PACKAGE_OUT) build && mkdir -p $(PACKAGE_OUT)
	$(PACKAGE_VENV)/bin/python -m build --outdir $(PACKAGE_OUT)/dist . > $(PACKAGE_OUT)/build.log 2>&1 \
	  || { cat $(PACKAGE_OUT)/build.log; exit 1; }
	@if grep -iE "deprecat|SetuptoolsWarning|SetuptoolsDeprecationWarning" $(PACKAGE_OUT)/build.log; then \
	  echo "the build backend warns (above)"; exit 1; fi
	$(PACKAGE_VENV)/bin/twine check --strict $(PACKAGE_OUT)/dist/*
	PIPX_HOME=$(PACKAGE_OUT)/pipx PIPX_BIN_DIR=$(PACKAGE_OUT)/bin $(PACKAGE_VENV)/bin/pipx install \
	  --python $(PYTHON) $(PACKAGE_OUT)/dist/*.whl > $(PACKAGE_OUT)/pipx.log 2>&1 \
	  || { cat $(PACKAGE_OUT)/pipx.log; exit 1; }
	$(PACKAGE_OUT)/bin/apibrake --version
	$(PACKAGE_OUT)/bin/apibrake --help > /dev/null
	@rm -rf build

# The suite is the long pole and keeps about one core busy; the checks, and the venvs they
# install, run beside it on the other core at a lower priority, as do the fast score
# scenarios (started by tests/score/conftest.py), so they fill idle time instead of slowing
# the suite. Each step's output is printed in one piece when it ends. (Two pytest processes side by side were tried: on
# this 2-core machine, shared, they took 32-39 % longer than the same tests one after the
# other: the suite waits on round trips between processes, not on CPU alone.)
test: $(STAMP)  ## everything CI runs (the checks beside the suite, each printed when done)
	@$(MAKE) --no-print-directory -j2 --output-sync=target unit checks

checks: $(STAMP)  ## lint, typecheck, template-check, security, package (no tests)
	@nice -n 10 $(MAKE) --no-print-directory --output-sync=target \
	  lint typecheck template-check security package

bench: $(STAMP)  ## benchmark tables (API calls, wall time, memory, import time)
	$(BIN)/python -m benchmarks.monitor
	$(BIN)/python -m benchmarks.brake
	$(BIN)/python -m benchmarks.release_many

reliability: $(STAMP)  ## fault matrix (printed as a table), crash safety, deadlines, load, deep model run
	$(BIN)/pytest tests/reliability -q -p no:cacheprovider
	APIBRAKE_MODEL_PROFILE=deep $(BIN)/pytest tests/model -q -p no:cacheprovider

# SOAK_SEED=N replays a run; without it a random seed is drawn and printed.
soak: $(STAMP)  ## 30 simulated days, faults, crashes and overlaps: prints the soak table
	$(BIN)/python -m tests.soak $(if $(SOAK_SEED),--seed $(SOAK_SEED))

demo: $(STAMP)  ## the drill on the local stack (moto + sandbox)
	$(BIN)/python -m drill

score: $(STAMP)  ## containment score: the runaway scenarios, table + drill-report/score.json
	$(BIN)/python -m drill.score --json drill-report/score.json

clean:  ## remove venvs and build output
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) $(PACKAGE_VENV) $(PACKAGE_OUT) .aws-sam .mypy_cache \
	  .ruff_cache .pytest_cache

.PHONY: help venv lint format typecheck unit checks test-all template-check security package test bench \
	reliability soak demo score clean
