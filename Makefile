# Wardgate developer commands. `make run` and `make check` are the README's two commands: each
# creates the virtual environment it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run check services test lint typecheck format bench train clean

$(BIN)/wardgate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/wardgate

## run: install, then scan the bundled sample prompts with the default engine
run: $(BIN)/wardgate
	$(BIN)/wardgate scan --jsonl examples/sample_prompts.jsonl --no-progress

## check: install, then ruff (format + lint), mypy --strict on src/, and the test suite
check: services lint typecheck test

## services: the real servers and browser some tests start (Redis and Chromium, from Debian packages);
## tests that need one skip with a reason where it cannot be installed (no root, no apt)
services:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing redis-server (Debian package) for the shared-limits tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; } || \
	    echo "warning: could not install redis-server; Redis tests will be skipped"; \
	  else echo "note: redis-server not installed; Redis tests will be skipped"; fi; }
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (Debian package) for the console's browser tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	    echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "note: chromium not installed; browser tests will be skipped"; fi; }

lint: $(BIN)/wardgate
	$(BIN)/ruff format --check src tests bench training
	$(BIN)/ruff check src tests bench training

typecheck: $(BIN)/wardgate
	$(BIN)/mypy

test: $(BIN)/wardgate
	$(BIN)/pytest

format: $(BIN)/wardgate
	$(BIN)/ruff format src tests bench training
	$(BIN)/ruff check --fix src tests bench training

## bench: detection quality and latency on ../shared/data/detection (see bench/README.md)
bench: $(BIN)/wardgate
	mkdir -p bench/out
	$(BIN)/python -m bench.eval_detection --via cli --config configs/signatures-only.yaml --loso --families --markdown bench/out/eval-signatures.md --save-scores bench/out/scores-signatures.jsonl
	$(BIN)/python -m bench.eval_detection --via api --loso --group-folds 4 --train-hook training.hooks:fold_config --fold-threshold engine --families --markdown bench/out/eval-default.md
	$(BIN)/python -m bench.latency --config configs/signatures-only.yaml --markdown bench/out/latency-signatures.md
	$(BIN)/python -m bench.latency --corpus 2000 --markdown bench/out/latency.md
	$(BIN)/python -m bench.latency --config configs/accurate.yaml --corpus 2000 --markdown bench/out/latency-accurate.md
	$(BIN)/python -m bench.robustness --config configs/signatures-only.yaml --markdown bench/out/robustness-signatures.md
	$(BIN)/python -m bench.robustness --markdown bench/out/robustness.md
	$(BIN)/python -m bench.install_size --markdown bench/out/install.md
	$(BIN)/python -m bench.gateway_latency --markdown bench/out/gateway.md
	test -x /tmp/m2s-venv/bin/mitmproxy2swagger || { python3 -m venv /tmp/m2s-venv && /tmp/m2s-venv/bin/pip install --quiet mitmproxy2swagger==0.14.0; }
	$(BIN)/python -m bench.discovery --m2s-python /tmp/m2s-venv/bin/python --held-out 150 --speed 1000000 --markdown bench/out/discovery.md
	$(BIN)/python -m bench.discovery_ingest --markdown bench/out/discovery-ingest.md
	$(BIN)/python -m bench.gateway_latency --scenarios off --off-rates 500 --seconds 20 --no-audit --no-discovery --markdown bench/out/gateway-no-discovery.md
	$(BIN)/python -m bench.gateway_latency --scenarios off --off-rates 500 --seconds 20 --markdown bench/out/gateway-audit-on.md
	$(BIN)/python -m bench.gateway_latency --scenarios off --off-rates 500 --seconds 20 --no-audit --markdown bench/out/gateway-no-audit.md
	$(BIN)/python -m bench.gateway_latency --scenarios stream --seconds 30 --markdown bench/out/gateway-stream.md
	$(BIN)/python -m bench.inventory_scan --markdown bench/out/inventory-scan.md
	$(BIN)/python -m bench.audit_log --markdown bench/out/audit-log.md
	$(BIN)/python -m bench.compliance_report --markdown bench/out/compliance-report.md
	$(BIN)/python -m bench.traffic_sim --markdown bench/out/traffic-sim.md
	$(BIN)/python -m bench.abuse_features --markdown bench/out/abuse-features.md
	$(BIN)/python -m bench.console_pages --markdown bench/out/console-pages.md
	$(BIN)/python -m bench.report

## train: install the training extra (CPU PyTorch) and rebuild the shipped classifier
## (grouped folds, calibration, final model; about an hour on 2 cores, see training/README.md)
train: $(BIN)/wardgate
	$(BIN)/pip install --quiet -e '.[dev,train]'
	$(BIN)/python -m training.train

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
