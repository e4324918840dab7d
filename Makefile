# Two entry points: `make demo` runs the embedded demo scenario end to end,
# `make test` runs the test suite. Both create the virtual environment first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-slow typecheck bench venv system clean

$(BIN)/baytwin: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

venv: $(BIN)/baytwin

system:
	@./scripts/system-packages.sh

demo: venv
	$(BIN)/baytwin demo --out runs/demo

# Tests run on every core (pytest-xdist); the slow ones (tests/slow_tests.txt) are left to
# `make test-slow`, which CI runs too. Each run ends with the skipped tests and why.
JOBS ?= auto

test: venv system
	$(BIN)/python -m pytest -n $(JOBS) -m "not slow"

test-slow: venv system
	$(BIN)/python -m pytest -n $(JOBS) -m slow

typecheck: venv
	./scripts/typecheck.sh

# Every figure beside its baseline measured in the same run, printed and saved to $(BENCH_RESULTS).
BENCH_RESULTS ?= bench/results.json

bench: venv system
	BAYTWIN_BENCH_RESULTS=$(BENCH_RESULTS) $(BIN)/python -m pytest --benchmark-only \
		--benchmark-columns=min,mean,median,rounds tests/benchmarks

clean:
	rm -rf $(VENV) runs bench .pytest_cache .benchmarks
