"""Writing a run's outputs: tables, GIS layers, figures and provenance, all or nothing.

``Outcome ──write_outputs──▶ out/<scenario>/`` (writers compute nothing: every table
comes from the :class:`~sim.outcome.Outcome`)::

    summary.csv      one row per (year, park_id) plus park_id = total
    summary_quarterly.csv
                     one row per (quarter, park_id): ``period`` (2016Q3), stocks at the
                     quarter's end (Q4 = summary.csv), flows over the quarter (the
                     deterministic run)
    targets.csv      one row per target
    compliance.csv   one row per (parcel, year): admission-rule densities and flags
    fiscal.csv       with [firms]/[[incentives]]/[fiscal]: the ledger, tidy — one row per
                     (year, park_id, item): outlays, local tax, land, summaries (P10–P90
                     columns with draws); fiscal_payback.csv the payback year per park
    audit_parks.csv  one row per (year, park_id): admission averages, idle land, land supply
    applicants.csv   with ``[applicants]``: one row per applicant (pledges, verdict, outcome,
                     its stretch of queue, the 达产 check); applicants_by_year.csv one row per
                     (year, park_id): admitted, rejected, leaked projects, land and floor
    parcel_indicators.csv, park_indicators.csv
                     投资强度, 亩均营业收入/税收/增加值, 容积率 … per parcel; 土地供应率,
                     建成率, 综合容积率 … per park; the 亩均效益 score and class
    audit.json       capacity, consistency and rule findings (also audit.md, for people)
    parcels.gpkg     layers ``parcels`` (outcome, map state and rules per parcel), ``parks``,
                     ``parcel_status_by_year`` (status spells: one feature per parcel
                     per state, dated) and ``basemap``, styled by map state for
                     QGIS, with a QGIS project (:mod:`sim.qgis_project`)
    assumptions.csv  every scenario value with the source cited beside it
    report.html      the deliverable, results.xlsx the workbook (:mod:`sim.report`, built
                     last from the files above)
    run.json         provenance: hashes of the scenario and every input layer, seed, version
    figures/         status and compliance maps at the horizon, floor against targets,
                     investment intensity against revenue density

Everything is written into a temporary sibling folder first; only when every file
is complete is it swapped into place, so a failed or interrupted run leaves the
previous outputs exactly as they were. CSVs are UTF-8 with a BOM (Excel then shows
Chinese park names), carry units in their column names and name parks
(``park_name_zh``, ``park_name_en``) beside every ``park_id``.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from sim.assumptions import assumptions_frame
from sim.metrics import METRICS
from sim.outputs import atomic_folder, file_sha256
from sim.result import Result
from sim.scenario import Scenario
from sim.site import Site, park_names

if TYPE_CHECKING:
    from sim.outcome import Outcome
    from sim.plot.style import Lang
    from sim.qgis import LayerStyle

__all__ = [
    "layer_styles",
    "parcels_frame",
    "status_spells_frame",
    "targets_csv_frame",
    "with_park_names",
    "write_csv",
    "write_deliverables",
    "write_geopackage",
    "write_outputs",
]

CSV_ENCODING = "utf-8-sig"


def parcels_frame(outcome: Outcome) -> gpd.GeoDataFrame:
    """Build the ``parcels`` output layer: site attributes, outcome and rules per parcel.

    Parameters
    ----------
    outcome
        The run (its deterministic result and rule tables).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``parcel_id, park_id, zone, land_use, phase, area_ha, far, far_max,
        capacity_m2, release_year, start_year, completion_year, floor_m2,
        floor_under_construction_m2, status, state`` (years empty where not reached by
        the horizon; ``status`` the engine's :class:`~sim.result.Status`, ``state`` the
        map state of :attr:`~sim.outcome.Outcome.states` at the horizon, both in lower
        case), ``area_m2`` and the columns of :func:`sim.rules.admission`
        (``investment_cny, revenue_mature_cny, investment_intensity_wan_per_ha =
        investment_cny / area_m2, revenue_density_yi_per_ha = revenue_mature_cny /
        area_m2 / 1e4``, margins, ``meets_investment_rule, meets_revenue_rule``, first
        years, ``first_compliant_year, years_to_comply``), of
        :func:`sim.rules.control_indicators` (``plot_ratio_min``, layout shares and
        their flags, ``meets_control_indicators``) and of
        :func:`sim.rules.idle_by_parcel` (``idle_years, first_idle_year,
        reclaimable_year``); and geometry.
    """
    result, site, tables = outcome.result, outcome.site, outcome.rules
    draw = tables.draw
    state = result.parcel_frame(draw=draw)
    parcels = site.parcels
    area = result.area_m2
    frame = pd.DataFrame(
        {
            "parcel_id": parcels["parcel_id"].to_numpy(),
            "park_id": parcels["park_id"].to_numpy(),
            "zone": parcels["zone"].to_numpy(),
            "land_use": parcels["land_use"].to_numpy(),
            "phase": parcels["phase"].to_numpy(),
            "area_ha": area / 1e4,
            "far": state["capacity_m2"].to_numpy() / area,
            "far_max": parcels["far_max"].to_numpy(),
            "capacity_m2": state["capacity_m2"].to_numpy(),
            "release_year": state["release_year"].array,
            "start_year": state["start_year"].array,
            "completion_year": state["completion_year"].array,
            "floor_m2": state["floor_m2"].to_numpy(),
            "floor_under_construction_m2": result.series["floor_under_construction_m2"][draw, -1],
            "status": state["status"].to_numpy(),
            "state": _state_names(outcome.states[-1]),
        }
    )
    extra = [
        tables.admission.drop(columns=["parcel_id", "park_id", "capacity_m2"]),
        tables.controls.drop(columns=["parcel_id", "park_id", "land_use", "far"]),
        tables.idle.drop(columns=["parcel_id"]),
    ]
    return gpd.GeoDataFrame(
        pd.concat([frame, *extra], axis=1), geometry=parcels.geometry.values, crs=parcels.crs
    )


def write_outputs(
    outcome: Outcome,
    destination: Path,
    *,
    argv: Sequence[str] = (),
    figures: bool = True,
    lang: Lang = "zh",
    force: bool = False,
) -> Path:
    """Write every output of a run into ``destination``, atomically.

    Parameters
    ----------
    outcome
        The run (:func:`sim.outcome.compute`); with an ensemble, ``summary.csv``
        gains percentile columns, ``targets.csv`` the ``probability_met`` of its
        draws, and ``figures/`` the fan and probability charts.
    destination
        Output folder; replaced as a whole only when everything was written, and only
        when it is new, empty or parksim's own (:func:`sim.outputs.check_output_folder`).
    argv
        The command line, recorded in ``run.json``.
    figures
        Whether to draw the figures (the slowest part).
    lang
        Language of the figures' labels: ``"zh"``, ``"en"`` or ``"both"``.
    force
        Also replace output files that were changed since parksim wrote them (never
        files parksim did not write, nor inputs).

    Returns
    -------
    pathlib.Path
        The output folder.

    Raises
    ------
    sim.errors.OutputError
        When ``destination`` may not be replaced; nothing is written then.
    """
    scenario, ensemble = outcome.scenario, outcome.ensemble
    with atomic_folder(destination, inputs=scenario.input_files, force=force) as staging:
        names = park_names(outcome.site)
        summary = outcome.result.summary_frame()
        if ensemble is not None:
            spread = ensemble.percentile_frame()
            summary = pd.concat([summary, spread.drop(columns=["year", "park_id"])], axis=1)
        write_csv(summary, staging / "summary.csv", names=names)
        if outcome.result.quarterly is not None:
            write_csv(
                outcome.result.quarterly_frame(), staging / "summary_quarterly.csv", names=names
            )
        write_csv(targets_csv_frame(outcome.targets), staging / "targets.csv", names=names)
        write_csv(outcome.rules.compliance, staging / "compliance.csv", names=names)
        write_csv(
            assumptions_frame(scenario.sources or (scenario.path,)), staging / "assumptions.csv"
        )
        fiscal = outcome.fiscal
        if fiscal is not None and fiscal.table is not None and fiscal.payback is not None:
            write_csv(fiscal.table, staging / "fiscal.csv", names=names)
            write_csv(fiscal.payback, staging / "fiscal_payback.csv", names=names)
        report = outcome.audit
        write_csv(report.park_years, staging / "audit_parks.csv", names=names)
        if outcome.indicators is not None:
            write_csv(outcome.indicators.parcels, staging / "parcel_indicators.csv", names=names)
            write_csv(outcome.indicators.parks, staging / "park_indicators.csv", names=names)
        if outcome.applicants is not None and outcome.applicants_by_year is not None:
            write_csv(outcome.applicants, staging / "applicants.csv", names=names)
            write_csv(outcome.applicants_by_year, staging / "applicants_by_year.csv", names=names)
        (staging / "audit.json").write_text(
            json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (staging / "audit.md").write_text(report.to_markdown(), encoding="utf-8")
        parcels = parcels_frame(outcome)
        layers = {
            "parcels": parcels,
            "parks": _parks_frame(outcome.site, outcome.result),
            "parcel_status_by_year": status_spells_frame(
                outcome.site, outcome.result, states=outcome.states
            ),
        }
        if outcome.site.land is not None:
            layers["basemap"] = _basemap_frame(outcome.site)
        write_geopackage(staging / "parcels.gpkg", layers)
        write_qgis_project(staging / "parcels.gpkg", outcome, layers=list(layers))
        if figures:
            from sim.plot.render import write_report_figures

            write_report_figures(staging / "figures", outcome, parcels, lang=lang)
        provenance = run_record(scenario, argv=argv)
        if ensemble is not None:
            provenance["draws"] = ensemble.draws
            provenance["seed"] = ensemble.seed
        write_deliverables(staging, provenance)
        provenance["outputs"] = {
            str(path.relative_to(staging)): file_sha256(path)
            for path in sorted(staging.rglob("*"))
            if path.is_file()
        }
        (staging / "run.json").write_text(
            json.dumps(provenance, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return destination


def targets_csv_frame(targets: pd.DataFrame) -> pd.DataFrame:
    """``targets.csv`` as written: a ``unit`` column after ``metric``.

    ``target``, ``projected``, ``gap`` and the percentiles are in that unit (``m2``,
    ``CNY/yr`` or ``persons``); ``share`` and ``probability_met`` are fractions 0–1.
    """
    out = targets.copy()
    units = {info.column: info.si_unit for info in METRICS.values()}
    out.insert(1, "unit", out["metric"].map(units).fillna(""))
    return out


def write_deliverables(folder: Path, provenance: dict[str, object]) -> list[Path]:
    """Write ``report.html`` and ``results.xlsx`` from the files already in ``folder``.

    Parameters
    ----------
    folder
        A (staging) output folder holding the tables, layers and figures of a run.
    provenance
        Its ``run.json`` record, which the report shows (``run.json`` itself is
        written last, with the hashes of these files).

    Returns
    -------
    list of pathlib.Path
        The two files.
    """
    from sim.report import render_report, write_workbook

    report = folder / "report.html"
    report.write_text(render_report(folder, provenance=provenance), encoding="utf-8")
    return [report, write_workbook(folder)]


def with_park_names(frame: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``park_name_zh, park_name_en`` right after its ``park_id``.

    Examples
    --------
    >>> names = pd.DataFrame(
    ...     {"park_id": ["A"], "park_name_zh": ["甲园"], "park_name_en": ["Park A"]}
    ... )
    >>> with_park_names(pd.DataFrame({"year": [1], "park_id": ["A"]}), names).columns.tolist()
    ['year', 'park_id', 'park_name_zh', 'park_name_en']
    """
    if "park_id" not in frame.columns:
        return frame
    lookup = names.set_index("park_id")
    ids = frame["park_id"].astype(str)
    out = frame.copy()
    at = int(list(out.columns).index("park_id")) + 1
    for offset, column in enumerate(("park_name_zh", "park_name_en")):
        values = ids.map(lookup[column]).fillna(ids)
        out.insert(at + offset, column, values.to_numpy())
    return out


