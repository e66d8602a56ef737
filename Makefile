# The two quickstart commands (README): `make demo` and `make test`.
# Both create ./.venv on first use and install into it; nothing global is touched.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DEMO   ?= demo-project

.PHONY: demo test test-fast lint typecheck docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## Scaffold a project with the built-in defaults, then assess it (the main job, end to end).
demo: $(VENV)/.installed
	rm -rf $(DEMO)
	$(BIN)/mlops-factory new $(DEMO) --defaults
	$(BIN)/mlops-factory assess $(DEMO) --no-input
	@echo "Run the CLI as $(BIN)/mlops-factory (or after: source $(BIN)/activate), e.g. $(BIN)/mlops-factory --help"

# checkov checks the generated Terraform/Bicep. It gets its own venv: its HCL parser
# (bc-python-hcl2) installs the same module name as python-hcl2, which the tests use.
CHECKOV = .tools/checkov/bin/checkov
$(CHECKOV):
	$(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/python -m pip install --quiet 'checkov>=3.2,<4'

# Azurite, the Azure Storage emulator (npm): the end-to-end test of the generated projects'
# monitoring loop runs against it. Installed locally, never globally; needs node and npm.
AZURITE_VERSION ?= 3.35.0
AZURITE = .tools/azurite/node_modules/.bin/azurite-blob
$(AZURITE):
	npm install --prefix .tools/azurite --no-audit --no-fund --loglevel=error azurite@$(AZURITE_VERSION)

# pytest-xdist workers: `auto` is one per CPU core. `--dist loadscope` keeps each test module
# on one worker, so a module fixture (the end-to-end tests' generated projects and their
# installs) is built once, not once per worker.
WORKERS ?= auto
PYTEST   = $(BIN)/python -m pytest -n $(WORKERS) --dist loadscope

## Run the whole test suite in parallel, the end-to-end tests of generated projects included.
test: $(VENV)/.installed $(CHECKOV) $(AZURITE)
	CHECKOV=$(abspath $(CHECKOV)) AZURITE=$(abspath $(AZURITE)) $(PYTEST)

## The suite without the slow end-to-end tier (`-m "not slow"`); installs no checkov or Azurite
## (the tests needing them are skipped outside CI).
test-fast: $(VENV)/.installed
	$(PYTEST) -m "not slow"

lint: $(VENV)/.installed
	$(BIN)/ruff check mlops_factory tests benchmarks
	$(BIN)/ruff format --check mlops_factory tests benchmarks

typecheck: $(VENV)/.installed
	$(BIN)/mypy

docs: $(VENV)/.installed
	$(BIN)/python -m mlops_factory._assess.docs
	$(BIN)/python -m mlops_factory._assess.technologies_docs

bench: $(VENV)/.installed
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .tools $(DEMO) .pytest_cache .mypy_cache .ruff_cache
