# parksim — the two commands: `make demo` and `make test`. Each sets up .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-sweep lint maps clean gdal-validator chromium libreoffice

# GDAL's GeoPackage validator (validate_gpkg.py), which the tests run on parcels.gpkg,
# ships for the system Python in Debian's python3-gdal; install it when it is missing.
GDAL_VALIDATOR := /usr/bin/python3 -c "import osgeo_utils.samples.validate_gpkg"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# Compile the loops (sim.quarterly, sim.histories: numba, about 25 s) once here, not in the first run.
	$(BIN)/python -c "from sim.engine import simulate; from sim.outcome import load; \
	  simulate(*load('scenarios/qingdao_2012.toml'))"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/parksim run scenarios/qingdao_2012.toml --out out/qingdao_2012

# Lint first: it takes seconds, the suite a minute or more.
test: lint gdal-validator chromium libreoffice
	$(BIN)/python -m pytest

gdal-validator:
	@$(GDAL_VALIDATOR) 2>/dev/null || { \
	  echo "installing python3-gdal (GDAL's GeoPackage validator) with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends python3-gdal >/dev/null && $(GDAL_VALIDATOR); } || { \
	  echo "make test needs GDAL's validate_gpkg.py: install Debian's python3-gdal (as root)"; \
	  exit 1; }

# The report's browser tests (tests/test_report_browser.py) drive Debian's chromium
# through its chromium-driver (Selenium); install both when either is missing.
CHROMIUM_OK := command -v chromium >/dev/null && command -v chromedriver >/dev/null

chromium:
	@$(CHROMIUM_OK) || { \
	  echo "installing chromium and chromium-driver (the report's browser tests) with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends chromium chromium-driver >/dev/null && $(CHROMIUM_OK); } || { \
	  echo "make test needs Chromium: install Debian's chromium and chromium-driver (as root)"; \
	  exit 1; }

# The workbook's second real client (tests/test_workbook_libreoffice.py): LibreOffice Calc
# converts results.xlsx headless; install Debian's calc without a GUI when it is missing.
LIBREOFFICE_OK := command -v soffice >/dev/null

libreoffice:
	@$(LIBREOFFICE_OK) || { \
	  echo "installing libreoffice-calc-nogui (the workbook's read-back test) with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends libreoffice-calc-nogui >/dev/null && $(LIBREOFFICE_OK); } || { \
	  echo "make test needs LibreOffice Calc: install Debian's libreoffice-calc-nogui (as root)"; \
	  exit 1; }

# ruff (with the complexity limit, C901), ruff's format check and mypy strict.
lint: $(STAMP)
	$(BIN)/ruff check sim tests bench maps
	$(BIN)/ruff format --check sim tests bench maps
	$(BIN)/mypy

maps: $(STAMP)
	$(BIN)/python maps/build_maps.py

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/maps.py
	$(BIN)/python bench/large.py

# The sweep benchmark (Dask, 64 variants on 1 and 2 workers and serially): apart, it takes minutes.
bench-sweep: $(STAMP)
	$(BIN)/python bench/sweep.py

clean:
	rm -rf $(VENV) out
