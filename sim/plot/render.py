"""Figures by name: the map kinds of ``parksim map`` and the figure set of ``parksim run``.

``Outcome ──map_figure(kind)──▶ Figure`` and ``Outcome ──write_report_figures──▶
figures/*.png``. The names are the contract with the
command line and with report writers: :data:`MAP_KINDS` lists the kinds, and every
file name says what the figure shows (``status_map_2020.png``,
``revenue_vs_policy_path.png``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sim.plot.charts import completions_chart, floor_chart, revenue_chart
from sim.plot.completion import completion_map
from sim.plot.compliance import compliance_map, rule_scatter
from sim.plot.figure import save_figure
from sim.plot.fiscal import fiscal_chart
from sim.plot.frame import MapOptions
from sim.plot.overview import overview_map
from sim.plot.status import status_map, status_years_map
from sim.plot.style import Lang, PaperSize

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from sim.outcome import Outcome
    from sim.result import Result
    from sim.scenario import Scenario

__all__ = ["MAP_KINDS", "VECTOR_FIGURES", "map_figure", "overview_year", "write_report_figures"]

#: Figures also written as SVG (the report embeds the SVG): the charts whose marks do not
#: grow with the number of parcels or applicants. Measured on the Qingdao baseline (kB,
#: PNG at 300 dpi → SVG, text as paths): floor_vs_target 296 → 114, revenue_vs_policy_path
#: 222 → 94, annual_completions_by_park 124 → 79, fiscal_ledger 148 → 100,
#: admitted_floor_by_year 82 → 44. Maps and scatters stay PNG only: as SVG they were
#: larger already at the baseline's 1,197 parcels (status_map_by_year 670 → 1,523,
#: compliance_scatter 205 → 324) and grow with the site.
VECTOR_FIGURES = frozenset(
    {
        "floor_vs_target",
        "annual_completions_by_park",
        "revenue_vs_policy_path",
        "fiscal_ledger",
        "admitted_floor_by_year",
        "floor_fan_chart",
        "target_probability_by_year",
    }
)

#: Map kinds, with what each shows (the help text of ``parksim map --kind``).
MAP_KINDS: dict[str, str] = {
    "status": "parcels by state in a year: not serviced … occupied, idle land hatched",
    "completion": "parcels by the year they were completed; unbuilt grey",
    "compliance": "parcels passing / failing / not yet built against the admission rules",
    "overview": "the city with every park and its floor completed against its target",
    "status-years": "one small status map per year, on one page",
}


def map_figure(
    kind: str,
    outcome: Outcome,
    *,
    year: int | None = None,
    park: str | None = None,
    lang: Lang = "zh",
    size: PaperSize = "A4",
    date: dt.date | None = None,
) -> Figure:
    """Draw one map kind of :data:`MAP_KINDS`.

    Parameters
    ----------
    kind
        A key of :data:`MAP_KINDS`.
    outcome
        The run; with an ensemble the ``overview`` adds P10–P90 whiskers.
    year
        Year shown (the last year of ``status-years``); default the horizon.
    park
        Zoom to one park (not for ``overview``, which shows them all).
    lang, size, date
        Label language, paper size and the date in the source line.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``kind`` is unknown, or ``park`` is given for the overview.
    KeyError
        If ``year`` is outside the simulated years or ``park`` is not in the site.
    """
    if kind not in MAP_KINDS:
        raise ValueError(f"kind must be one of {list(MAP_KINDS)}; got {kind!r}")
    options = MapOptions(lang=lang, size=size, date=date)
    if kind == "overview":
        if park is not None:
            raise ValueError("the overview shows every park; leave out park (or use --kind status)")
        fig, _ = overview_map(outcome, year=year, options=options)
    elif kind == "status":
        fig, _ = status_map(outcome, year=year, park=park, options=options)
    elif kind == "completion":
        fig, _ = completion_map(outcome, park=park, options=options)
    elif kind == "compliance":
        fig, _ = compliance_map(outcome, year=year, park=park, options=options)
    else:
        result = outcome.result
        last = int(result.years[-1]) if year is None else year
        shown = [int(y) for y in result.years if y <= last]
        fig, _ = status_years_map(outcome, years=shown, park=park, options=options)
    return fig


def overview_year(scenario: Scenario, result: Result) -> int:
    """Pick the overview's year: the first floor target's year, else the horizon."""
    from sim.scenario import Metric

    years = sorted(
        t.year
        for t in scenario.targets
        if t.metric is Metric.FLOOR_COMPLETED
        and int(result.years[0]) <= t.year
        and t.year <= int(result.years[-1])
    )
    return years[0] if years else int(result.years[-1])


def write_report_figures(
    folder: Path,
    outcome: Outcome,
    parcels: pd.DataFrame,
    *,
    lang: Lang = "zh",
) -> list[Path]:
    """Write the figures of a run into ``folder`` (created), PNG at 300 dpi.

    The charts of :data:`VECTOR_FIGURES` are also written as SVG beside their PNG.

    ============================  ===================================================
    file                          what it shows
    ============================  ===================================================
    ``status_map_<H>.png``        parcel states at the horizon ``H``
    ``status_map_by_year.png``    one small status map per simulated year
    ``completion_year_map.png``   the year each parcel was completed
    ``compliance_map_<H>.png``    parcels against the admission rules at ``H``
    ``overview_map_<Y>.png``      the parks and floor completed against target in
                                  ``Y``, the first floor target's year
    ``floor_vs_target.png``       floor completed and under construction per park
                                  and in total against the targets (P10–P90 band
                                  with an ensemble)
    ``annual_completions_by_park.png``  floor completed each year, stacked by park
    ``revenue_vs_policy_path.png``      revenue against the policy's growth path
    ``compliance_scatter.png``    investment intensity against revenue density
    ``applicant_scatter.png``     with ``[applicants]``: every applicant's pledges,
                                  admitted and rejected, with the thresholds
    ``admitted_floor_by_year.png``  with ``[applicants]``: planned floor admitted and
                                  turned away each year
    ``floor_fan_chart.png``       with an ensemble: P10–P90 of floor, median, targets
    ``target_probability_by_year.png``  with an ensemble and targets: P(met) by year
    ``fiscal_ledger.png``         with a fiscal ledger: outlays against tax and land
                                  revenue, cumulative net (P10–P90 with draws)
    ============================  ===================================================

    Parameters
    ----------
    folder
        Folder to create and fill.
    outcome
        The run.
    parcels
        The per-parcel table with the admission-rule columns (``parcels.gpkg``).
    lang
        Label language.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    import matplotlib.pyplot as plt

    from sim.plot.uncertainty import fan_chart, probability_chart

    scenario, site, result = outcome.scenario, outcome.site, outcome.result
    targets, ensemble = outcome.targets, outcome.ensemble
    options = MapOptions(lang=lang)
    folder.mkdir(parents=True, exist_ok=True)
    horizon = int(result.years[-1])
    overview_at = overview_year(scenario, result)
    jobs: list[tuple[str, Callable[[], Figure]]] = [
        (f"status_map_{horizon}.png", lambda: status_map(outcome, options=options)[0]),
        ("status_map_by_year.png", lambda: status_years_map(outcome, options=options)[0]),
        ("completion_year_map.png", lambda: completion_map(outcome, options=options)[0]),
        (f"compliance_map_{horizon}.png", lambda: compliance_map(outcome, options=options)[0]),
        (
            f"overview_map_{overview_at}.png",
            lambda: overview_map(outcome, year=overview_at, options=options)[0],
        ),
        (
            "floor_vs_target.png",
            lambda: floor_chart(result, targets, parks=site.parks, ensemble=ensemble, lang=lang)[0],
        ),
        (
            "annual_completions_by_park.png",
            lambda: completions_chart(result, parks=site.parks, lang=lang)[0],
        ),
        (
            "revenue_vs_policy_path.png",
            lambda: revenue_chart(result, scenario, ensemble=ensemble, parks=site.parks, lang=lang)[
                0
            ],
        ),
        (
            "compliance_scatter.png",
            lambda: rule_scatter(parcels, scenario.rules, parks=site.parks, lang=lang)[0],
        ),
    ]
    fiscal = outcome.fiscal
    if fiscal is not None and fiscal.table is not None:
        ledger = fiscal.table
        jobs.append(("fiscal_ledger.png", lambda: fiscal_chart(ledger, lang=lang)[0]))
    table, by_year = outcome.applicants, outcome.applicants_by_year
    if table is not None and by_year is not None:
        from sim.plot.admission import admitted_floor_chart, applicant_scatter

        rules = scenario.rules
        inv_min = rules.investment_intensity_min
        rev_min = None if rules.revenue_density_min is None else rules.revenue_density_min / 1e4
        jobs.append(
            (
                "applicant_scatter.png",
                lambda: applicant_scatter(
                    table, investment_min=inv_min, revenue_min=rev_min, lang=lang
                )[0],
            )
        )
        jobs.append(("admitted_floor_by_year.png",
                     lambda: admitted_floor_chart(by_year, lang=lang)[0]))  # fmt: skip
    if ensemble is not None:
        spread = ensemble
        jobs.append(
            (
                "floor_fan_chart.png",
                lambda: fan_chart(spread, scenario.targets, parks=site.parks, lang=lang)[0],
            )
        )
        if scenario.targets:
            jobs.append(
                (
                    "target_probability_by_year.png",
                    lambda: probability_chart(outcome, lang=lang)[0],
                )
            )
    written = []
    for name, draw in jobs:
        fig = draw()
        try:
            written.append(save_figure(fig, folder / name))
            if Path(name).stem in VECTOR_FIGURES:
                written.append(save_figure(fig, (folder / name).with_suffix(".svg")))
        finally:
            plt.close(fig)
    return written
