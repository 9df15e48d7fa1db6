# The two commands of the README, and the pieces they are made of. Both bootstrap their own
# virtual environments from this repo's files (pyproject.toml and the locks in requirements/).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
BOOT := .venv-boot
VENV := .venv
CHECKOV_VENV := .venv-checkov
# mkdocs and its Material theme, for the documentation site (mkdocs.yml, `make docs`).
DOCS_VENV := .venv-docs
# The AWS provider's schema (cdktn-provider-aws) for the Terraform renders' `make schema`.
TERRAFORM_VENV := .venv-terraform
# Copier and cookiecutter as a user installs them on the oldest Pythons they run on:
# tests/test_hosts.py renders the template from these environments.
HOSTS_VENV := .venv-hosts
HOST_PYTHONS := 3.10 3.11
HOSTS := $(HOST_PYTHONS:%=$(HOSTS_VENV)/%/.installed)
UV := $(BOOT)/bin/uv
# The test environment runs the rendered functions' code, so it needs a Python that the Lambda
# runtime also offers: the first python3.13 or python3.12 that runs, on PATH or under pyenv.
TEST_PYTHON ?= $(shell for v in 3.13 3.12; do \
	for c in python$$v $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v*/bin/python$$v; do \
	$$c -c "" 2>/dev/null && { command -v $$c; exit 0; }; done; done)
# Where `make new` writes; override with `make new DEST=../my-function`.
DEST ?= out/new-function
# Two cores here: one xdist worker per answer set, each rendering its set once.
PYTEST_WORKERS ?= 2

.PHONY: help new test test-fast lint lock bench docs clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.9"

$(VENV)/.installed: requirements/test.txt | $(UV)
	@test -n "$(TEST_PYTHON)" || { echo "make: needs Python 3.13 or 3.12 (python3.13 on PATH or under pyenv)" >&2; exit 1; }
	$(UV) venv --quiet --allow-existing --python "$(TEST_PYTHON)" $(VENV)
	@# Bytecode compiled once here: every synth, render and test process imports aws-cdk-lib
	@# (thousands of modules) and would compile it again, as PYTHONDONTWRITEBYTECODE keeps it unsaved.
	$(UV) pip sync --quiet --compile-bytecode --python $(VENV)/bin/python requirements/test.txt
	touch $@

# checkov pins an old boto3, so it gets an environment of its own.
$(CHECKOV_VENV)/.installed: requirements/checkov.txt | $(UV)
	$(UV) venv --quiet --allow-existing --python "$(PYTHON)" $(CHECKOV_VENV)
	$(UV) pip sync --quiet --compile-bytecode --python $(CHECKOV_VENV)/bin/python requirements/checkov.txt
	touch $@

# cdktn-provider-aws pins constructs below aws-cdk-lib's, so it gets an environment of its own.
$(TERRAFORM_VENV)/.installed: requirements/terraform.txt | $(UV)
	$(UV) venv --quiet --allow-existing --python "$(PYTHON)" $(TERRAFORM_VENV)
	$(UV) pip sync --quiet --python $(TERRAFORM_VENV)/bin/python requirements/terraform.txt
	touch $@

# The site's pins (Markdown, Jinja) stay out of the test environment.
$(DOCS_VENV)/.installed: requirements/docs.txt | $(UV)
	$(UV) venv --quiet --allow-existing --python "$(PYTHON)" $(DOCS_VENV)
	$(UV) pip sync --quiet --python $(DOCS_VENV)/bin/python requirements/docs.txt
	touch $@

# One environment per host Python, all from the one universal lock. The interpreter is found like
# TEST_PYTHON; without one, uv is asked for the version (it may download a managed Python).
$(HOSTS_VENV)/%/.installed: requirements/hosts.txt | $(UV)
	py="$$(for c in python$* $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$*.*/bin/python$*; do \
		$$c -c "" 2>/dev/null && { command -v $$c; break; }; done)"; \
		$(UV) venv --quiet --allow-existing --python "$${py:-$*}" $(HOSTS_VENV)/$*
	$(UV) pip sync --quiet --python $(HOSTS_VENV)/$*/bin/python requirements/hosts.txt
	touch $@

new: $(VENV)/.installed ## Render a project into DEST (prompts on a terminal, defaults otherwise)
	@if [ -e "$(DEST)" ] && [ -n "$$(ls -A "$(DEST)" 2>/dev/null)" ]; then \
		echo "make new: $(DEST) already holds files; choose another: make new DEST=<empty dir>" >&2; \
		exit 1; fi
	@if [ -t 0 ] && [ -z "$${CI:-}" ]; then defaults=""; else defaults="--defaults"; fi; \
		$(VENV)/bin/copier copy --trust --vcs-ref HEAD $$defaults . "$(DEST)"
	@echo "make new: wrote $$(cd "$(DEST)" && pwd)"

lint: $(VENV)/.installed ## ruff and mypy --strict on the hooks, tests, benchmarks, validation and tools
	$(VENV)/bin/ruff check hooks tests benchmarks validation tools
	$(VENV)/bin/ruff format --check hooks tests benchmarks validation tools
	$(VENV)/bin/mypy

# --durations: every run's log shows where the 45-minute budget goes.
test: lint $(CHECKOV_VENV)/.installed $(TERRAFORM_VENV)/.installed $(DOCS_VENV)/.installed $(HOSTS) ## Whole suite: lint, template tests, slow end-to-end
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=40

test-fast: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(TERRAFORM_VENV)/.installed $(DOCS_VENV)/.installed $(HOSTS) ## Template tests without the slow end-to-end
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not slow"

lock: $(VENV)/.installed ## Re-resolve requirements/*.txt from pyproject.toml
	$(UV) pip compile --quiet --upgrade pyproject.toml --extra test --python-version 3.12 -o requirements/test.txt
	$(UV) pip compile --quiet --upgrade pyproject.toml --extra checkov --python-version 3.11 -o requirements/checkov.txt
	$(UV) pip compile --quiet --upgrade pyproject.toml --extra terraform --python-version 3.12 -o requirements/terraform.txt
	$(UV) pip compile --quiet --upgrade pyproject.toml --extra hosts --universal --python-version 3.10 -o requirements/hosts.txt
	$(UV) pip compile --quiet --upgrade pyproject.toml --extra docs --python-version 3.11 -o requirements/docs.txt

# QUICK=1: every measurement path with few runs, results under benchmarks/.work/quick/ (the
# committed benchmarks/results.* are left alone).
bench: $(VENV)/.installed ## Benchmarks against the baselines: benchmarks/results.md (QUICK=1: smoke)
	$(VENV)/bin/python -m benchmarks.run $(if $(filter-out 0,$(QUICK)),--quick) --uv $(UV)

# The generated pages first (tools/docs_pages.py), then the strict build.
docs: $(VENV)/.installed $(DOCS_VENV)/.installed ## The documentation site into site/ (--strict: a broken link fails)
	$(VENV)/bin/python -m tools.docs_pages
	NO_MKDOCS_2_WARNING=1 $(DOCS_VENV)/bin/mkdocs build --strict

clean: ## Remove environments, renders and caches
	rm -rf $(BOOT) $(VENV) $(CHECKOV_VENV) $(TERRAFORM_VENV) $(DOCS_VENV) $(HOSTS_VENV) out site .pytest_cache .mypy_cache .ruff_cache
