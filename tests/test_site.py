"""Site layers: the baseline loads, areas, reprojection, and direct validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

from sim.errors import SiteError
from sim.scenario import SiteFiles
from sim.site import load_site, validate_site
from tests.conftest import BASELINE, load_inputs, tiny_layers


def test_baseline_site_loads() -> None:
    scenario, site = load_inputs(BASELINE)
    assert site.crs.to_epsg() == 4549
    assert set(site.parks["park_id"]) >= set(scenario.parks)
    parcels = site.parcels
    assert len(parcels) > 0
    assert parcels["parcel_id"].is_unique
    assert set(parcels["park_id"]) <= set(site.parks["park_id"])
    assert (parcels["area_m2"] > 0).all()
    assert np.allclose(parcels["area_m2"], parcels.geometry.area)
    assert {c.parcel for c in scenario.committed} <= set(parcels["parcel_id"])
    assert site.land is not None
    assert len(site.land) > 0


def test_tiny_site_areas_and_defaults(tiny_dir: Path) -> None:
    files = SiteFiles(parks=tiny_dir / "site.gpkg", parcels=tiny_dir / "site.gpkg")
    site = load_site(files, "EPSG:4549")
    parcels = site.parcels.set_index("parcel_id")
    assert parcels["area_m2"].to_dict() == pytest.approx({p: 10_000.0 for p in parcels.index})
    assert parcels.loc["P4", "far_max"] == 1.0
    assert parcels["phase"].tolist() == [1, 1, 2, 2, 1]
    assert site.land is None


def test_reprojection_from_wgs84(tmp_path: Path) -> None:
    parks, parcels = tiny_layers()
    layers = tmp_path / "wgs84.gpkg"
    parks.to_crs("EPSG:4326").to_file(layers, layer="parks", engine="pyogrio")
    parcels.to_crs("EPSG:4326").to_file(layers, layer="parcels", engine="pyogrio")
    site = load_site(SiteFiles(parks=layers, parcels=layers), "EPSG:4549")
    assert site.crs.to_epsg() == 4549
    assert site.parcels["area_m2"].to_numpy() == pytest.approx(np.full(5, 10_000.0), rel=1e-3)
    assert site.parks.geometry.area.to_numpy() == pytest.approx([40_000.0, 10_000.0], rel=1e-3)


def test_missing_optional_columns_get_defaults() -> None:
    parks, parcels = tiny_layers()
    site = validate_site(parks, parcels.drop(columns=["far_max", "phase", "zone", "land_use"]))
    assert site.parcels["far_max"].isna().all()
    assert (site.parcels["phase"] == 1).all()
    assert (site.parcels["zone"] == "").all()


def test_shared_edges_are_not_overlaps() -> None:
    parks, parcels = tiny_layers()
    # Survey rounding: P2 reaches 5 mm into P1 (0.5 m² overlap, within the tolerance).
    geoms = list(parcels.geometry)
    geoms[1] = box(500_099.995, 4_000_000, 500_200, 4_000_100)
    validate_site(parks, parcels.set_geometry(geoms, crs=parcels.crs))


def test_validate_site_names_file_and_layer() -> None:
    parks, parcels = tiny_layers()
    bad = parcels.assign(phase=[1, 0, 2, 2, 1])
    with pytest.raises(SiteError) as info:
        validate_site(parks, bad, parcels_file="p.gpkg", parcels_layer="lots")
    assert str(info.value).startswith("p.gpkg: 1 problem(s) in layer 'lots'\n  - parcel P2: ")


def test_long_problem_lists_are_summarised() -> None:
    parks, parcels = tiny_layers()
    many = parcels.iloc[[0] * 40].assign(parcel_id=[f"X{i}" for i in range(40)])
    with pytest.raises(SiteError) as info:
        validate_site(parks, many)
    message = str(info.value)
    assert "problem(s) in layer 'parcels'" in message
    assert "more problem(s)" in message
    assert len(info.value.problems) == 26
