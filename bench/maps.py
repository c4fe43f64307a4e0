"""parksim benchmark: a 10,000-parcel status map against geopandas' bare plot.

Run ``make bench`` (or ``.venv/bin/python bench/maps.py``). Prints the timings and
writes ``out/bench/maps.json``. Both sides draw the same 10,000 parcels in the same
colours on an A4-wide figure and save a 300-dpi PNG:

- **parksim**: :func:`sim.plot.status_map` of an :class:`~sim.outcome.Outcome` (its
  parcel states computed beforehand, as :func:`sim.outcome.compute` does) with
  everything a report map carries (idle hatching, 20 park outlines with
  non-overlapping labels, base map, legend, north arrow, scale bar, detail insets,
  source line) and :func:`sim.plot.save_figure`;
- **geopandas**: ``GeoDataFrame.plot(color=…)`` and ``Figure.savefig`` — no legend,
  no furniture.

Figures
-------
parksim_s, geopandas_s
    Median wall time of drawing + saving over the repeats (after one warm-up each).
ratio
    parksim ÷ geopandas (goal ≤ 1.3).
draw_s, save_s
    parksim's median split between building the figure and writing the PNG.
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import shapely  # noqa: E402

from sim.outcome import Outcome  # noqa: E402
from sim.plot import save_figure, status_map  # noqa: E402
from sim.plot.status import STATE_COLOURS  # noqa: E402
from sim.plot.style import page  # noqa: E402
from sim.result import SERIES, Result  # noqa: E402
from sim.site import Site  # noqa: E402
from sim.states import ParcelState, parcel_states  # noqa: E402

OUT = ROOT / "out" / "bench"
PARCELS = 10_000
PARKS = 20
REPEATS = 5
GOAL = 1.3


def synthetic_site(n: int = PARCELS, parks: int = PARKS, seed: int = 0) -> Site:
    """``n`` parcels of 80–120 m in ``parks`` square parks on a 5 × 4 grid, EPSG:4549."""
    rng = np.random.default_rng(seed)
    per_park = n // parks
    side = int(np.ceil(np.sqrt(per_park)))
    cell = 110.0
    park_rows, geoms, park_of = [], [], []
    for k in range(parks):
        x0 = 480_000.0 + (k % 5) * (side * cell + 2_000.0)
        y0 = 3_990_000.0 + (k // 5) * (side * cell + 2_000.0)
        park_rows.append(
            {
                "park_id": f"park{k}",
                "name_zh": f"第{k + 1}号园区",
                "name_en": f"Park {k + 1}",
                "outline": "schematic 示意",
                "geometry": shapely.box(x0, y0, x0 + side * cell, y0 + side * cell),
            }
        )
        i = np.arange(per_park)
        x = x0 + (i % side) * cell + 5.0
        y = y0 + (i // side) * cell + 5.0
        size = rng.uniform(80.0, 100.0, per_park)
        geoms.extend(shapely.box(x, y, x + size, y + size))
        park_of.extend([f"park{k}"] * per_park)
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"p{i}" for i in range(len(geoms))], "park_id": park_of},
        geometry=geoms,
        crs="EPSG:4549",
    )
    parcels["area_m2"] = parcels.area
    bounds = parcels.total_bounds
    land = gpd.GeoDataFrame(
        {"source": ["synthetic land"]},
        geometry=[shapely.box(*(bounds + np.array([-5e3, -5e3, 5e3, 5e3])))],
        crs="EPSG:4549",
    )
    return Site(parks=gpd.GeoDataFrame(park_rows, crs="EPSG:4549"), parcels=parcels, land=land)


def synthetic_result(site: Site, seed: int = 0) -> Result:
    """Every parcel in a random build-out stage in 2016."""
    rng = np.random.default_rng(seed)
    n = len(site.parcels)
    years = np.arange(2012, 2017)
    status = np.zeros((1, years.size, n), dtype=np.int8)
    status[0, -1] = rng.integers(0, 5, n)
    release = np.where(status[0, -1] >= 1, rng.integers(2012, 2016, n), np.nan)[None, :]
    nan = np.full((1, n), np.nan)
    parks = tuple(str(p) for p in site.parks["park_id"])
    index = {p: k for k, p in enumerate(parks)}
    return Result(
        scenario_name=f"synthetic {n:,} parcels",
        years=years,
        park_ids=parks,
        parcel_ids=site.parcels["parcel_id"].to_numpy().astype(str),
        parcel_park=np.array([index[p] for p in site.parcels["park_id"]], dtype=np.int64),
        capacity_m2=np.full(n, 2e4),
        area_m2=site.parcels["area_m2"].to_numpy(dtype=float),
        parameters={},
        land_supply_m2=np.zeros((1, len(parks), years.size)),
        series={name: np.zeros((1, years.size, n)) for name in SERIES},
        status=status,
        release_year=release.astype(float),
        start_year=nan,
        completion_year=nan,
        investment_before_base_cny=np.zeros((1, n)),
    )


def synthetic_outcome(site: Site, result: Result) -> Outcome:
    """Wrap ``result`` in the Outcome a status map reads: site, result, each year's states.

    A hand-made result has no scenario, so the fields only rules, targets and the
    audit fill are left empty; the states are computed as :func:`sim.outcome.compute`
    computes them (idle after one year).
    """
    states = np.stack([parcel_states(result, year=int(y)) for y in result.years])
    return Outcome(
        scenario=None,  # type: ignore[arg-type]
        site=site,
        inputs=None,  # type: ignore[arg-type]
        result=result,
        ensemble=None,
        bound=None,  # type: ignore[arg-type]
        rules=None,  # type: ignore[arg-type]
        targets=None,  # type: ignore[arg-type]
        audit=None,  # type: ignore[arg-type]
        states=states,
    )


def time_parksim(outcome: Outcome, path: Path) -> tuple[float, float]:
    start = time.perf_counter()
    fig, _ = status_map(outcome)
    drawn = time.perf_counter()
    save_figure(fig, path)
    saved = time.perf_counter()
    plt.close(fig)
    return drawn - start, saved - drawn


def time_geopandas(parcels: gpd.GeoDataFrame, colours: list[str], path: Path) -> float:
    start = time.perf_counter()
    width = page("A4").width
    fig, ax = plt.subplots(figsize=(width, width))
    parcels.plot(ax=ax, color=colours, edgecolor="white", linewidth=0.25)
    fig.savefig(path, dpi=300)
    plt.close(fig)
    return time.perf_counter() - start


def main() -> dict[str, object]:
    site = synthetic_site()
    outcome = synthetic_outcome(site, synthetic_result(site))
    # The same colours parksim draws (by map state at the horizon), for geopandas.
    lookup = np.array([STATE_COLOURS[s] for s in ParcelState], dtype=object)
    colours = list(lookup[outcome.states[-1]])

    with tempfile.TemporaryDirectory() as folder:
        ours = Path(folder) / "parksim.png"
        theirs = Path(folder) / "geopandas.png"
        time_parksim(outcome, ours)  # warm-up: fonts, caches
        time_geopandas(site.parcels, colours, theirs)
        draw, save, bare = [], [], []
        for _ in range(REPEATS):
            d, s = time_parksim(outcome, ours)
            draw.append(d)
            save.append(s)
            bare.append(time_geopandas(site.parcels, colours, theirs))
        size = plt.imread(ours).shape
    parksim_s = statistics.median(d + s for d, s in zip(draw, save, strict=True))
    geopandas_s = statistics.median(bare)
    record: dict[str, object] = {
        "parcels": len(site.parcels),
        "parks": len(site.parks),
        "repeats": REPEATS,
        "parksim_s": round(parksim_s, 3),
        "geopandas_s": round(geopandas_s, 3),
        "ratio": round(parksim_s / geopandas_s, 3),
        "goal_ratio": GOAL,
        "meets_goal": parksim_s / geopandas_s <= GOAL,
        "draw_s": round(statistics.median(draw), 3),
        "save_s": round(statistics.median(save), 3),
        "png_px": [int(size[1]), int(size[0])],
        "python": platform.python_version(),
        "matplotlib": matplotlib.__version__,
        "geopandas": gpd.__version__,
        "machine": platform.machine(),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "maps.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"status map, {record['parcels']:,} parcels, PNG 300 dpi ({size[1]} × {size[0]} px)")
    print(f"  parksim   {parksim_s:6.2f} s  (draw {record['draw_s']} s, save {record['save_s']} s)")
    print(f"  geopandas {geopandas_s:6.2f} s  (GeoDataFrame.plot + savefig, no furniture)")
    verdict = "ok" if record["meets_goal"] else "ABOVE GOAL"
    print(f"  ratio     {record['ratio']:6.2f}    goal ≤ {GOAL}  {verdict}")
    print(f"wrote {OUT / 'maps.json'}")
    return record


if __name__ == "__main__":
    main()
