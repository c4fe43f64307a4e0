"""Overview map: the city with every park and, per park, its floor completed against target.

In: an :class:`~sim.outcome.Outcome` — its site, the floor completed and under
construction per park of its result, the scenario's floor targets and, with an
ensemble, the P10–P90 range of floor completed across draws. Out: a matplotlib Figure
with the parks filled in their colours, each labelled with its name, its numbers and a
small bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.offsetbox import DrawingArea, HPacker, TextArea, VPacker
from matplotlib.patches import Patch, Rectangle

from sim.plot.cartography import LabelSpec, add_polygons, north_arrow, place_labels, source_text
from sim.plot.figure import root_figure
from sim.plot.frame import DEFAULT_OPTIONS, MapOptions
from sim.plot.layers import is_schematic, layers_of
from sim.plot.layout import (
    GAP,
    frame_inches,
    frame_width,
    head_height,
    legend_height,
    map_extent,
    new_figure,
    page_layout,
)
from sim.plot.primitives import (
    PARK_EDGE,
    bottom_notes,
    draw_land,
    draw_title,
    set_view,
    side_legend,
)
from sim.plot.style import TARGET_COLOUR, Lang, label, park_colour, style_context

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.outcome import Outcome
    from sim.result import Ensemble
    from sim.scenario import Target

__all__ = ["overview_map"]


def _floor_targets(
    targets: Sequence[Target], park_ids: Sequence[str], year: int
) -> dict[str, tuple[float, int]]:
    """Per park, the floor-completed target to compare with ``year``: value and year.

    The target of that year if there is one, else the latest before it, else the first.
    """
    from sim.scenario import Metric

    chosen: dict[str, tuple[float, int]] = {}
    for park in park_ids:
        mine = sorted(
            (t for t in targets if t.metric is Metric.FLOOR_COMPLETED and t.park == park),
            key=lambda t: t.year,
        )
        if not mine:
            continue
        before = [t for t in mine if t.year <= year]
        pick = before[-1] if before else mine[0]
        chosen[park] = (float(pick.value), int(pick.year))
    return chosen


def _mini_bar(
    done: float,
    building: float,
    target: float | None,
    spread: tuple[float, float] | None,
    colour: str,
    *,
    width: float,
    scale: float,
) -> DrawingArea:
    """Draw a bar ``width`` points long: floor completed, under construction, target."""
    height = 5.5
    area = DrawingArea(width, height + 3.0, 0.0, 0.0)
    per = width / max(scale, 1e-9)
    area.add_artist(Rectangle((0, 1.5), width, height, facecolor="#EEEEEE", edgecolor="none"))
    area.add_artist(
        Rectangle((0, 1.5), min(done * per, width), height, facecolor=colour, edgecolor="none")
    )
    area.add_artist(
        Rectangle(
            (min(done * per, width), 1.5),
            min(building * per, width - min(done * per, width)),
            height,
            facecolor=colour,
            alpha=0.35,
            edgecolor="none",
        )
    )
    if spread is not None:
        lo, hi = (min(v * per, width) for v in spread)
        area.add_artist(Line2D([lo, hi], [1.5 + height / 2] * 2, color="black", linewidth=0.8))
        for v in (lo, hi):
            area.add_artist(
                Line2D(
                    [v, v], [1.5 + height * 0.2, 1.5 + height * 0.8], color="black", linewidth=0.8
                )
            )
    if target is not None:
        x = min(target * per, width)
        area.add_artist(Line2D([x, x], [0.0, height + 3.0], color=TARGET_COLOUR, linewidth=1.2))
    return area


@dataclass(frozen=True)
class _Floor:
    """Per park, in the order of the park layer: what its label says and its bar shows."""

    park_ids: list[str]
    done: np.ndarray  # floor completed in the year shown, 万m²
    building: np.ndarray  # under construction, 万m²
    spread: dict[str, tuple[float, float]] | None  # P10–P90 of floor completed, 万m²
    goals: dict[str, tuple[float, int]]  # floor target (m²) and its year
    colours: dict[str, str]


def _floor(outcome: Outcome, parks: gpd.GeoDataFrame, shown: int) -> _Floor:
    result, ensemble = outcome.result, outcome.ensemble
    t = result.year_index(shown)
    park_ids = [str(p) for p in parks["park_id"]]
    order = [result.park_ids.index(p) for p in park_ids]
    spread = None
    if ensemble is not None:
        per_draw = ensemble.by_park("floor_completed_m2")[:, list(ensemble.years).index(shown)]
        low, high = np.percentile(per_draw, [10, 90], axis=0) / 1e4
        spread = {
            p: (float(low[ensemble.park_ids.index(p)]), float(high[ensemble.park_ids.index(p)]))
            for p in park_ids
        }
    return _Floor(
        park_ids=park_ids,
        done=result.by_park("floor_completed_m2")[0, t, order] / 1e4,
        building=result.by_park("floor_under_construction_m2")[0, t, order] / 1e4,
        spread=spread,
        goals=_floor_targets(outcome.scenario.targets, park_ids, shown),
        colours={p: park_colour(result.park_ids.index(p)) for p in park_ids},
    )


def _handles(shown: int, ensemble: Ensemble | None, lang: Lang) -> list[Artist]:
    handles: list[Artist] = [
        Patch(
            facecolor="#555555",
            label=label(f"{shown}年竣工", f"completed by {shown}", lang, sep="\n"),
        ),
        Patch(facecolor="#555555", alpha=0.35, label=label("在建", "under construction", lang)),
        Line2D(
            [],
            [],
            color=TARGET_COLOUR,
            linewidth=1.2,
            marker="|",
            markersize=9,
            linestyle="none",
            label=label("竣工目标", "floor target", lang),
        ),
    ]
    if ensemble is not None:
        handles.append(
            Line2D(
                [],
                [],
                color="black",
                linewidth=0.8,
                marker="|",
                markersize=5,
                label=label(
                    f"P10–P90（{ensemble.draws:,} 次模拟）",
                    f"P10–P90 ({ensemble.draws:,} runs)",
                    lang,
                    sep="\n",
                ),
            )
        )
    return handles


def _label_specs(
    parks: gpd.GeoDataFrame, centres: gpd.GeoSeries, floor: _Floor, shown: int, lang: Lang
) -> list[LabelSpec]:
    """One label per park: name, floor against target, and a bar where there is a target."""
    small = float(plt.rcParams["legend.fontsize"])
    unit = "× 10⁴ m²" if lang == "en" else "万m²"  # one unit, even with both languages
    specs = []
    for k, park in enumerate(floor.park_ids):
        row = parks.iloc[k]
        done, building = floor.done[k], floor.building[k]
        name = label(str(row["name_zh"]), str(row["name_en"]), lang, sep="\n")
        goal = floor.goals.get(park)
        if goal is not None:
            numbers = f"{done:,.0f} / {goal[0] / 1e4:,.0f} {unit}"
            if goal[1] != shown:
                numbers += label(f"（{goal[1]}年目标）", f" (target {goal[1]})", lang)
        else:
            numbers = f"{done:,.0f} {unit} · " + label("无面积目标", "no target", lang)
        children: list[Any] = [
            TextArea(name, textprops={"fontsize": small * 1.1}),
            TextArea(numbers, textprops={"fontsize": small * 0.9, "color": "#333333"}),
        ]
        if goal is not None:  # a bar only where there is a target to measure against
            scale = max(goal[0] / 1e4, done + building, 1e-9)
            bar = _mini_bar(
                float(done),
                float(building),
                goal[0] / 1e4,
                floor.spread[park] if floor.spread else None,
                floor.colours[park],
                width=8.4 * small,
                scale=scale,
            )
            children.append(HPacker(children=[bar], pad=0, sep=0))
        box = VPacker(children=children, align="left", pad=1.5, sep=1.5)
        point = centres.iloc[k]
        geom_bounds = tuple(float(v) for v in row.geometry.bounds)
        specs.append(
            LabelSpec(
                anchor=(point.x, point.y),
                bounds=geom_bounds,  # type: ignore[arg-type]
                box=box,
                inside=False,
                geometry=row.geometry,
            )
        )
    return specs


def overview_map(
    outcome: Outcome,
    *,
    year: int | None = None,
    options: MapOptions = DEFAULT_OPTIONS,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Map the city with every park and, per park, its floor completed against target.

    Each park is drawn in its colour with a ring so the smallest stays visible, and
    labelled (on a leader line, never overlapping) with its name, floor completed in
    ``year`` and its floor-completed target, and a small bar: completed (solid),
    under construction (pale), the target (black tick) and — with an ensemble — the
    P10–P90 range of floor completed across draws. Bars of parks with a target are
    drawn to the target (or the floor, if more); parks without one show the numbers.

    Parameters
    ----------
    outcome
        The run: its deterministic result gives the bars, the scenario's targets on
        floor completed the ticks (the one of ``year``, else the latest before it,
        else the first), its ensemble (if any) the P10–P90 whiskers.
    year
        Year of the floor shown; default the horizon.
    options, ax
        As in :func:`sim.plot.status.status_map`.

    Returns
    -------
    tuple of (Figure, Axes)
        Park fills have gid ``"parks-fill"``; each park's label ``"park-label"``.

    Raises
    ------
    KeyError
        If ``year`` is outside the simulated years.
    """
    result, ensemble, lang, size = outcome.result, outcome.ensemble, options.lang, options.size
    shown = int(result.years[-1]) if year is None else year
    layers = layers_of(outcome)
    parks = layers.parks
    assert parks is not None
    floor = _floor(outcome, parks, shown)
    schematic = is_schematic(layers)
    handles = _handles(shown, ensemble, lang)

    with style_context(size):
        bounds = map_extent(layers, None)
        side_min = 0.8 + legend_height(handles, lang)
        if ax is None:
            # Labels with bars need room: the frame is at least 0.8 as tall as wide.
            side_min = max(side_min, 0.8 * frame_width(size, lang))
            layout, view = page_layout(
                bounds, size, head=head_height(1), side_min=side_min, lang=lang
            )
            fig, ax = new_figure(layout)
        else:
            fig = root_figure(ax)
            view = bounds
        set_view(ax, view)
        draw_land(ax, layers.land, view)
        fills = [floor.colours[p] for p in floor.park_ids]
        add_polygons(
            ax,
            parks.geometry.to_numpy(),
            facecolors=fills,
            edgecolors=PARK_EDGE,
            linewidths=0.8,
            zorder=3,
            gid="parks-fill",
        )
        centres = parks.geometry.representative_point()
        ax.scatter(
            centres.x,
            centres.y,
            s=40,
            facecolors="none",
            edgecolors=fills,
            linewidths=1.4,
            zorder=4,
            gid="park-rings",
        )

        frame_w, _ = frame_inches(ax)
        side_x = 1.0 + GAP / frame_w
        draw_title(
            ax,
            label(f"园区分布与{shown}年竣工面积", f"Parks and floor completed by {shown}", lang),
            result.scenario_name,
        )
        arrow_h = north_arrow(ax, layers.crs, x=side_x + 0.12 / frame_w, y=1.0)
        side_legend(ax, handles, label("条形图", "Bars", lang), below=arrow_h + 4.0, x=side_x)
        place_labels(ax, _label_specs(parks, centres, floor, shown, lang))
        text = source_text(lang, land=layers.land, schematic=schematic, date=options.date)
        bottom_notes(
            ax,
            layers.crs,
            source=text,
            note=label("示意图", "schematic", lang) if schematic else None,
        )
    return fig, ax
