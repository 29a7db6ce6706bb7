# Wardgate developer commands. `make run` and `make check` are the README's two commands: each
# creates the virtual environment it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run check test lint typecheck format bench clean

$(BIN)/wardgate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/wardgate

## run: install, then scan the bundled sample prompts with the default engine
run: $(BIN)/wardgate
	$(BIN)/wardgate scan --jsonl examples/sample_prompts.jsonl --no-progress

## check: install, then ruff (format + lint), mypy --strict on src/, and the test suite
check: lint typecheck test

lint: $(BIN)/wardgate
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

typecheck: $(BIN)/wardgate
	$(BIN)/mypy

test: $(BIN)/wardgate
	$(BIN)/pytest

format: $(BIN)/wardgate
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## bench: detection quality and latency on ../shared/data/detection (see bench/README.md)
bench: $(BIN)/wardgate
	$(BIN)/python -m bench.eval_detection --via api --markdown docs/benchmarks-eval.md
	$(BIN)/python -m bench.latency

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
