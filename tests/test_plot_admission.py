"""The admission figures draw every applicant and every year (sim/plot/admission.py)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sim.plot.admission import admitted_floor_chart, applicant_scatter


def _applicants() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "investment_intensity_wan_per_ha": [5000.0, 3000.0, 4500.0],
            "revenue_density_yi_per_ha": [3.0, 1.5, 2.5],
            "admitted": [True, False, True],
            "land_m2": [50_000.0, 20_000.0, 10_000.0],
        }
    )


def test_scatter_draws_admitted_and_rejected_applicants_with_the_thresholds() -> None:
    fig, ax = applicant_scatter(_applicants(), investment_min=4000, revenue_min=2, lang="en")
    try:
        by_gid = {c.get_gid(): c for c in ax.collections}
        np.testing.assert_allclose(by_gid["admitted"].get_offsets(), [[5000, 3.0], [4500, 2.5]])
        np.testing.assert_allclose(by_gid["rejected"].get_offsets(), [[3000, 1.5]])
        lines = {line.get_gid(): line for line in ax.lines}
        assert lines["investment-threshold"].get_xdata()[0] == 4000
        assert lines["revenue-threshold"].get_ydata()[0] == 2
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["admitted (2)", "rejected (1)"]
    finally:
        plt.close(fig)


def test_floor_chart_stacks_admitted_and_leaked_floor_by_year() -> None:
    by_year = pd.DataFrame(
        {
            "year": [2012, 2012, 2013],
            "park_id": ["A", "B", "A"],
            "floor_planned_admitted_m2": [10_000.0, 30_000.0, 5_000.0],
            "floor_planned_leaked_m2": [2_000.0, 0.0, 7_000.0],
        }
    )
    fig, ax = admitted_floor_chart(by_year, lang="en")
    try:
        admitted = [p.get_height() for p in ax.patches if p.get_gid() == "admitted"]
        leaked = [p for p in ax.patches if p.get_gid() == "rejected"]
        assert admitted == pytest.approx([4.0, 0.5])  # 万 m²
        assert [p.get_height() for p in leaked] == pytest.approx([0.2, 0.7])
        assert [p.get_y() for p in leaked] == pytest.approx([4.0, 0.5])  # on top of the admitted
    finally:
        plt.close(fig)