def write_csv(frame: pd.DataFrame, path: Path, *, names: pd.DataFrame | None = None) -> Path:
    """Write a table for Excel and pandas alike: UTF-8 with a BOM, plain numbers.

    The BOM makes Excel read the file as UTF-8 (Chinese names intact); numbers are
    written in full precision without thousands separators; empty cells are missing
    values. ``pd.read_csv(path, encoding="utf-8-sig")`` reads it back.

    Parameters
    ----------
    frame
        The table.
    path
        Where to write it.
    names
        :func:`sim.site.park_names`: when given and ``frame`` has a ``park_id``, the parks'
        Chinese and English names are written beside it.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    if names is not None:
        frame = with_park_names(frame, names)
    frame.to_csv(path, index=False, encoding=CSV_ENCODING, lineterminator="\r\n")
    return path


#: GeoPackage version written: 1.3 opens in GDAL ≥ 2.2 and every QGIS 3 (GDAL ≥ 3.3
#: writes 1.4 by default, whose R-tree triggers older readers reject).
GPKG_VERSION = "1.3"


def write_geopackage(
    path: Path, layers: dict[str, gpd.GeoDataFrame], *, styles: bool = True
) -> Path:
    """Write layers into one GeoPackage 1.3 with QGIS styles in ``layer_styles``.

    The styles are :func:`layer_styles`, each the layer's default, written in one
    transaction after the layers (:func:`sim.qgis.write_layer_styles`).

    Parameters
    ----------
    path
        The new GeoPackage (must not exist).
    layers
        Layer name → frame, written in this order.
    styles
        Whether to write the style table (False: the layers alone, for a caller that
        writes the styles itself).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import pyogrio

    from sim.qgis import write_layer_styles

    for i, (name, frame) in enumerate(layers.items()):
        pyogrio.write_dataframe(
            frame,
            path,
            layer=name,
            driver="GPKG",
            dataset_options={"VERSION": GPKG_VERSION} if i == 0 else None,
        )
    found = layer_styles(layers) if styles else []
    if found:
        # All styles in one transaction, once per file: through GDAL the table cost a
        # second dataset open and layer creation, ~10 ms — as much as a small layer.
        write_layer_styles(path, found)
    return path


