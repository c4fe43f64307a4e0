"""Image baselines: three small renderings compared with committed PNGs, with a tolerance.

The other plot tests check what is drawn; these catch what only shows in pixels —
a legend that slides over the map, a label pushed out of the frame, a hatch that
vanishes. They are kept few and small (60 dpi) and compared by RMS difference
(``matplotlib.testing.compare.compare_images``), so a FreeType or anti-aliasing
change does not break them. Regenerate after an intended change with::

    PARKSIM_UPDATE_BASELINES=1 .venv/bin/python -m pytest tests/test_plot_baseline.py

and look at the new files in ``tests/baseline/`` before committing them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from matplotlib.testing.compare import compare_images

from sim.plot import MapOptions, completions_chart, overview_map, status_map
from sim.states import ParcelState
from tests.plot_cases import (
    DATE,
    make_parcels,
    make_parks,
    make_result,
    outcome_of,
    result_for,
    scattered_site,
)

BASELINE = Path(__file__).parent / "baseline"
DPI = 60
#: RMS difference (0–255) allowed: text rendering may shift a pixel here and there.
TOLERANCE = 8.0

CROWDED = scattered_site(
    [4000.0, 300.0, 250.0, 280.0],
    [(0.0, 0.0), (15_000.0, 9_000.0), (15_900.0, 9_100.0), (15_400.0, 9_800.0)],
)


def _status_en() -> Figure:
    states = list(ParcelState) * 2
    parcels = make_parcels(len(states))
    outcome = outcome_of(make_result(states), parcels, parks=make_parks(parcels))
    return status_map(outcome, options=MapOptions(lang="en", date=DATE))[0]


def _overview_zh() -> Figure:
    outcome = outcome_of(result_for(CROWDED), CROWDED)
    return overview_map(outcome, options=MapOptions(lang="zh", date=DATE))[0]


def _completions_zh() -> Figure:
    return completions_chart(result_for(CROWDED), parks=CROWDED.parks, lang="zh")[0]


CASES: dict[str, Callable[[], Figure]] = {
    "status_map_en": _status_en,
    "overview_map_zh": _overview_zh,
    "completions_chart_zh": _completions_zh,
}


pytestmark = pytest.mark.usefixtures("agg")  # Agg; figures closed after each test


@pytest.mark.parametrize("name", list(CASES))
def test_matches_baseline(name: str, tmp_path: Path) -> None:
    fig = CASES[name]()
    expected = BASELINE / f"{name}.png"
    if os.environ.get("PARKSIM_UPDATE_BASELINES"):  # rewrite, then compare as usual
        BASELINE.mkdir(exist_ok=True)
        fig.savefig(expected, dpi=DPI, metadata={"Software": None})
    actual = tmp_path / f"{name}.png"
    fig.savefig(actual, dpi=DPI, metadata={"Software": None})
    assert expected.is_file(), f"no baseline {expected}; see this module's docstring"
    difference = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert difference is None, difference
