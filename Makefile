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
	mkdir -p bench/out
	$(BIN)/python -m bench.eval_detection --via cli --config configs/signatures-only.yaml --loso --families --markdown bench/out/eval-signatures.md --save-scores bench/out/scores-signatures.jsonl
	$(BIN)/python -m bench.eval_detection --via api --loso --markdown bench/out/eval-default.md
	$(BIN)/python -m bench.latency --config configs/signatures-only.yaml --markdown bench/out/latency-signatures.md
	$(BIN)/python -m bench.latency --markdown bench/out/latency.md
	$(BIN)/python -m bench.report

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