def layer_styles(layers: dict[str, gpd.GeoDataFrame]) -> list[LayerStyle]:
    """Choose each layer's QGIS style: map states, park outlines or the base map's land.

    Layers with a ``state`` column get the map-state colours (:func:`sim.qgis.status_qml`,
    with an SLD copy); one with ``date_start`` (``parcel_status_by_year``) also gets its
    temporal settings so that QGIS's temporal controller plays it; a layer named
    ``parks`` gets an outline style, ``basemap`` a pale fill; others none.

    Parameters
    ----------
    layers
        Layer name → frame.

    Returns
    -------
    list of sim.qgis.LayerStyle
        In layer order.
    """
    from sim.qgis import LayerStyle, basemap_qml, parks_qml, status_qml, status_sld

    styles = []
    for name, frame in layers.items():
        if "state" in frame.columns:
            temporal = ("date_start", "date_end") if "date_start" in frame.columns else None
            what = "parcels coloured by map state" + (", by year" if temporal else "")
            styles.append(LayerStyle(name, status_qml(temporal=temporal), status_sld(name), what))
        elif name == "parks":
            styles.append(LayerStyle(name, parks_qml(), "", "park outlines"))
        elif name == "basemap":
            styles.append(LayerStyle(name, basemap_qml(), "", "base map land (maps/README.md)"))
    return styles


