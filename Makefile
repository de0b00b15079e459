# IOC Alerts: the two commands a user needs are `make demo` and `make test`.
# Each creates or updates what it needs first, from nothing but Python 3.11:
#   .venv         the project and its development tools
#   .venv-sam     aws-sam-cli and cfn-lint (they pin their own boto3)
#   .venv-lambda  only what the Lambda python3.11 runtime provides (boto3), for the build check

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAM_BIN := .venv-sam/bin
SAM_STAMP := .venv-sam/.installed
LAMBDA_STAMP := .venv-lambda/.installed

export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= ap-southeast-1

.PHONY: demo test lint typecheck template unit build build-check bench clean

$(STAMP): pyproject.toml requirements-dev.txt layers/common/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(SAM_STAMP): requirements-sam.txt
	test -x $(SAM_BIN)/python || $(PYTHON) -m venv .venv-sam
	$(SAM_BIN)/python -m pip install --quiet -r requirements-sam.txt
	touch $@

$(LAMBDA_STAMP): requirements-lambda.txt
	test -x .venv-lambda/bin/python || $(PYTHON) -m venv .venv-lambda
	.venv-lambda/bin/python -m pip install --quiet -r requirements-lambda.txt
	touch $@

## The main job, locally: moto server + metrics API + the real handlers, day by day.
demo: $(STAMP)
	$(BIN)/ioc-alerts demo

## Everything CI checks: lint, types, the template, the tests, and the built functions.
test: lint typecheck template unit build-check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

template: $(SAM_STAMP)
	$(SAM_BIN)/cfn-lint template.yaml
	$(SAM_BIN)/sam validate --lint

unit: $(STAMP)
	$(BIN)/pytest

build: $(SAM_STAMP)
	$(SAM_BIN)/sam build

## The built functions, run with only the layer and the runtime's boto3.
build-check: build $(STAMP) $(LAMBDA_STAMP)
	$(BIN)/python tests/build/check_build.py .aws-sam/build .venv-lambda/bin/python

## Figures for the performance targets (not a test): `make bench UNITS="10000 100000"`.
UNITS ?= 10000 100000
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py --units $(UNITS)

clean:
	rm -rf $(VENV) .venv-sam .venv-lambda .aws-sam .pytest_cache .mypy_cache .ruff_cache demo-out
