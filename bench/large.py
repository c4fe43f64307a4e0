"""parksim benchmark: a 100,000-parcel run, its maps and layers side by side.

Run ``.venv/bin/python bench/large.py`` (``make bench`` runs it last). The site is the
Qingdao baseline's (``scenarios/qingdao_2012.toml``) with every parcel cut into a
7 × 12 grid (the committed projects' parcels kept whole, so their floor still fits):
about 100,000 parcels in the same parks, on the same base map, with the same policy.
Prints a table and merges the figures into ``out/bench/results.json`` under
``large_site`` (the other benchmarks' keys are kept).

Every ratio compares two timings taken in the same run on the same data:

- **maps**: each map of ``parksim run`` (:func:`sim.plot.render.write_report_figures`)
  drawn and saved as a 300-dpi PNG, against geopandas' bare ``GeoDataFrame.plot`` +
  ``Figure.savefig`` of the same parcels in the same colours on the same page (one
  axes per panel for the by-year map) — no legend, labels or insets (goal: parksim at
  least 5× faster);
- **layers**: each layer of ``parcels.gpkg`` built from the Outcome and written by
  :func:`sim.export.write_geopackage` into a new GeoPackage, plus its share of the one
  ``layer_styles`` table a run writes for all layers (that table's time ÷ the styled
  layers), against ``pyogrio.write_dataframe`` of the same rows into a new file (goal ≤
  1.3×); the layer with a style table of its own is reported beside it (the upper
  bound). The best of 7 for layers under 10,000 rows and of 3 above, both sides
  alike: on a shared machine the noise is as large as a small layer. Then ``all
  layers``: the GeoPackage as the run writes it (every layer, one style table) against
  pyogrio writing the same layers into one file;
- **run**: ``parksim run`` end to end (load, simulate, every output), in process; then
  ``results.xlsx`` rebuilt alone from the run's folder (its sheets listed: the
  per-parcel tables are above :data:`sim.report.workbook.SHEET_ROW_LIMIT`).
"""

from __future__ import annotations

import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pyogrio  # noqa: E402
import shapely  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from sim.cli import main as parksim  # noqa: E402
from sim.export import (  # noqa: E402
    _basemap_frame,
    _parks_frame,
    layer_styles,
    parcels_frame,
    status_spells_frame,
    write_geopackage,
)
from sim.outcome import Outcome, compute, load  # noqa: E402
from sim.plot import save_figure  # noqa: E402
from sim.plot.completion import completion_map  # noqa: E402
from sim.plot.compliance import compliance_map  # noqa: E402
from sim.plot.frame import MapOptions  # noqa: E402
from sim.plot.overview import overview_map  # noqa: E402
from sim.plot.render import overview_year  # noqa: E402
from sim.plot.status import STATE_COLOURS, status_map, status_years_map  # noqa: E402
from sim.plot.style import page  # noqa: E402
from sim.qgis import write_layer_styles  # noqa: E402
from sim.report import write_workbook  # noqa: E402
from sim.states import ParcelState  # noqa: E402

OUT = ROOT / "out" / "bench"
SCENARIO = ROOT / "scenarios" / "qingdao_2012.toml"
GRID = (7, 12)  # rows × columns each parcel is cut into
MAP_GOAL = 5.0  # geopandas ÷ parksim, at least
LAYER_GOAL = 1.3  # parksim ÷ pyogrio, at most


