"""``report.html``: a run's one-file deliverable, built from the files of its folder.

``OUTDIR (run.json, CSVs, parcels.gpkg, audit.json, figures/) ──render_report──▶ HTML``

The report reads only what the run wrote — it computes nothing of the model, so
``parksim report OUTDIR`` rebuilds it from a folder alone. It is one self-contained
file: styles, script, the font (:mod:`sim.report.fonts`) and every figure are inline
(SVG when the run wrote one, else the PNG as base64), so it opens offline and makes no
request of any kind. Chinese by default, English by a toggle (``<html data-lang>``);
print CSS lays it out on A4. Sections, in order: headline against targets, parks,
uncertainty (with an ensemble), figures, the audit's findings, every assumption with
its source, further tables (:data:`sim.report.sections.TABLES` and any other CSV the
run wrote), provenance.
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.metrics import metric_info
from sim.report.findings import finding_zh
from sim.report.labels import column_label
from sim.report.sections import read_csv_table, read_table, tables_in

__all__ = ["FIGURE_CAPTIONS", "Figure", "render_report", "report_context"]

#: Figure file stem (a prefix for year-suffixed ones) → (Chinese, English) caption.
FIGURE_CAPTIONS: dict[str, tuple[str, str]] = {
    "overview_map": (
        "园区总览：竣工建筑面积与目标",
        "Parks overview: floor completed against target",
    ),
    "status_map_by_year": ("逐年地块状态", "Parcel states, year by year"),
    "status_map": ("规划期末地块状态", "Parcel states at the horizon"),
    "completion_year_map": ("地块竣工年份", "Year each parcel was completed"),
    "compliance_map": ("准入指标达标情况", "Parcels against the admission rules"),
    "floor_vs_target": (
        "竣工与在建建筑面积对比目标",
        "Floor completed and under way against targets",
    ),
    "annual_completions_by_park": ("各园区逐年竣工面积", "Floor completed each year, by park"),
    "revenue_vs_policy_path": ("营业收入对比政策路径", "Revenue against the policy's growth path"),
    "compliance_scatter": ("投资强度与产出强度", "Investment intensity against revenue density"),
    "floor_fan_chart": ("竣工面积 P10–P90 区间", "Floor completed: P10–P90 band"),
    "target_probability_by_year": ("逐年达标概率", "Probability of meeting each target, by year"),
}
_TOTAL = {"total": ("合计", "total"), "rest_of_city": ("全市其余", "rest of city")}
_TOPICS = {
    "capacity": ("容量", "Capacity"),
    "consistency": ("规划自身数据一致性", "The plan's own numbers"),
    "rules": ("准入、控制指标与闲置土地", "Rules: admission, control indicators, idle land"),
    "fiscal": ("财政：政策的成本与回报", "Fiscal: what the policy costs and returns"),
}


@dataclass(frozen=True)
class Figure:
    """One figure as embedded: its file, captions and ``data:`` URL."""

    name: str
    caption_zh: str
    caption_en: str
    src: str


def _figures(folder: Path) -> list[Figure]:
    """Every figure of ``figures/`` in caption order, SVG preferred over PNG."""
    files: dict[str, Path] = {}
    for path in sorted((folder / "figures").glob("*")):
        if path.suffix in (".svg", ".png") and (path.suffix == ".svg" or path.stem not in files):
            files[path.stem] = path
    order = list(FIGURE_CAPTIONS)
    out = []
    for stem, path in files.items():
        key = next((k for k in order if stem == k or stem.startswith(k + "_")), "")
        zh, en = FIGURE_CAPTIONS.get(key, (stem, stem))
        year = stem[len(key) + 1 :] if key and stem != key else ""
        if year:
            zh, en = f"{zh}（{year}）", f"{en} ({year})"
        mime = "image/svg+xml" if path.suffix == ".svg" else "image/png"
        src = f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")
        out.append((order.index(key) if key else len(order), stem, Figure(stem, zh, en, src)))
    return [figure for *_, figure in sorted(out, key=lambda item: (item[0], item[1]))]


def _names(folder: Path) -> dict[str, tuple[str, str]]:
    """park_id → (Chinese, English) name, from the GeoPackage's parks layer."""
    names = dict(_TOTAL)
    gpkg = folder / "parcels.gpkg"
    if gpkg.is_file():
        import pyogrio

        parks = pyogrio.read_dataframe(gpkg, layer="parks", read_geometry=False)
        for row in parks.itertuples():
            names[str(row.park_id)] = (str(row.name_zh), str(row.name_en))
    return names


