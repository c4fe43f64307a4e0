"""Shared fixtures: a tiny hand-made site and scenario that tests can compute by hand.

The tiny site is one park ``A`` (400 m × 100 m) holding four 1-ha square parcels in a
row, ``P1``–``P4`` from west to east, phases 1, 1, 2, 2; and a park ``B`` (100 m ×
100 m) east of it with one 1-ha parcel ``Q1``. CRS EPSG:4549.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import matplotlib
import pytest
from shapely.geometry import box

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
CRS = "EPSG:4549"
X0, Y0 = 500_000.0, 4_000_000.0


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


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A folder holding ``tiny.toml`` and its ``site.gpkg``."""
    parks, parcels = tiny_layers()
    parks.to_file(tmp_path / "site.gpkg", layer="parks", engine="pyogrio")
    parcels.to_file(tmp_path / "site.gpkg", layer="parcels", engine="pyogrio")
    (tmp_path / "tiny.toml").write_text(TINY_TOML, encoding="utf-8")
    return tmp_path


@pytest.fixture
def write_scenario(tiny_dir: Path) -> Callable[[str], Path]:
    """Write a scenario text next to the tiny site and return its path."""

    def write(text: str, name: str = "case.toml") -> Path:
        path = tiny_dir / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
