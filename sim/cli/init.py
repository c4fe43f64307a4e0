"""``parksim init``: a runnable scenario from a planner's own parcel layer.

Reads the layer with :func:`sim.byo.read_parcels` (reprojection, repairs, each change
reported) and writes the scenario and its ``_site.gpkg`` with
:func:`sim.byo.write_scenario`; neither file may be the layer read, and an existing
one is replaced only with ``--force`` (:func:`sim.outputs.check_output_file`, checked
before the layer is read).
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from sim.cli._common import EXIT_OK, status, year

__all__ = ["add", "run"]


def add(commands: Any) -> argparse.ArgumentParser:
    """Register ``parksim init``."""
    init: argparse.ArgumentParser = commands.add_parser(
        "init",
        help="make a scenario from your own parcel layer",
        description=(
            "Read a parcel layer (Shapefile incl. GBK-encoded DBF, GeoPackage, GeoJSON, DXF), "
            "reproject it to a projected CRS, repair its geometry (reporting every change) "
            "and write a scenario that `parksim run` accepts, with the layer copied next to "
            "it as a GeoPackage and every default marked REVIEW with its source."
        ),
        epilog=(
            "examples:\n"
            "  parksim init 地块.shp --park-field 园区 --far-field 容积率 --encoding GBK "
            "--out my/plan.toml\n"
            "  parksim init parcels.gpkg --layer parcels --park-field park --id-field dkbh "
            "--out plan.toml\n"
            "  parksim init site.dxf --park-field Layer --crs EPSG:4549 --out plan.toml\n"
            "then: parksim check my/plan.toml && parksim run my/plan.toml"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("layer", type=Path, help="the parcel layer file")
    init.add_argument(
        "--park-field", required=True, help="field naming each parcel's park (DXF: Layer)"
    )
    init.add_argument("--far-field", help="field with each parcel's plot-ratio cap (容积率)")
    init.add_argument("--id-field", help="field with parcel ids (default: <park>-0001, …)")
    init.add_argument(
        "--crs",
        help="CRS the layer is drawn in, where the file does not say (no .prj, DXF), "
        "e.g. EPSG:4490 or EPSG:4549",
    )
    init.add_argument(
        "--encoding", help="text encoding of a Shapefile's DBF, e.g. GBK (default: detected)"
    )
    init.add_argument("--layer", dest="layer_name", help="layer to read from a multi-layer file")
    init.add_argument(
        "--target-crs",
        help="projected CRS of the scenario (default: the CGCS2000 3° GK zone of the "
        "data's longitude, e.g. EPSG:4549 for 118.5–121.5°E)",
    )
    init.add_argument("--name", help="scenario name (default: the layer's file name)")
    init.add_argument("--base-year", type=year, help="first simulated year (default: this year)")
    init.add_argument("--horizon", type=year, help="last simulated year (default: base + 10)")
    init.add_argument(
        "--out",
        required=True,
        help="scenario file to write (.toml); the layer is written beside it as <stem>_site.gpkg",
    )
    init.add_argument(
        "--force",
        action="store_true",
        help="replace an existing scenario or site file (never the layer read)",
    )
    init.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    return init


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Carry out ``parksim init``."""
    from sim.errors import Problem, SimError
    from sim.outputs import check_output_file, layer_files

    out = Path(args.out)
    problems = []
    if out.suffix.lower() != ".toml":
        problems.append(
            Problem("--out", f"expected a .toml file name; found {out}; e.g. --out plan.toml")
        )
    else:  # refuse before reading the layer; write_scenario checks again
        inputs = layer_files(args.layer)
        check_output_file(args.out, inputs=inputs, force=args.force)
        check_output_file(
            out.with_name(f"{out.stem}_site.gpkg"),
            inputs=inputs,
            force=args.force,
            option="the site layer written beside --out",
        )
    if args.base_year and args.horizon and args.horizon < args.base_year:
        problems.append(
            Problem(
                "--horizon",
                f"expected a year ≥ --base-year {args.base_year}; found {args.horizon}",
            )
        )
    if problems:
        raise SimError("bad options", problems=problems)

    from sim.byo import read_parcels, write_scenario

    with status(args.quiet, f"reading {args.layer.name}"):
        imported = read_parcels(
            args.layer,
            park_field=args.park_field,
            far_field=args.far_field,
            id_field=args.id_field,
            crs=args.crs,
            encoding=args.encoding,
            layer=args.layer_name,
            target_crs=args.target_crs,
        )
        path = write_scenario(
            imported,
            out,
            name=args.name,
            base_year=args.base_year,
            horizon=args.horizon,
            command=shlex.join(argv),
            force=args.force,
        )
    if not args.quiet:
        parks = imported.parcels["park_id"].nunique()
        print(
            f"{path}: {len(imported.parcels)} parcels in {parks} parks, {imported.crs}; "
            f"layer written to {path.with_name(path.stem + '_site.gpkg')}"
        )
        if imported.changes:
            print("changes made to the layer:")
            for change in imported.changes:
                print(f"  - {change}")
        print(
            "review every line marked REVIEW in the scenario, then:\n"
            f"  parksim check {path}\n  parksim run {path}"
        )
    return EXIT_OK