def _number(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _targets(folder: Path, names: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    path = folder / "targets.csv"
    if not path.is_file():
        return []
    rows = []
    for row in read_csv_table(path).to_dict("records"):
        info = metric_info(str(row["metric"]))
        scale, unit = (info.scale, info.unit) if info else (1.0, str(row.get("unit", "")))
        zh, en = (info.zh, info.en) if info else (str(row["metric"]),) * 2
        digits = 0 if scale == 1.0 else 1
        park = names.get(str(row["park_id"]), (str(row["park_id"]),) * 2)
        probability = row.get("probability_met")
        spread = [row.get(f"projected_p{q}") for q in (10, 50, 90)]
        rows.append(
            {
                "what_zh": zh,
                "what_en": en,
                "park_zh": park[0],
                "park_en": park[1],
                "year": int(row["year"]),
                "unit": unit,
                "target": _number(float(row["target"]) / scale, digits),
                "projected": _number(float(row["projected"]) / scale, digits),
                "gap": _number(float(row["gap"]) / scale, digits),
                "share": f"{float(row['share']):.0%}",
                "met": bool(row["met"]),
                "probability": None
                if probability is None or pd.isna(probability)
                else f"{float(probability):.0%}",
                "spread": None
                if any(v is None or pd.isna(v) for v in spread)
                else " – ".join(_number(float(v or 0) / scale, digits) for v in spread[::2]),
                "source": str(row.get("source", "") or ""),
                "basis": str(row.get("basis", "") or ""),
            }
        )
    return rows


def _frame_rows(frame: pd.DataFrame, columns: list[str]) -> dict[str, Any]:
    """Lay out a table for the template: headings in both languages and formatted cells."""
    heads = [column_label(c) for c in columns]
    body = []
    for record in frame[columns].to_dict("records"):
        cells = []
        for column in columns:
            value = record[column]
            if isinstance(value, bool):
                cells.append("✓" if value else "✗")
            elif isinstance(value, float):
                if math.isnan(value):
                    cells.append("–")
                elif column.endswith(("_rate", "share")) or column == "probability_met":
                    cells.append(f"{value:.1%}")
                elif abs(value) >= 100:
                    cells.append(f"{value:,.0f}")
                else:
                    cells.append(f"{value:,.2f}")
            else:
                cells.append("" if value is None else str(value))
        body.append(cells)
    return {"heads": heads, "rows": body, "numeric": [_is_numeric(frame[c]) for c in columns]}


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series)) and not pd.api.types.is_bool_dtype(series)


def _parks(folder: Path) -> dict[str, Any] | None:
    gpkg = folder / "parcels.gpkg"
    if not gpkg.is_file():
        return None
    import pyogrio

    parks = pd.DataFrame(pyogrio.read_dataframe(gpkg, layer="parks", read_geometry=False))
    columns = [c for c in parks.columns if c != "park_id"]
    return _frame_rows(parks, columns)


def _uncertainty(folder: Path, names: dict[str, tuple[str, str]]) -> dict[str, Any] | None:
    """P10/P50/P90 of floor completed per park at the horizon, when the run had draws."""
    path = folder / "summary.csv"
    if not path.is_file():
        return None
    summary = read_csv_table(path)
    bands = [f"floor_completed_m2_p{q}" for q in (10, 50, 90)]
    if not set(bands) <= set(summary.columns):
        return None
    last = summary[summary["year"] == summary["year"].max()]
    last = last[last["park_id"] != "rest_of_city"]  # the model gives the rest no floor
    rows = [
        [
            *names.get(str(r["park_id"]), (str(r["park_id"]),) * 2),
            *(_number(float(r[b]) / 1e4) for b in bands),
        ]
        for r in last.to_dict("records")
    ]
    return {"year": int(summary["year"].max()), "rows": rows}


