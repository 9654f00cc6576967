# transitions-analysis - `make help` lists the targets.
# Two commands do everything on a fresh machine: `make report` and `make test`.
# Both create the virtual environment (.venv) first when it is missing or out of date.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := data/raw/sample/feedback
REPORTS := reports
# bench_scale.py: the Grand Débat corpus, then replicated to one million answers (30-60 min on 2 cores)
BENCH_SCALE_ARGS ?= --million

.DEFAULT_GOAL := help
.PHONY: help env report test lab bench clean distclean notebooks

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

env: $(STAMP) ## create .venv and install the package, its pinned French model and tools

report: $(STAMP) ## run the whole pipeline on the sample data and write reports/ (HTML, figures, tables)
	$(BIN)/transitions-analysis report $(SAMPLE) --out $(REPORTS) --notebooks

test: $(STAMP) ## check the dependency rule between packages, then run the test suite (creates the environment when missing)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

lab: $(STAMP) ## open JupyterLab on notebooks/ with the package importable (.py paired with .ipynb)
	@for f in notebooks/[0-9]*.py; do test -f "$${f%.py}.ipynb" || $(BIN)/jupytext --quiet --to ipynb "$$f"; done
	$(BIN)/jupyter lab --notebook-dir=notebooks $$(test "$$(id -u)" = 0 && echo --allow-root)

bench: $(STAMP) ## run the benchmarks (prints speed and memory figures)
	$(BIN)/python benchmarks/bench_coding.py
	nice $(BIN)/python benchmarks/bench_scale.py $(BENCH_SCALE_ARGS)

clean: ## remove generated data and reports (never data/raw)
	rm -rf data/processed/* $(REPORTS)/* .cache .pytest_cache
	touch data/processed/.gitkeep $(REPORTS)/.gitkeep

distclean: clean ## also remove the virtual environment
	rm -rf $(VENV)
