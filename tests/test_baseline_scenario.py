"""The shipped baseline ``scenarios/qingdao_2012.toml`` states a sound 2012 base year.

- Its base year (2012) reproduces the published city software revenue, ≈ 530亿元 (REF:
  ``../shared/REFERENCE_FIGURES.md``, "Qingdao before the plan"), within 10 %: parks'
  floor-driven revenue, Haier's and Hisense's other revenue and ``[rest_of_city]``.
- Every park states its base stock, or a comment in its table says why it has none.
- Haier's and Hisense's revenue is other revenue (group embedded software), not floor-driven.
- The baseline runs and writes the year-end summary; the uncertain variant runs with draws
  and its deterministic run lies inside its own P10–P90.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.distributions import point_value
from sim.engine import simulate
from sim.result import Result
from sim.scenario import load_scenario
from sim.site import load_site
from tests.conftest import BASELINE, ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Published 2012 Qingdao software revenue, CNY (REF: ≈ 530亿元 expected, Jan–Nov 488亿).
PUBLISHED_2012_CNY = 530e8
TOLERANCE = 0.10
BASE_FIELDS = ("base_floor_completed", "base_floor_occupied", "base_floor_under_construction")
UNCERTAIN = ROOT / "scenarios" / "qingdao_2012_uncertain.toml"


@pytest.fixture(scope="module")
def baseline() -> Result:
    scenario = load_scenario(BASELINE)
    return simulate(scenario, load_site(scenario.site, scenario.scenario.crs))


def _park_tables() -> dict[str, str]:
    """The text of each ``[parks.<id>]`` table of the baseline, comments included."""
    text = BASELINE.read_text(encoding="utf-8")
    heads = list(re.finditer(r"^\[parks\.(\w+)\]", text, flags=re.MULTILINE))
    tables = {}
    for head, after in zip(heads, [*heads[1:], None], strict=True):
        end = after.start() if after is not None else len(text)
        body = text[head.start() : end]
        # The table ends at the next table header of any kind.
        following = re.search(r"^\[(?!parks\.)", body[1:], flags=re.MULTILINE)
        tables[head.group(1)] = body[: following.start() + 1] if following else body
    return tables


def test_base_year_revenue_matches_the_published_2012_figure(baseline: Result) -> None:
    year = list(baseline.years).index(2012)
    total = float(baseline.total("revenue_cny")[0, year])
    assert total == pytest.approx(PUBLISHED_2012_CNY, rel=TOLERANCE), (
        f"2012 city revenue {total / 1e8:,.1f}亿元, published ≈ 530亿元"
    )
    # The rest of the city is part of it, not the whole of it.
    assert baseline.rest_of_city is not None
    rest = float(baseline.rest_of_city["revenue_cny"][0, year, 0])
    assert 0 < rest < total


def test_summary_total_row_for_2012_matches_the_published_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["run", str(BASELINE), "--out", str(out), "-q", "--no-figures"]) == 0
    assert capsys.readouterr().err == ""
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    row = summary[(summary["year"] == 2012) & (summary["park_id"] == "total")]
    assert len(row) == 1
    assert float(row["revenue_cny"].iloc[0]) == pytest.approx(PUBLISHED_2012_CNY, rel=TOLERANCE)
    assert "rest_of_city" in set(summary["park_id"])
    assert (out / "summary_quarterly.csv").is_file()


def test_every_park_has_base_stock_or_says_why_not() -> None:
    scenario = load_scenario(BASELINE)
    site = load_site(scenario.site, scenario.scenario.crs)
    raw = tomllib.loads(BASELINE.read_text(encoding="utf-8"))
    tables = _park_tables()
    for park_id in site.parks["park_id"]:
        assert park_id in raw["parks"], f"{park_id}: no [parks.{park_id}] table"
        values = raw["parks"][park_id]
        given = [name for name in BASE_FIELDS if name in values]
        comment = re.search(r"#\s*Base stock", tables[park_id])
        assert comment, f"[parks.{park_id}]: no '# Base stock' comment (its source, or why none)"
        if not given:
            assert re.search(r"#\s*Base stock: none", tables[park_id]), (
                f"[parks.{park_id}] states no base stock and no reason why not"
            )
            continue
        # A stated stock cites its source and is consistent.
        assert "REF" in tables[park_id], f"[parks.{park_id}]: base stock without a REF source"
        resolved = scenario.parks[park_id]
        completed, occupied, building = (
            point_value(getattr(resolved, name) or 0.0) for name in BASE_FIELDS
        )
        assert completed + building > 0, park_id
        assert occupied <= completed, park_id


def test_haier_and_hisense_revenue_is_not_floor_driven(baseline: Result) -> None:
    year = list(baseline.years).index(2012)
    for park_id in ("haier_park", "hisense_park"):
        k = baseline.park_ids.index(park_id)
        revenue = float(baseline.by_park("revenue_cny")[0, year, k])
        other = float(baseline.by_park("revenue_other_cny")[0, year, k])
        assert other > 0
        assert other == pytest.approx(revenue, rel=0.01), park_id


def test_uncertain_variant_runs_and_its_point_lies_in_its_band(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["run", str(UNCERTAIN), "--out", str(out), "-q", "--no-figures", "--draws", "200"]
    assert main(argv) == 0
    assert capsys.readouterr().err == ""
    targets = pd.read_csv(out / "targets.csv", encoding="utf-8-sig")
    row = targets[
        (targets["metric"] == "floor_completed_m2")
        & (targets["park_id"] == "total")
        & (targets["year"] == 2016)
    ].iloc[0]
    assert row["projected_p10"] <= row["projected"] <= row["projected_p90"]
