"""Hand-made results and sites for the plot tests: every parcel state, parks of any size.

``make_result`` builds a :class:`~sim.result.Result` whose parcels reach given states
in the last year, with event years and floor series consistent with them, so the
tests can say exactly what each parcel must look like. ``make_parcels`` and
``scattered_site`` lay parcels out in EPSG:4549 (metres, on the zone's central
meridian). ``outcome_of`` wraps a result and its site in the
:class:`~sim.outcome.Outcome` the maps read, with the parcel states computed as
:func:`sim.outcome.compute` computes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely

from sim.outcome import Outcome
from sim.result import SERIES, Ensemble, Result, Status
from sim.scenario import Target
from sim.site import Site
from sim.states import ParcelState, parcel_states

YEARS = np.arange(2012, 2017)
X0, Y0 = 500_000.0, 4_000_000.0
SIDE = 100.0  # parcel side, m
DATE = dt.date(2026, 11, 26)
CEILING = 0.8


def make_result(
    states: list[ParcelState],
    *,
    parks: tuple[str, ...] = ("north", "south"),
    records: bool = True,
) -> Result:
    """Parcels reaching ``states`` in the last year (2016), split evenly over ``parks``.

    Every parcel holds ``2 × SIDE²`` m² of floor in two phases; a contract's start is
    the quarter of sale, so sold land is idle a year after its sale.

    - UNSERVICED: never serviced;
    - SERVICED: serviced in 2015Q1, never sold;
    - SOLD: serviced and sold in 2016 (not idle yet);
    - IDLE: serviced and sold in 2014, never started (idle from 2015);
    - UNDER_CONSTRUCTION: sold 2014, first phase started 2015, rising;
    - TOPPED_OUT: sold 2013, started 2014, both phases topped out in 2016;
    - COMPLETED: completed 2016 (occupancy 0, filling);
    - OCCUPIED: topped out 2012, completed 2013, at the ceiling (0.8) from 2015.

    ``records=False`` leaves out what only the quarterly engine records — servicing
    quarters, idle flags, sold/started/topped-out floor — as a result of older code
    would: the states then degrade to the coarser ones.
    """
    n, y = len(states), YEARS.size
    status = np.zeros((1, y, n), dtype=np.int8)
    serviced = np.full((1, n), np.nan)  # quarter from 2012Q1
    release = np.full((1, n), np.nan)
    start = np.full((1, n), np.nan)
    done = np.full((1, n), np.nan)
    names = ("sold", "started", "topped", "completed", "occupied")
    floors = {name: np.zeros((1, y, n)) for name in names}
    floor = 2.0 * SIDE**2
    for p, state in enumerate(states):
        if state is ParcelState.SERVICED:
            serviced[0, p] = 12
        elif state is ParcelState.SOLD:
            serviced[0, p], release[0, p] = 16, 2016
            status[0, 4, p] = Status.RELEASED
        elif state is ParcelState.IDLE:
            serviced[0, p], release[0, p] = 8, 2014
            status[0, 2:, p] = Status.RELEASED
        elif state is ParcelState.UNDER_CONSTRUCTION:
            serviced[0, p], release[0, p], start[0, p] = 8, 2014, 2015
            status[0, 2, p] = Status.RELEASED
            status[0, 3:, p] = Status.UNDER_CONSTRUCTION
            floors["started"][0, 3:, p] = floor / 2
        elif state is ParcelState.TOPPED_OUT:
            serviced[0, p], release[0, p], start[0, p] = 4, 2013, 2014
            status[0, 1, p] = Status.RELEASED
            status[0, 2:, p] = Status.UNDER_CONSTRUCTION
            floors["started"][0, 2:, p] = floor * np.array([0.5, 1.0, 1.0])
            floors["topped"][0, 3:, p] = floor * np.array([0.5, 1.0])
        elif state is ParcelState.COMPLETED:
            serviced[0, p], release[0, p], start[0, p], done[0, p] = 4, 2013, 2014, 2016
            status[0, 1, p] = Status.RELEASED
            status[0, 2:4, p] = Status.UNDER_CONSTRUCTION
            status[0, 4, p] = Status.COMPLETED
            floors["started"][0, 2:, p] = floor
            floors["topped"][0, 3:, p] = floor
            floors["completed"][0, 4, p] = floor
        elif state is ParcelState.OCCUPIED:
            serviced[0, p], release[0, p], start[0, p], done[0, p] = 0, 2012, 2012, 2013
            status[0, 0, p] = Status.UNDER_CONSTRUCTION
            status[0, 1:, p] = Status.COMPLETED
            floors["started"][0, :, p] = floor
            floors["topped"][0, :, p] = floor
            floors["completed"][0, 1:, p] = floor
            floors["occupied"][0, 1:, p] = floor * CEILING * np.array([0.0, 0.5, 1.0, 1.0])
        if np.isfinite(release[0, p]):
            floors["sold"][0, release[0, p] <= YEARS, p] = floor
    series = {name: np.zeros((1, y, n)) for name in SERIES}
    series["floor_completed_m2"] = floors["completed"]
    series["floor_occupied_m2"] = floors["occupied"]
    series["revenue_cny"] = floors["occupied"] * 1e4
    idle = events = None
    if records:
        series["floor_sold_m2"] = floors["sold"]
        series["floor_started_m2"] = floors["started"]
        series["floor_topped_out_m2"] = floors["topped"]
        series["floor_vacant_m2"] = floors["completed"] - floors["occupied"]
        sold_q = (release - YEARS[0]) * 4
        idle = (status == Status.RELEASED) & (YEARS[None, :, None] >= release[:, None, :] + 1)
        events = {
            "serviced": serviced,
            "sold": sold_q,
            "first_sold": sold_q,
            "contract": sold_q,
            "start": (start - YEARS[0]) * 4,
            "completion": (done - YEARS[0]) * 4,
            "reclaim": np.full((1, n), np.nan),
        }
    return Result(
        scenario_name="测试情景 test",
        years=YEARS.astype(np.int64),
        park_ids=parks,
        parcel_ids=np.array([f"P{i}" for i in range(n)]),
        parcel_park=(np.arange(n) * len(parks) // max(n, 1)).astype(np.int64),
        capacity_m2=np.full(n, floor),
        area_m2=np.full(n, floor / 2),
        parameters={},
        land_supply_m2=np.zeros((1, len(parks), y)),
        series=series,
        status=status,
        release_year=release,
        start_year=start,
        completion_year=done,
        investment_before_base_cny=np.zeros((1, n)),
        idle=idle,
        events_q=events,
    )


def make_parcels(n: int, *, crs: str = "EPSG:4549", side: float = SIDE) -> gpd.GeoDataFrame:
    """``n`` square parcels in a row, 1.5 sides apart."""
    x = X0 + np.arange(n) * side * 1.5
    return gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(n)]},
        geometry=shapely.box(x, Y0, x + side, Y0 + side),
        crs=crs,
    )


def make_parks(parcels: gpd.GeoDataFrame, *, schematic: bool = True) -> gpd.GeoDataFrame:
    """Two parks around the first and second half of the parcels."""
    half = len(parcels) // 2
    outlines = [
        parcels.geometry.iloc[:half].union_all().envelope.buffer(10, join_style="mitre"),
        parcels.geometry.iloc[half:].union_all().envelope.buffer(10, join_style="mitre"),
    ]
    frame = gpd.GeoDataFrame(
        {
            "park_id": ["north", "south"],
            "name_zh": ["软件城", "创新园"],
            "name_en": ["Soft", "Inno"],
        },
        geometry=outlines,
        crs=parcels.crs,
    )
    if schematic:
        frame["outline"] = "schematic 示意"
    return frame


def scattered_site(
    sizes: list[float], positions: list[tuple[float, float]], *, parcels_per_park: int = 4
) -> Site:
    """Parks of given sides (m) at given offsets (m) from (X0, Y0), each cut into parcels.

    Park ``k`` is named 园区k / Park k; its parcels are ``K{k}-{i}``, a row of strips.
    """
    park_rows, parcel_rows = [], []
    for k, (side, (dx, dy)) in enumerate(zip(sizes, positions, strict=True)):
        x0, y0 = X0 + dx, Y0 + dy
        park_rows.append(
            {
                "park_id": f"k{k}",
                "name_zh": f"第{k}号软件产业园",
                "name_en": f"Software Park {k}",
                "outline": "schematic 示意",
                "geometry": shapely.box(x0, y0, x0 + side, y0 + side),
            }
        )
        strip = side / parcels_per_park
        for i in range(parcels_per_park):
            parcel_rows.append(
                {
                    "parcel_id": f"K{k}-{i}",
                    "park_id": f"k{k}",
                    "geometry": shapely.box(x0 + i * strip, y0, x0 + (i + 1) * strip, y0 + side),
                }
            )
    parks = gpd.GeoDataFrame(park_rows, crs="EPSG:4549")
    parcels = gpd.GeoDataFrame(parcel_rows, crs="EPSG:4549")
    parcels["area_m2"] = parcels.area
    land = gpd.GeoDataFrame(
        {"source": ["test land (CC0)"]},
        geometry=[shapely.box(X0 - 5e4, Y0 - 5e4, X0 + 5e4, Y0 + 5e4)],
        crs="EPSG:4549",
    )
    return Site(parks=parks, parcels=parcels, land=land)


def result_for(site: Site, states: list[ParcelState] | None = None) -> Result:
    """A result on ``site`` (states cycling through every state unless given)."""
    n = len(site.parcels)
    if states is None:
        states = [ParcelState(i % len(ParcelState)) for i in range(n)]
    parks = tuple(str(p) for p in site.parks["park_id"])
    result = make_result(states, parks=parks)
    park_of = {p: k for k, p in enumerate(parks)}
    object.__setattr__(
        result,
        "parcel_ids",
        site.parcels["parcel_id"].astype(str).to_numpy(),
    )
    object.__setattr__(
        result,
        "parcel_park",
        np.array([park_of[p] for p in site.parcels["park_id"]], dtype=np.int64),
    )
    result._cache.clear()
    return result


@dataclass(frozen=True)
class TargetsOnly:
    """Stands in for a :class:`~sim.scenario.Scenario` where a map reads only its targets."""

    targets: list[Target] = field(default_factory=list)


def outcome_of(
    result: Result,
    site: Site | gpd.GeoDataFrame,
    *,
    parks: gpd.GeoDataFrame | None = None,
    land: gpd.GeoDataFrame | None = None,
    targets: Sequence[Target] = (),
    ensemble: Ensemble | None = None,
) -> Outcome:
    """The :class:`~sim.outcome.Outcome` of a hand-made ``result`` on ``site``, for maps.

    ``site`` may be bare parcels, with ``parks`` and ``land`` beside them (either may be
    None). The states are those :func:`sim.outcome.compute` stores: each year's
    :func:`~sim.states.parcel_states` (idle after one year; the occupancy ceilings of
    ``result.parameters`` when it has them, else read from the ramp). The scenario
    carries only ``targets``; the engine inputs, bound rules, rule tables, target
    table and audit are None, so a map that read them — that computed anything but
    the states — fails here.
    """
    if not isinstance(site, Site):
        site = Site(parks=parks, parcels=site, land=land)  # type: ignore[arg-type]
    ceiling = result.parcel_parameters().get("occupancy_ceiling")
    states = np.stack(
        [parcel_states(result, year=int(year), occupancy_ceiling=ceiling) for year in result.years]
    )
    return Outcome(
        scenario=TargetsOnly(list(targets)),  # type: ignore[arg-type]
        site=site,
        inputs=None,  # type: ignore[arg-type]
        result=result,
        ensemble=ensemble,
        bound=None,  # type: ignore[arg-type]
        rules=None,  # type: ignore[arg-type]
        targets=None,  # type: ignore[arg-type]
        audit=None,  # type: ignore[arg-type]
        states=states,
    )


def parcel_faces(ax: object, parcels: gpd.GeoDataFrame, gid: str = "parcels") -> np.ndarray:
    """The RGBA each parcel is filled with on ``ax``, read from the drawn paths.

    A map draws one compound path per colour; a parcel's colour is the colour of the
    path that contains a point inside it (and exactly one path must contain it).
    """
    (drawn,) = [c for c in ax.get_children() if c.get_gid() == gid]  # type: ignore[attr-defined]
    points = shapely.get_coordinates(parcels.geometry.representative_point())
    inside = np.stack([path.contains_points(points) for path in drawn.get_paths()])
    assert (inside.sum(axis=0) == 1).all(), "every parcel in exactly one colour's path"
    faces: np.ndarray = drawn.get_facecolor()[inside.argmax(axis=0)]
    return faces
