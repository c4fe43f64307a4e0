"""Reproduce the figures of docs/ADMISSION.md: ``.venv/bin/python docs/admission_figures.py``.

The deterministic table is one draw of the applicants (the scenario seed, as ``parksim
run`` draws them); the P10 / P50 / P90 come from :func:`sim.applicants.admit` with 300
draws (admitted floor and land) and :func:`sim.engine.run_ensemble` with 300 draws
(floor sold and completed), for the baseline, the strict variant and the baseline
without a gate. Runs in about a minute.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.applicants import admit, table  # noqa: E402
from sim.engine import prepare, run_ensemble  # noqa: E402
from sim.scenario import Gate, load_scenario  # noqa: E402
from sim.site import load_site  # noqa: E402

BASELINE = ROOT / "scenarios" / "qingdao_2012.toml"
STRICT = ROOT / "scenarios" / "qingdao_2012_strict.toml"
DRAWS, YEAR = 300, 2016


def deterministic(path: Path) -> None:
    """Print the deterministic run's applicants to ``YEAR``: admitted, rejected, lost."""
    scenario = load_scenario(path)
    outcome = sim.compute(scenario, load_site(scenario.site, scenario.scenario.crs))
    assert outcome.admission is not None
    rows = table(outcome.admission)
    rows = rows[rows.year <= YEAR]
    admitted = rows[rows.admitted]
    print(
        f"{path.name}: applicants {len(rows)}, admitted {int(rows.admitted.sum())}, "
        f"rejected at home {int((rows.reason != 'admitted').sum())}, "
        f"left the city {int((rows.outcome == 'left_city').sum())}, "
        f"land admitted {admitted.land_m2.sum() / 1e4:,.1f} ha, planned floor admitted "
        f"{admitted.floor_planned_m2.sum() / 1e4:,.0f} 万m², lost "
        f"{rows[~rows.admitted].floor_planned_m2.sum() / 1e4:,.0f} 万m²"
    )


def percentiles(values: np.ndarray) -> str:
    """P10 / P50 / P90 of ``values``, rounded."""
    return " / ".join(f"{v:,.0f}" for v in np.percentile(values, [10, 50, 90]))


def by_draw(path: Path, *, gate: Gate | None = None) -> dict[str, np.ndarray]:
    """Each draw's admitted floor and land and the engine's floor sold and completed."""
    scenario = load_scenario(path)
    if gate is not None:
        assert scenario.applicants is not None
        applicants = scenario.applicants.model_copy(update={"gate": gate})
        scenario = scenario.model_copy(update={"applicants": applicants})
    inputs = prepare(scenario, load_site(scenario.site, scenario.scenario.crs))
    admission = admit(scenario, inputs, np.random.default_rng(scenario.scenario.seed), draws=DRAWS)
    kept = admission.admitted & (admission.years[admission.year] <= YEAR)
    land = np.bincount(admission.draw[kept], weights=admission.land_m2[kept], minlength=DRAWS)
    ensemble = run_ensemble(inputs, scenario, draws=DRAWS)
    y = list(ensemble.years).index(YEAR)
    return {
        "admitted planned floor 万m²": admission.admitted_floor_by(YEAR) / 1e4,
        "admitted land ha": land / 1e4,
        "floor sold (engine) 万m²": ensemble.total("floor_sold_m2")[:, y] / 1e4,
        "floor completed (engine) 万m²": ensemble.total("floor_completed_m2")[:, y] / 1e4,
    }


def main() -> None:
    """Print every figure of docs/ADMISSION.md."""
    deterministic(BASELINE)
    deterministic(STRICT)
    base, strict, free = by_draw(BASELINE), by_draw(STRICT), by_draw(BASELINE, gate=Gate.NONE)
    print(f"by {YEAR} (P10 / P50 / P90, {DRAWS} draws): baseline | × 1.5 | baseline − × 1.5")
    for name in base:
        gap = base[name] - strict[name]
        print(f"  {name}: {percentiles(base[name])} | {percentiles(strict[name])} | "
              f"{percentiles(gap)} (strict lower in {np.mean(gap > 0):.0%} of draws)")  # fmt: skip
    for name in ("floor sold (engine) 万m²", "floor completed (engine) 万m²"):
        print(f"  no gate − baseline, {name}: {percentiles(free[name] - base[name])}")


if __name__ == "__main__":
    main()
