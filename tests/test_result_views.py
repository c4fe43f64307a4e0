"""The Result's views of a quarterly run: years from quarters, parks plus the rest of the city."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine import FLOWS
from sim.outcome import compute
from tests.conftest import load_inputs, tiny_toml

REST = """
[rest_of_city]
revenue = "2亿 元"
revenue_growth = "10 %"
revenue_per_worker = "50万 元"
source = "made up for the test"
"""


def _outcome(write_scenario):  # type: ignore[no-untyped-def]
    return compute(*load_inputs(write_scenario(tiny_toml(extra=REST))))


def test_quarters_sum_to_years_and_q4_is_the_year_end(write_scenario) -> None:
    result = _outcome(write_scenario).result
    yearly, quarterly = result.summary_frame(), result.quarterly_frame()
    quarterly["year"] = quarterly["period"].str[:4].astype(int)
    for column in yearly.columns.drop(["year", "park_id", "vacancy_rate"]):
        if column in FLOWS:
            summed = quarterly.groupby(["year", "park_id"], sort=False)[column].sum()
            expected = yearly.set_index(["year", "park_id"])[column]
            np.testing.assert_allclose(summed.loc[expected.index], expected, rtol=1e-12)
        else:
            q4 = quarterly[quarterly["period"].str.endswith("Q4")].reset_index(drop=True)
            np.testing.assert_allclose(q4[column], yearly[column], rtol=1e-12, err_msg=column)


def test_total_is_the_parks_plus_the_rest_of_the_city(write_scenario) -> None:
    frame = _outcome(write_scenario).result.summary_frame()
    assert "rest_of_city" in set(frame["park_id"])
    for column in ("revenue_cny", "workers_persons", "floor_completed_m2"):
        by = frame.pivot(index="year", columns="park_id", values=column)
        parts = by.drop(columns="total").sum(axis=1)
        np.testing.assert_allclose(by["total"], parts, rtol=1e-12)
    rest = frame[frame["park_id"] == "rest_of_city"].set_index("year")
    # 2亿 a year growing 10 %: the base year's four quarters at 1.1^(t/4), t = 0 … 3.
    expected = sum(2e8 / 4 * 1.1 ** (t / 4) for t in range(4))
    assert rest.loc[2012, "revenue_cny"] == pd.Series([expected]).iloc[0]
    assert rest.loc[2012, "floor_completed_m2"] == 0


def test_vacancy_rate_is_vacant_over_completed(write_scenario) -> None:
    frame = _outcome(write_scenario).result.summary_frame()
    built = frame["floor_completed_m2"] > 0
    np.testing.assert_allclose(
        frame.loc[built, "vacancy_rate"],
        frame.loc[built, "floor_vacant_m2"] / frame.loc[built, "floor_completed_m2"],
    )
    assert frame.loc[~built, "vacancy_rate"].isna().all()