def split_parcels(parcels: gpd.GeoDataFrame, keep: set[str]) -> gpd.GeoDataFrame:
    """Cut every parcel not in ``keep`` into a ``GRID`` of cells over its bounds."""
    rows, cols = GRID
    cut = ~parcels["parcel_id"].isin(keep).to_numpy()
    whole = parcels[~cut]
    part = parcels[cut].reset_index(drop=True)
    b = part.geometry.bounds.to_numpy()
    i, j = np.divmod(np.arange(rows * cols), cols)
    dx, dy = (b[:, 2] - b[:, 0]) / cols, (b[:, 3] - b[:, 1]) / rows
    x0 = b[:, [0]] + j * dx[:, None]
    y0 = b[:, [1]] + i * dy[:, None]
    cells = shapely.box(x0, y0, x0 + dx[:, None], y0 + dy[:, None])
    pieces = shapely.intersection(np.repeat(part.geometry.to_numpy(), rows * cols), cells.ravel())
    owner = np.repeat(np.arange(len(part)), rows * cols)
    ok = ~shapely.is_empty(pieces) & (shapely.area(pieces) > 1.0)
    out = part.iloc[owner[ok]].copy()
    out["parcel_id"] = [
        f"{p}-{k:02d}"
        for p, k in zip(out["parcel_id"], np.flatnonzero(ok) % (rows * cols), strict=True)
    ]
    out = out.set_geometry(pieces[ok])
    out["area_ha"] = out.geometry.area / 1e4
    frame = gpd.GeoDataFrame(
        np.concatenate([whole.to_numpy(), out[whole.columns].to_numpy()]),
        columns=whole.columns,
        geometry="geometry",
        crs=parcels.crs,
    )
    return frame.astype({c: parcels[c].dtype for c in parcels.columns if c != "geometry"})


def make_site(folder: Path) -> Path:
    """Write the 100k-parcel site and its scenario into ``folder``; return the scenario."""
    text = SCENARIO.read_text(encoding="utf-8")
    committed = {str(c["parcel"]) for c in tomllib.loads(text).get("committed", [])}
    maps = ROOT / "maps"
    parcels = gpd.read_file(maps / "qingdao_parks.gpkg", layer="parcels")
    large = split_parcels(parcels, committed)
    site = folder / "large_site.gpkg"
    pyogrio.write_dataframe(large, site, layer="parcels", driver="GPKG")
    parks = gpd.read_file(maps / "qingdao_parks.gpkg", layer="parks")
    pyogrio.write_dataframe(parks, site, layer="parks", driver="GPKG")
    text = text.replace('"../maps/qingdao_parks.gpkg"', json.dumps(str(site)))
    text = text.replace('"../maps/qingdao_base.gpkg"', json.dumps(str(maps / "qingdao_base.gpkg")))
    # Pieces of the smallest parcels are ~65 m²: below the scenario's sliver check.
    text = text.replace("[site]\n", '[site]\nmin_parcel_area = "10 m2"\n', 1)
    path = folder / "large.toml"
    path.write_text(text, encoding="utf-8")
    return path


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def parksim_map(draw: Callable[[], Any], path: Path) -> float:
    def job() -> None:
        fig = draw()
        save_figure(fig, path)
        plt.close(fig)

    return timed(job)


