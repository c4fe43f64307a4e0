"""The layers a map draws — parcels, park outlines, land — in one CRS, checked once.

In: a :class:`~sim.site.Site` (and, for the map kinds, the
:class:`~sim.outcome.Outcome` whose result the parcels must match). Out: a
:class:`MapLayers` with every layer in the parcels' projected CRS, and the lookups the
map kinds share: which parcels lie in a park, a park's name, whether the outlines are
schematic. Nothing is drawn here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from pyproj import CRS

from sim.plot.style import Lang, label

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy.typing as npt

    from sim.outcome import Outcome
    from sim.result import Result
    from sim.site import Site

__all__ = [
    "MapLayers",
    "check_parcels",
    "check_park",
    "in_park",
    "is_schematic",
    "layers_of",
    "map_layers",
    "park_name",
]


@dataclass(frozen=True)
class MapLayers:
    """A site's layers in the parcels' projected CRS.

    Attributes
    ----------
    parcels
        The parcels (rows in the order of the result).
    parks
        Park outlines with ``park_id, name_zh, name_en``, or None.
    land
        Land polygons of the base map, or None.
    crs
        The parcels' projected CRS.
    """

    parcels: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame | None
    land: gpd.GeoDataFrame | None
    crs: CRS


def map_layers(site: Site) -> MapLayers:
    """Return the layers of ``site``, parks and land reprojected to the parcels' CRS.

    Raises
    ------
    ValueError
        If the parcels are not in a projected CRS, the parks lack their name columns,
        or the parks or land have no CRS.
    """
    parcels, parks, land = site.parcels, site.parks, site.land
    crs = parcels.crs
    if crs is None or not CRS.from_user_input(crs).is_projected:
        raise ValueError(
            f"parcels must be in a projected CRS (metres); got {crs}; "
            "reproject with parcels.to_crs('EPSG:4549') or the scenario's CRS"
        )
    crs = CRS.from_user_input(crs)
    if parks is not None:
        missing = {"park_id", "name_zh", "name_en"} - set(parks.columns)
        if missing:
            raise ValueError(
                f"parks lacks columns {sorted(missing)}; it needs park_id, name_zh, name_en"
            )
        parks = _to_crs(parks, crs, "parks")
    if land is not None:
        land = _to_crs(land, crs, "land")
    return MapLayers(parcels=parcels, parks=parks, land=land, crs=crs)


def layers_of(outcome: Outcome, park: str | None = None) -> MapLayers:
    """Return the layers of an outcome's site, checked against its result and ``park``.

    Raises
    ------
    ValueError
        If the parcels do not list ``outcome.result.parcel_ids`` in order, or a layer's
        CRS is missing or (for the parcels) geographic.
    KeyError
        If ``park`` is not in the site.
    """
    check_parcels(outcome.result, outcome.site.parcels)
    layers = map_layers(outcome.site)
    check_park(layers, park)
    return layers


def _to_crs(frame: gpd.GeoDataFrame, crs: CRS, name: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise ValueError(f"{name} has no CRS; set it with {name}.set_crs(...)")
    return frame if frame.crs == crs else frame.to_crs(crs)


def check_parcels(result: Result, parcels: gpd.GeoDataFrame) -> None:
    """Raise unless ``parcels`` lists ``result.parcel_ids`` in order, in a projected CRS.

    Raises
    ------
    ValueError
        Naming the first row out of place (or the counts) and how to reorder.
    """
    if "parcel_id" not in parcels.columns:
        raise ValueError(
            "parcels has no 'parcel_id' column; columns are "
            f"{list(parcels.columns)}; add the ids the simulation used"
        )
    ids = parcels["parcel_id"].astype(str).to_numpy()
    expected = result.parcel_ids.astype(str)
    if ids.shape != expected.shape or not np.array_equal(ids, expected):
        if ids.shape != expected.shape:
            found = f"{ids.size} parcels but the result has {expected.size}"
        else:
            first = int(np.flatnonzero(ids != expected)[0])
            found = (
                f"row {first} is {str(ids[first])!r} where the result has {str(expected[first])!r}"
            )
        raise ValueError(
            f"parcels must list result.parcel_ids in order: {found}; reorder with "
            "parcels.set_index('parcel_id').loc[result.parcel_ids].reset_index()"
        )
    crs = parcels.crs
    if crs is None or not crs.is_projected:
        raise ValueError(
            f"parcels must be in a projected CRS (metres); got {crs}; "
            "reproject with parcels.to_crs('EPSG:4549') or the scenario's CRS"
        )


def check_park(layers: MapLayers, park: str | None) -> None:
    """Raise unless ``park`` is None or a park of the site.

    Raises
    ------
    KeyError
        Listing the parks there are.
    """
    if park is None:
        return
    known = (
        [str(p) for p in layers.parks["park_id"]]
        if layers.parks is not None
        else sorted(set(layers.parcels["park_id"].astype(str)))
        if "park_id" in layers.parcels.columns
        else []
    )
    if park not in known:
        raise KeyError(f"park {park!r} is not in the site; expected one of {known}")


def park_name(layers: MapLayers, park: str, lang: Lang) -> str:
    """Name ``park`` in ``lang`` (its id when the site has no park outlines)."""
    if layers.parks is not None:
        row = layers.parks[layers.parks["park_id"].astype(str) == park]
        if len(row):
            return label(str(row["name_zh"].iloc[0]), str(row["name_en"].iloc[0]), lang)
    return park


def is_schematic(layers: MapLayers) -> bool:
    """Whether the park outlines say they are schematic (an ``outline`` column, 示意)."""
    parks = layers.parks
    if parks is None or "outline" not in parks.columns:
        return False
    text = " ".join(str(v) for v in parks["outline"]).lower()
    return "schematic" in text or "示意" in text


def in_park(layers: MapLayers, park: str | None) -> npt.NDArray[np.bool_]:
    """Mask of the parcels in ``park`` (every parcel when ``park`` is None)."""
    parcels = layers.parcels
    if park is None or "park_id" not in parcels.columns:
        return np.ones(len(parcels), dtype=bool)
    return np.asarray(parcels["park_id"].astype(str).to_numpy() == park)