def status_spells_frame(
    site: Site,
    result: Result,
    *,
    states: npt.NDArray[np.int8] | None = None,
    draw: int = 0,
) -> gpd.GeoDataFrame:
    """One feature per parcel and status spell (:func:`sim.spells.status_spells`).

    For QGIS's temporal controller: a feature is shown from ``date_start`` to
    ``date_end`` (exclusive), the dates a parcel entered its state and left it — the
    quarter of the event that brought it about where the engine records one, else
    1 January of the year at whose end it is first recorded (``dated_by`` says which).
    A parcel that never changes is one feature; the layer is a few features per parcel
    whatever the number of years or quarters.

    Parameters
    ----------
    site
        The site the result was simulated on.
    result
        The result.
    states
        Each parcel's :class:`~sim.states.ParcelState` at the end of every year,
        ``(Y, P)`` (:attr:`sim.outcome.Outcome.states`); default
        :func:`sim.states.parcel_states` of ``draw`` with the result's occupancy
        ceilings.
    draw
        Which draw to describe.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``parcel_id, park_id, date_start, date_end, dated_by, year_first,
        year_last, status, state, floor_completed_m2, floor_under_construction_m2`` and
        geometry: parcels in site order, each one's spells in time order; ``year_first``
        and ``year_last`` the first and last year end the spell covers, the floor at
        ``year_last``'s end.
    """
    from sim.result import Status
    from sim.spells import status_spells
    from sim.states import parcel_states

    if states is None:
        ceiling = result.parcel_parameters(draw=draw).get("occupancy_ceiling")
        states = np.stack(
            [
                parcel_states(result, year=int(year), draw=draw, occupancy_ceiling=ceiling)
                for year in result.years
            ]
        )
    events = {
        name: quarters[min(draw, quarters.shape[0] - 1)]
        for name, quarters in (result.events_q or {}).items()
    }
    spells = status_spells(result.years, result.status[draw], states, events)
    names = np.array([s.name.lower() for s in Status], dtype=object)
    at_end = (spells.last, spells.parcel)
    return gpd.GeoDataFrame(
        {
            "parcel_id": result.parcel_ids.astype(object)[spells.parcel],
            "park_id": site.parcels["park_id"].to_numpy(dtype=object)[spells.parcel],
            "date_start": spells.start.astype("datetime64[ms]"),
            "date_end": spells.end.astype("datetime64[ms]"),
            "dated_by": spells.dated_by,
            "year_first": result.years[spells.first].astype(np.int32),
            "year_last": result.years[spells.last].astype(np.int32),
            "status": names[spells.status],
            "state": _state_names(spells.state),
            "floor_completed_m2": result.series["floor_completed_m2"][draw][at_end],
            "floor_under_construction_m2": result.series["floor_under_construction_m2"][draw][
                at_end
            ],
        },
        geometry=site.parcels.geometry.values.take(spells.parcel),
        crs=site.parcels.crs,
    )


