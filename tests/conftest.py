"""Shared fixtures and helpers: a tiny hand-made site and scenario that tests can compute
by hand, loading and running scenarios, the CLI's error convention, folder snapshots.

The tiny site is one park ``A`` (400 m × 100 m) holding four 1-ha square parcels in a
row, ``P1``–``P4`` from west to east, phases 1, 1, 2, 2; and a park ``B`` (100 m ×
100 m) east of it with one 1-ha parcel ``Q1``. CRS EPSG:4549.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import matplotlib
import pytest
from shapely.geometry import box

from sim.cli import main
from sim.engine import simulate
from sim.result import Result
from sim.scenario import Scenario, load_scenario
from sim.site import Site, load_site

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
#: The shipped baseline scenario, and every shipped scenario.
BASELINE = ROOT / "scenarios" / "qingdao_2012.toml"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
CRS = "EPSG:4549"
X0, Y0 = 500_000.0, 4_000_000.0

Loaded = tuple[Scenario, Site, Result]

#: The figures ``parksim run`` writes for the tiny scenario, in figures/.
TINY_RUN_FIGURES = [
    "annual_completions_by_park.png",
    "annual_completions_by_park.svg",  # charts also as SVG (sim.plot.render.VECTOR_FIGURES)
    "completion_year_map.png",
    "compliance_map_2019.png",
    "compliance_scatter.png",
    "floor_vs_target.png",
    "floor_vs_target.svg",
    "overview_map_2016.png",  # the year of the first floor target
    "revenue_vs_policy_path.png",
    "revenue_vs_policy_path.svg",
    "status_map_2019.png",
    "status_map_by_year.png",
]


def tiny_layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Parks and parcels of the tiny site."""
    parks = gpd.GeoDataFrame(
        {
            "park_id": ["A", "B"],
            "name_zh": ["甲园", "乙园"],
            "name_en": ["Park A", "Park B"],
        },
        geometry=[box(X0, Y0, X0 + 400, Y0 + 100), box(X0 + 500, Y0, X0 + 600, Y0 + 100)],
        crs=CRS,
    )
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["P1", "P2", "P3", "P4", "Q1"],
            "park_id": ["A", "A", "A", "A", "B"],
            "zone": ["rd"] * 5,
            "far_max": [2.0, 2.0, 2.0, 1.0, 3.0],
            "phase": [1, 1, 2, 2, 1],
            "land_use": ["software_rd"] * 5,
        },
        geometry=[box(X0 + 100 * i, Y0, X0 + 100 * (i + 1), Y0 + 100) for i in range(4)]
        + [box(X0 + 500, Y0, X0 + 600, Y0 + 100)],
        crs=CRS,
    )
    return parks, parcels


TINY_TOML = """
[scenario]
name = "tiny"
base_year = 2012
horizon = 2019
crs = "EPSG:4549"
seed = 7

[site]
parks = "site.gpkg"
parks_layer = "parks"
parcels = "site.gpkg"
parcels_layer = "parcels"

[defaults]
land_supply_per_year = "2 ha"
demand_per_year = "1.5万 m2"
plot_ratio = 1.5
start_lag_years = 1
duration_years = 2
max_floor_per_phase = "1万 m2"
occupancy_ramp_years = 2
occupancy_ceiling = "80 %"
revenue_per_m2 = "1万 元/m2"
revenue_growth = "10 %"
land_price = "500 元/m2"
construction_cost = "4000 元/m2"
fitout_cost = "1000 元/m2"
m2_per_worker = "40 m2"

[parks.B]
land_supply_per_year = "0 ha"

[[committed]]
parcel = "Q1"
start_year = 2013
floor = "2万 m2"
phases = 2

[[targets]]
metric = "floor_completed"
park = "total"
year = 2016
value = "5万 m2"

[[targets]]
metric = "floor_completed"
park = "A"
year = 2018
value = "4.5万 m2"

[rules]
investment_intensity_min = "4000 万元/ha"
revenue_density_min = "2 亿元/ha"
"""


