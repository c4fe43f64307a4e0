# parksim — the two commands: `make demo` and `make test`. Each sets up .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint maps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/parksim run scenarios/qingdao_2012.toml --out out/qingdao_2012

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check sim tests bench maps
	$(BIN)/ruff format --check sim tests bench maps
	$(BIN)/mypy

maps: $(STAMP)
	$(BIN)/python maps/build_maps.py

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/maps.py

clean:
	rm -rf $(VENV) out