def _state_names(codes: npt.NDArray[np.int8]) -> npt.NDArray[np.object_]:
    """Lower-case :class:`~sim.states.ParcelState` names of state codes (any shape)."""
    from sim.states import ParcelState

    names = np.array([s.name.lower() for s in ParcelState], dtype=object)
    return np.asarray(names[np.asarray(codes, dtype=np.intp)], dtype=object)


def _parks_frame(site: Site, result: Result) -> gpd.GeoDataFrame:
    parks = site.parks
    order = [result.park_ids.index(p) for p in parks["park_id"]]
    last = {
        name: result.by_park(name)[0, -1, order]
        for name in ("floor_completed_m2", "floor_under_construction_m2", "floor_occupied_m2")
    }
    capacity = np.bincount(
        result.parcel_park, weights=result.capacity_m2, minlength=len(result.park_ids)
    )
    return gpd.GeoDataFrame(
        {
            "park_id": parks["park_id"].to_numpy(),
            "name_zh": parks["name_zh"].astype(str).to_numpy(),
            "name_en": parks["name_en"].astype(str).to_numpy(),
            "area_ha": parks.geometry.area.to_numpy() / 1e4,
            "capacity_m2": capacity[order],
            **last,
        },
        geometry=parks.geometry.values,
        crs=parks.crs,
    )