#: Growth 0 so yearly revenue equals occupied floor × 1万 元/m²; rules chosen so that
#: P4 sits exactly on the investment threshold and revenue needs the ramp
#: (tests/test_rules.py works the figures out).
NO_GROWTH = """
extends = "tiny.toml"
[defaults]
revenue_growth = "0 %"
[rules]
investment_intensity_min = "5500 万元/ha"
revenue_density_min = "1 亿元/ha"
"""


def tiny_toml(*replacements: tuple[str, str], extra: str = "") -> str:
    """TINY_TOML with each ``(old, new)`` replaced (``old`` must be in it) and ``extra`` added."""
    text = TINY_TOML
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text + extra


def write_tiny_site(path: Path) -> Path:
    """Write the tiny site's ``parks`` and ``parcels`` layers to the GeoPackage ``path``."""
    parks, parcels = tiny_layers()
    parks.to_file(path, layer="parks", engine="pyogrio")
    parcels.to_file(path, layer="parcels", engine="pyogrio")
    return path


def load_inputs(path: Path) -> tuple[Scenario, Site]:
    """Load a scenario file and its site."""
    scenario = load_scenario(path)
    return scenario, load_site(scenario.site, scenario.scenario.crs, source=scenario.path)


def load_and_simulate(path: Path) -> Loaded:
    """Load a scenario file and its site, and run the deterministic build-out."""
    scenario, site = load_inputs(path)
    return scenario, site, simulate(scenario, site)


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A folder holding ``tiny.toml`` and its ``site.gpkg``."""
    write_tiny_site(tmp_path / "site.gpkg")
    (tmp_path / "tiny.toml").write_text(TINY_TOML, encoding="utf-8")
    return tmp_path


@pytest.fixture(scope="module")
def site_dir() -> Iterator[tuple[Path, Site]]:
    """A folder holding the tiny site and ``tiny.toml``, and the site loaded, once per module
    (for Hypothesis tests, which write their scenarios next to it)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        write_tiny_site(path / "site.gpkg")
        (path / "tiny.toml").write_text(tiny_toml(), encoding="utf-8")
        _, site = load_inputs(path / "tiny.toml")
        yield path, site


@pytest.fixture
def write_scenario(tiny_dir: Path) -> Callable[..., Path]:
    """Write a scenario text next to the tiny site and return its path."""

    def write(text: str, name: str = "case.toml") -> Path:
        path = tiny_dir / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def load(write_scenario: Callable[..., Path]) -> Callable[[str], Loaded]:
    """Write a scenario text next to the tiny site, load it and simulate it."""

    def make(text: str) -> Loaded:
        return load_and_simulate(write_scenario(text))

    return make


@pytest.fixture
def agg() -> Iterator[None]:
    """Draw with Agg and close every figure afterwards (``usefixtures`` in plot tests)."""
    import matplotlib.pyplot as plt

    plt.switch_backend("Agg")
    yield
    plt.close("all")


@pytest.fixture
def cli_error(capsys: pytest.CaptureFixture[str]) -> Callable[[list[str]], str]:
    """Run ``parksim argv`` expecting bad input: exit 2, one ``parksim: error:`` message,
    no traceback; return the message (stderr)."""

    def run(argv: list[str]) -> str:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("parksim: error: "), err
        assert "Traceback" not in err and "internal error" not in err
        return err

    return run


def tree_snapshot(root: Path) -> dict[str, str]:
    """Every file, folder and link under ``root``: a hash of each file's bytes, each link's
    target, ``dir`` for folders — equal snapshots mean an untouched tree."""
    found = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            found[key] = "-> " + os.readlink(path)
        elif path.is_file():
            found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[key] = "dir"
    return found


def dead_pid() -> int:
    """The id of a process that has exited."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def start_run_until_staged(argv: list[str], cwd: Path, staging: str) -> subprocess.Popen[str]:
    """Start ``python -m sim argv`` and return once a staging folder matching the glob
    ``staging`` (in ``cwd``) holds a ``summary.csv``: the run is writing its outputs."""
    run = subprocess.Popen(
        [sys.executable, "-m", "sim", *argv], cwd=cwd, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and run.poll() is None:
        if [p for p in cwd.glob(staging) if (p / "summary.csv").exists()]:
            return run
        time.sleep(0.01)
    run.kill()
    run.wait()
    raise AssertionError("the run finished before its staging folder was seen")