def geopandas_map(parcels: gpd.GeoDataFrame, colours: list[str], path: Path, panels: int) -> float:
    """Bare ``GeoDataFrame.plot`` on ``panels`` axes of an A4-wide page, saved at 300 dpi."""

    def job() -> None:
        width = page("A4").width
        cols = int(np.ceil(np.sqrt(panels)))
        rows = int(np.ceil(panels / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(width, width * rows / cols), squeeze=False)
        for ax in axes.ravel()[:panels]:
            parcels.plot(ax=ax, color=colours, edgecolor="white", linewidth=0.25)
        fig.savefig(path, dpi=300)
        plt.close(fig)

    return timed(job)


def bench_maps(outcome: Outcome, folder: Path) -> dict[str, dict[str, Any]]:
    options = MapOptions()
    horizon = int(outcome.result.years[-1])
    maps: dict[str, tuple[Callable[[], Any], int]] = {
        f"status_map_{horizon}": (lambda: status_map(outcome, options=options)[0], 1),
        "status_map_by_year": (
            lambda: status_years_map(outcome, options=options)[0],
            outcome.result.years.size,
        ),
        "completion_year_map": (lambda: completion_map(outcome, options=options)[0], 1),
        f"compliance_map_{horizon}": (lambda: compliance_map(outcome, options=options)[0], 1),
        "overview_map": (
            lambda: overview_map(
                outcome, year=overview_year(outcome.scenario, outcome.result), options=options
            )[0],
            1,
        ),
    }
    parcels = outcome.site.parcels
    lookup = np.array([STATE_COLOURS[s] for s in ParcelState], dtype=object)
    colours = list(lookup[outcome.states[-1]])
    bare: dict[int, float] = {}
    records: dict[str, dict[str, Any]] = {}
    for name, (draw, panels) in maps.items():
        ours = folder / f"{name}.png"
        first = parksim_map(draw, ours)  # the first map of a run also builds the geometry
        again = parksim_map(draw, ours)
        if panels not in bare:
            theirs = folder / f"geopandas_{panels}.png"
            bare[panels] = geopandas_map(parcels, colours, theirs, panels)
        records[name] = {
            "panels": panels,
            "parksim_s": round(min(first, again), 3),
            "parksim_first_s": round(first, 3),
            "geopandas_s": round(bare[panels], 3),
            "speedup": round(bare[panels] / min(first, again), 2),
            "goal_speedup": MAP_GOAL,
            "meets_goal": bare[panels] / min(first, again) >= MAP_GOAL,
        }
        print(f"  map {name:24s} parksim {min(first, again):6.2f} s  geopandas "
              f"{bare[panels]:6.2f} s  × {bare[panels] / min(first, again):5.1f}")  # fmt: skip
    return records


def best_of(func: Callable[[], object], repeats: int) -> float:
    """Time ``func`` ``repeats`` times and keep the fastest (small layers are noise-bound)."""
    return min(timed(func) for _ in range(repeats))


def bench_layers(outcome: Outcome, folder: Path) -> dict[str, dict[str, Any]]:
    """Each layer: built and written by parksim into its own GeoPackage, against pyogrio.

    A run writes every layer, then one ``layer_styles`` table for all of them in one
    transaction (:func:`sim.qgis.write_layer_styles`). A layer's parksim time is its
    build, its write (``write_geopackage(..., styles=False)``: the layer into a new
    GeoPackage 1.3) and its share of that table: the time to write the run's styles,
    measured once, divided among the styled layers. ``own_style_table_s`` and
    ``ratio_own_style_table`` are the upper bound — the layer written with a style table
    of its own (``write_geopackage(path, {name: frame})``). The last line, ``all
    layers``, is the GeoPackage as the run writes it, against pyogrio writing the same
    layers into one file.
    """
    builders: dict[str, Callable[[], gpd.GeoDataFrame]] = {
        "parcels": lambda: parcels_frame(outcome),
        "parks": lambda: _parks_frame(outcome.site, outcome.result),
        "parcel_status_by_year": lambda: status_spells_frame(
            outcome.site, outcome.result, states=outcome.states
        ),
    }
    if outcome.site.land is not None:
        builders["basemap"] = lambda: _basemap_frame(outcome.site)
    frames = {name: build() for name, build in builders.items()}
    styles = layer_styles(frames)
    template = folder / "styles_template.gpkg"
    pyogrio.write_dataframe(frames["parks"], template, layer="parks", driver="GPKG")

    def styles_once() -> float:
        copy = folder / f"styles_{time.perf_counter_ns()}.gpkg"
        shutil.copyfile(template, copy)  # not timed: a GeoPackage to add the table to
        return timed(lambda: write_layer_styles(copy, styles))

    style_s = min(styles_once() for _ in range(7))
    share = style_s / len(styles)
    records: dict[str, dict[str, Any]] = {}
    for k, (name, build) in enumerate(builders.items()):
        frame = frames[name]
        repeats = 3 if len(frame) > 10_000 else 7
        built = best_of(build, repeats)

        def ours(k: int = k, name: str = name, frame: gpd.GeoDataFrame = frame) -> None:
            path = folder / f"ours_{name}_{k}_{time.perf_counter_ns()}.gpkg"
            write_geopackage(path, {name: frame}, styles=False)

        def own(k: int = k, name: str = name, frame: gpd.GeoDataFrame = frame) -> None:
            path = folder / f"own_{name}_{k}_{time.perf_counter_ns()}.gpkg"
            write_geopackage(path, {name: frame})

        def theirs(k: int = k, name: str = name, frame: gpd.GeoDataFrame = frame) -> None:
            path = folder / f"pyogrio_{name}_{k}_{time.perf_counter_ns()}.gpkg"
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")

        styled = any(style.layer == name for style in styles)
        written = best_of(ours, repeats) + (share if styled else 0.0)
        bare = best_of(theirs, repeats)
        record = _layer_record(len(frame), built, written, bare, repeats)
        record["style_share_s"] = round(share if styled else 0.0, 4)
        record["own_style_table_s"] = round(built + best_of(own, repeats), 4)
        record["ratio_own_style_table"] = round(record["own_style_table_s"] / bare, 3)
        records[name] = record

    def ours_all() -> None:
        write_geopackage(folder / f"ours_all_{time.perf_counter_ns()}.gpkg", frames)

    def theirs_all() -> None:
        path = folder / f"pyogrio_all_{time.perf_counter_ns()}.gpkg"
        for name, frame in frames.items():
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")

    built = sum(r["build_s"] for r in records.values())
    total_rows = sum(len(f) for f in frames.values())
    records["all layers"] = _layer_record(total_rows, built, timed(ours_all), timed(theirs_all), 1)
    print(f"  style table: {len(styles)} styles in {style_s * 1e3:.1f} ms, "
          f"{share * 1e3:.2f} ms a styled layer")  # fmt: skip
    for name, r in records.items():
        own_ratio = (
            f"  (own style table {r['ratio_own_style_table']:.2f})" if name in frames else ""
        )
        print(f"  layer {name:22s} {r['rows']:>9,} rows  parksim {r['parksim_s']:7.3f} s "
              f"(build {r['build_s']:.3f})  pyogrio {r['pyogrio_s']:7.3f} s  "
              f"ratio {r['ratio']:5.2f}{own_ratio}")  # fmt: skip
    return records


def _layer_record(
    rows: int, built: float, written: float, bare: float, repeats: int
) -> dict[str, Any]:
    total = built + written
    return {
        "rows": rows,
        "repeats": repeats,
        "build_s": round(built, 4),
        "write_s": round(written, 4),
        "parksim_s": round(total, 4),
        "pyogrio_s": round(bare, 4),
        "ratio": round(total / bare, 3),
        "goal_ratio": LAYER_GOAL,
        "meets_goal": total / bare <= LAYER_GOAL,
    }


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scenario = make_site(folder)
        start = time.perf_counter()
        assert parksim(["run", str(scenario), "--out", str(folder / "run"), "-q"]) == 0
        run_s = time.perf_counter() - start
        figures = sorted(p.name for p in (folder / "run" / "figures").glob("*.png"))
        workbook_s = timed(lambda: write_workbook(folder / "run", folder / "again.xlsx"))
        sheets = load_workbook(folder / "again.xlsx", read_only=True).sheetnames
        start = time.perf_counter()
        outcome = compute(*load(scenario))
        compute_s = time.perf_counter() - start
        n, years = len(outcome.site.parcels), outcome.result.years.size
        print(
            f"{n:,} parcels × {years} years: parksim run {run_s:.1f} s (compute {compute_s:.1f} s; "
            f"results.xlsx alone {workbook_s:.1f} s, sheets {', '.join(sheets)})"
        )
        maps = bench_maps(outcome, folder)
        layers = bench_layers(outcome, folder)
    record: dict[str, Any] = {
        "parcels": n,
        "years": years,
        "run_s": round(run_s, 2),
        "compute_s": round(compute_s, 2),
        "workbook_s": round(workbook_s, 2),
        "workbook_sheets": sheets,
        "figures_written": len(figures),
        "per_year_rows_before": n * years,
        "maps": maps,
        "layers": layers,
        "maps_meet_goal": all(m["meets_goal"] for m in maps.values()),
        "layers_meet_goal": all(m["meets_goal"] for m in layers.values()),
        "python": platform.python_version(),
        "matplotlib": matplotlib.__version__,
        "geopandas": gpd.__version__,
        "pyogrio": pyogrio.__version__,
        "machine": platform.machine(),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    results_path = OUT / "results.json"
    results = json.loads(results_path.read_text(encoding="utf-8")) if results_path.exists() else {}
    results["large_site"] = record
    results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"maps ≥ {MAP_GOAL}× geopandas: {record['maps_meet_goal']}; "
          f"layers ≤ {LAYER_GOAL}× pyogrio: {record['layers_meet_goal']}")  # fmt: skip
    print(f"wrote {results_path} (large_site)")
    print(f"median map speed-up {statistics.median(m['speedup'] for m in maps.values()):.1f}×")
    return record


if __name__ == "__main__":
    main()