def _basemap_frame(site: Site) -> gpd.GeoDataFrame:
    """Clip the base map's land (``[site] basemap``) to 2 km around the site, as polygons."""
    assert site.land is not None
    xmin, ymin, xmax, ymax = site.extent
    pad = 2000.0
    geoms = site.land.geometry.values
    raw = np.asarray(geoms)
    # What GeoDataFrame.cx selects (the land meeting the padded box), without its frame.
    near = shapely.intersects(raw, shapely.box(xmin - pad, ymin - pad, xmax + pad, ymax + pad))
    near &= np.isin(shapely.get_type_id(raw), (3, 6))  # Polygon, MultiPolygon
    return gpd.GeoDataFrame(
        {"source": np.full(int(near.sum()), "maps/README.md", dtype=object)},
        geometry=geoms[near],
        crs=site.land.crs,
    )


def write_qgis_project(path: Path, outcome: Outcome, *, layers: Sequence[str]) -> Path:
    """Store the QGIS project of a run's layers in its GeoPackage (:mod:`sim.qgis_project`).

    Parameters
    ----------
    path
        ``parcels.gpkg``, already holding ``layers``.
    outcome
        The run (its scenario's name, CRS and years; the site's extent).
    layers
        The GeoPackage's layers.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    from sim.qgis import basemap_qml, parks_qml, status_qml
    from sim.qgis_project import ProjectLayer, project_xml, write_project

    shown = {
        "parks": ProjectLayer("parks", "园区 parks", parks_qml(), label_field="name_zh"),
        "parcel_status_by_year": ProjectLayer(
            "parcel_status_by_year",
            "地块状态（逐年）parcel states by year",
            status_qml(temporal=("date_start", "date_end")),
        ),
        "parcels": ProjectLayer(
            "parcels", "地块状态（期末）parcels at the horizon", status_qml(), visible=False
        ),
        "basemap": ProjectLayer("basemap", "底图 base map", basemap_qml()),
    }
    scenario, result = outcome.scenario, outcome.result
    bounds = outcome.site.extent
    xml = project_xml(
        [shown[name] for name in shown if name in layers],
        gpkg=path.name,
        crs=str(scenario.scenario.crs),
        extent=(float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3])),
        years=(int(result.years[0]), int(result.years[-1])),
        title=f"{scenario.name} 示意图",
    )
    write_project(path, xml)
    return path


def run_record(scenario: Scenario, *, argv: Sequence[str] = ()) -> dict[str, object]:
    """Provenance of a run: what went in, with which code, when.

    Parameters
    ----------
    scenario
        The scenario run.
    argv
        The command line.

    Returns
    -------
    dict
        ``scenario``, ``scenario_sha256``, ``seed``, ``version``, ``inputs`` (path →
        sha256 of each layer file), ``command``, ``created_utc``, ``python``.
    """
    files = {scenario.site.parks, scenario.site.parcels}
    if scenario.site.basemap is not None:
        files.add(scenario.site.basemap)
    return {
        "scenario": str(scenario.path),
        "scenario_name": scenario.name,
        "scenario_sha256": scenario.sha256,
        "seed": scenario.scenario.seed,
        "version": _version(),
        "inputs": {str(p): file_sha256(p) for p in sorted(files)},
        "command": list(argv),
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def _version() -> str:
    try:
        return metadata.version("parksim")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "unknown"