def _audit(folder: Path, names: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """Group the findings by topic, each with its Chinese wording (:func:`finding_zh`)."""
    path = folder / "audit.json"
    if not path.is_file():
        return []
    findings = json.loads(path.read_text(encoding="utf-8")).get("findings", [])
    parks = {park: zh for park, (zh, _) in names.items()}
    groups = []
    for topic, (zh, en) in _TOPICS.items():
        items = []
        for f in findings:
            if f.get("topic") != topic:
                continue
            scope = str(f.get("scope") or "")
            scope_zh, scope_en = names.get(scope, (scope, scope))
            text_zh = finding_zh(f, parks=parks)
            items.append({**f, "text_zh": text_zh, "scope_zh": scope_zh, "scope_en": scope_en})
        if items:
            groups.append({"zh": zh, "en": en, "findings": items})
    return groups


def _assumptions(folder: Path) -> list[dict[str, Any]]:
    path = folder / "assumptions.csv"
    if not path.is_file():
        return []
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    groups: list[dict[str, Any]] = []
    for (file, table), rows in frame.groupby(["file", "table"], sort=False):
        groups.append({"file": file, "table": table or "—", "rows": rows.to_dict("records")})
    return groups


def _extra_tables(folder: Path) -> list[dict[str, Any]]:
    """List the tables shown in full.

    Those of :data:`TABLES` marked for the report and any CSV a later step of the run
    wrote (fiscal, applicants …), except those shown in their own sections.
    """
    shown = {"targets", "parks"}
    out = []
    for table, path in tables_in(folder):
        if table.sheet in shown or not table.in_report:
            continue
        frame = read_table(table, path)
        out.append(
            {
                "id": f"table-{table.sheet}",
                "zh": table.title_zh,
                "en": table.title_en,
                "table": _frame_rows(frame, list(frame.columns)),
            }
        )
    return out


def report_context(folder: Path, *, provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the template shows, read from a run's output folder.

    Parameters
    ----------
    folder
        The output folder of ``parksim run``.
    provenance
        The run's ``run.json`` record (default: read from the folder).

    Returns
    -------
    dict
        ``provenance`` (``run.json``), ``targets``, ``met``, ``parks``,
        ``uncertainty``, ``figures``, ``audit``, ``assumptions``, ``tables``.
    """
    run = (
        json.loads((folder / "run.json").read_text(encoding="utf-8"))
        if provenance is None
        else provenance
    )
    names = _names(folder)
    targets = _targets(folder, names)
    return {
        "provenance": run,
        "title": str(run.get("scenario_name", folder.name)),
        "targets": targets,
        "met": sum(t["met"] for t in targets),
        "ensemble": "draws" in run,
        "parks": _parks(folder),
        "uncertainty": _uncertainty(folder, names),
        "figures": _figures(folder),
        "audit": _audit(folder, names),
        "assumptions": _assumptions(folder),
        "tables": _extra_tables(folder),
    }


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("sim.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


_TAGS = re.compile(r"<[^>]+>")


def render_report(folder: Path, *, provenance: dict[str, Any] | None = None) -> str:
    """Render ``report.html`` for a run's output folder.

    The page is rendered once to learn its text, then again with the font cut down
    to those characters (:func:`sim.report.fonts.font_data_url`).

    Parameters
    ----------
    folder
        The output folder of ``parksim run``.
    provenance
        Its ``run.json`` record (default: read from ``folder / "run.json"``).

    Returns
    -------
    str
        The HTML document.
    """
    from sim.report.fonts import FONT_FAMILY, font_data_url

    env = _environment()
    template = env.get_template("report.html.j2")
    context = report_context(folder, provenance=provenance)
    assets = {
        "css": env.loader.get_source(env, "report.css")[0],
        "js": env.loader.get_source(env, "report.js")[0],
        "font_family": FONT_FAMILY,
    }
    draft = template.render(**context, **assets, font_url="")
    text = _TAGS.sub(" ", re.sub(r'src="data:[^"]*"', "", draft))
    return str(template.render(**context, **assets, font_url=font_data_url(text)))
