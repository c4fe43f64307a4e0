"""Scenario files: loading the baseline, SI conversion, ``extends`` and resolve_park."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.scenario import Metric, ParkAssumptions, RestOfCity, load_scenario, resolve_park
from sim.scenario.schema import OPTIONAL_DEFAULTS
from tests.conftest import BASELINE, ROOT, TINY_TOML


def test_baseline_loads_in_si_units() -> None:
    s = load_scenario(BASELINE)
    assert s.path == BASELINE.resolve()
    assert len(s.sha256) == 64
    assert s.scenario.crs == "EPSG:4549"
    assert s.years == range(2012, 2021)
    # Hand conversions: 万 = 1e4, ha = 1e4 m², 亿 = 1e8.
    assert s.defaults.max_floor_per_phase == pytest.approx(15 * 1e4)  # "15万 m2"
    assert s.defaults.revenue_per_m2 == pytest.approx(15_750)  # "15750 元/m2"
    assert s.defaults.occupancy_ceiling == pytest.approx(0.85)  # "85 %"
    assert s.defaults.revenue_growth == pytest.approx(0.086)  # "8.6 %"
    assert s.defaults.m2_per_worker == pytest.approx(38)
    assert s.parks["comm_park"].land_supply_per_year == pytest.approx((2.5 * 1e4,))  # "2.5 ha"
    demand = s.parks["comm_park"].demand_per_year  # one value a year, "5.5万 m2" in 2013
    assert len(demand) == 9 and demand[1] == pytest.approx(5.5 * 1e4)
    assert s.parks["anim_park"].max_floor_per_phase is None  # the default 15万 m²
    total = s.targets[0]
    assert (total.metric, total.park, total.year) == (Metric.FLOOR_COMPLETED, "total", 2016)
    assert total.value == pytest.approx(1e7)  # "1000万 m2"
    revenue = next(t for t in s.targets if t.metric is Metric.REVENUE and t.park == "total")
    assert revenue.value == pytest.approx(2200 * 1e8)  # "2200 亿元"
    workers = next(t for t in s.targets if t.metric is Metric.WORKERS)
    assert workers.value == 200_000
    assert s.rules.investment_intensity_min == pytest.approx(4000)  # "4000 万元/ha" in CNY/m²
    assert s.rules.revenue_density_min == pytest.approx(20_000)  # "2 亿元/ha" in CNY/m²
    committed = {c.parcel: c for c in s.committed}
    assert committed["SC-0103"].floor == pytest.approx(6e4)  # "6万 m2"
    assert committed["SC-0103"].start_year == 2012
    assert s.site.parks == (ROOT / "maps" / "qingdao_parks.gpkg").resolve()
    assert s.site.basemap == (ROOT / "maps" / "qingdao_base.gpkg").resolve()


def test_baseline_every_park_resolves() -> None:
    s = load_scenario(BASELINE)
    for park_id in s.parks:
        params = resolve_park(s, park_id)
        for yearly in (params.land_supply_m2, params.demand_m2, params.take_up_m2):
            assert len(yearly) == len(s.years)


def test_scenario_is_frozen(tiny_dir: Path) -> None:
    s = load_scenario(tiny_dir / "tiny.toml")
    with pytest.raises(ValueError, match="frozen"):
        s.scenario.horizon = 2030  # type: ignore[misc]


def test_resolve_park_fills_from_defaults_and_broadcasts(tiny_dir: Path) -> None:
    s = load_scenario(tiny_dir / "tiny.toml")
    a = resolve_park(s, "A", park_name="甲园")
    assert a.name == "甲园"
    assert a.land_supply_m2 == (20_000.0,) * 8  # "2 ha" every year 2012–2019
    assert a.demand_m2 == (15_000.0,) * 8  # "1.5万 m2"
    assert a.plot_ratio == 1.5
    assert a.max_floor_per_phase == 10_000.0
    assert a.occupancy_ceiling == pytest.approx(0.8)
    assert a.revenue_per_m2 == pytest.approx(1e4)
    assert a.revenue_growth == pytest.approx(0.1)
    assert (a.land_price, a.construction_cost, a.fitout_cost) == (500.0, 4000.0, 1000.0)
    assert a.m2_per_worker == 40.0
    b = resolve_park(s, "B")
    assert b.name == "B"
    assert b.land_supply_m2 == (0.0,) * 8  # [parks.B] overrides the default
    assert b.demand_m2 == a.demand_m2  # … and inherits the rest


def test_resolve_park_keeps_a_yearly_list(write_scenario: Callable[..., Path]) -> None:
    supply = ", ".join(f'"{i} ha"' for i in range(8))
    path = write_scenario(TINY_TOML + f"\n[parks.A]\nland_supply_per_year = [{supply}]\n")
    a = resolve_park(load_scenario(path), "A")
    assert a.land_supply_m2 == tuple(i * 1e4 for i in range(8))


def test_resolve_park_lists_every_missing_assumption(write_scenario: Callable[..., Path]) -> None:
    text = TINY_TOML.replace('m2_per_worker = "40 m2"\n', "").replace("plot_ratio = 1.5\n", "")
    s = load_scenario(write_scenario(text))
    with pytest.raises(ScenarioError) as info:
        resolve_park(s, "A")
    assert {p.where for p in info.value.problems} == {
        "parks.A.plot_ratio",
        "parks.A.m2_per_worker",
    }
    assert info.value.source == s.path


def variant(folder: Path, text: str, name: str = "variant.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_extends_deep_merges_one_park_value(tiny_dir: Path) -> None:
    base = load_scenario(tiny_dir / "tiny.toml")
    # The variant lives in another folder; its base's site paths stay relative to the base.
    path = variant(
        tiny_dir / "variants" / "deeper",
        'extends = "../../tiny.toml"\n\n[parks.B]\ndemand_per_year = "3万 m2"\n',
    )
    s = load_scenario(path)
    assert s.path == path.resolve()
    assert s.parks["B"].demand_per_year == (30_000.0,)
    assert s.parks["B"].land_supply_per_year == (0.0,)  # kept from the base's [parks.B]
    assert s.defaults == base.defaults
    assert s.scenario == base.scenario
    assert s.committed == base.committed
    assert s.targets == base.targets
    assert s.rules == base.rules
    assert s.site == base.site
    assert s.site.parks == (tiny_dir / "site.gpkg").resolve()
    assert s.sha256 != base.sha256


def test_extends_variant_site_paths_are_relative_to_the_variant(tiny_dir: Path) -> None:
    other = tiny_dir / "elsewhere"
    other.mkdir()
    (other / "site.gpkg").write_bytes((tiny_dir / "site.gpkg").read_bytes())
    path = variant(other, 'extends = "../tiny.toml"\n\n[site]\nparcels = "site.gpkg"\n', "v.toml")
    s = load_scenario(path)
    assert s.site.parcels == (other / "site.gpkg").resolve()
    assert s.site.parks == (tiny_dir / "site.gpkg").resolve()


def test_extends_chain_and_scalar_override(tiny_dir: Path) -> None:
    middle = variant(tiny_dir / "a", 'extends = "../tiny.toml"\n[scenario]\nhorizon = 2018\n')
    path = variant(tiny_dir / "b", 'extends = "../a/variant.toml"\n[defaults]\nplot_ratio = 2.5\n')
    s = load_scenario(path)
    assert s.scenario.horizon == 2018
    assert s.scenario.name == "tiny"
    assert s.defaults.plot_ratio == 2.5
    assert s.defaults.max_floor_per_phase == 10_000.0
    assert load_scenario(middle).defaults.plot_ratio == 1.5


def test_extends_cycle_is_one_error(tiny_dir: Path) -> None:
    variant(tiny_dir, 'extends = "b.toml"\n', "a.toml")
    variant(tiny_dir, 'extends = "a.toml"\n', "b.toml")
    with pytest.raises(ScenarioError, match="cycle") as info:
        load_scenario(tiny_dir / "a.toml")
    assert "a.toml → b.toml → a.toml" in str(info.value)


def test_load_collects_every_problem_with_its_path(write_scenario: Callable[..., Path]) -> None:
    text = (
        TINY_TOML.replace("plot_ratio = 1.5", "plot_ratoi = 1.5")
        .replace("seed = 7", 'seed = "7"')
        .replace('land_price = "500 元/m2"', 'land_price = "500 ha"')
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(text))
    error = info.value
    assert error.source is not None
    assert error.source.name == "case.toml"
    assert {p.where for p in error.problems} == {
        "defaults.plot_ratoi",
        "scenario.seed",
        "defaults.land_price",
    }
    assert str(error).startswith(f"{error.source}: 3 problem(s) in the scenario\n  - ")


def test_package_exports_the_public_names() -> None:
    """sim.scenario is a package (schema, loading, messages, parks); its names stay put."""
    import sim.scenario

    assert set(sim.scenario.__all__) == {
        *("DEFAULT_MIN_PARCEL_AREA_M2", "MAX_EXTENDS", "MAX_NESTING", "MAX_SCENARIO_BYTES"),
        *("MAX_YEARS", "AreaBenchmark", "Benchmarks", "Committed", "Market", "Metric"),
        *("MoneyBenchmark", "MoneyPerAreaBenchmark", "ParkAssumptions", "ParkParams", "Rules"),
        *("RestOfCity", "Scenario", "SiteFiles", "Target", "load_scenario", "park_assumption"),
        *("resolve_park", "Basis", "DemandChain"),
        *("Applicants", "ApplicantKind", "Consequence", "Gate", "Indicators"),
    }
    for name in sim.scenario.__all__:
        assert getattr(sim.scenario, name) is not None
    from sim.scenario import schema

    assert "OPTIONAL_DEFAULTS" in schema.__all__


def test_optional_park_fields_take_their_documented_defaults(tiny_dir: Path) -> None:
    """The tiny scenario gives none of the fields after m2_per_worker: each is its
    OPTIONAL_DEFAULTS value, or follows its field (contract lag = start lag, top-out =
    duration), and take-up is unlimited."""
    s = load_scenario(tiny_dir / "tiny.toml")
    a = resolve_park(s, "A")
    for name, default in OPTIONAL_DEFAULTS.items():
        if default is not None:
            assert getattr(a, name) == default, name
    assert OPTIONAL_DEFAULTS["base_completion_years"] == 1.0
    assert OPTIONAL_DEFAULTS["revenue_per_worker"] == 0.0
    assert a.contract_lag_years == a.start_lag_years == 1.0
    assert a.topout_years == a.duration_years == 2.0
    assert a.take_up_m2 == (math.inf,) * 8
    # Every optional field is a ParkAssumptions field a scenario may give, and is required
    # of none: the tiny scenario resolves without them.
    assert set(OPTIONAL_DEFAULTS) <= set(ParkAssumptions.model_fields)


def test_optional_park_fields_given_override_the_defaults(
    write_scenario: Callable[..., Path],
) -> None:
    text = TINY_TOML + (
        "\n[parks.A]\ncontract_lag_years = 0.5\ntopout_years = 1.25\n"
        'base_floor_completed = "3万 m2"\nbase_floor_occupied = "2万 m2"\n'
        'other_revenue = "5 亿元"\nrevenue_per_worker = "100 万元"\nvacancy_target = "10 %"\n'
    )
    s = load_scenario(write_scenario(text))
    a, b = resolve_park(s, "A"), resolve_park(s, "B")
    assert (a.contract_lag_years, a.topout_years) == (0.5, 1.25)
    assert (a.base_floor_completed, a.base_floor_occupied) == (30_000.0, 20_000.0)
    assert (a.other_revenue, a.revenue_per_worker) == (5e8, 1e6)
    assert a.vacancy_target == pytest.approx(0.1)
    assert (b.contract_lag_years, b.base_floor_completed, b.other_revenue) == (1.0, 0.0, 0.0)


def test_take_up_may_be_one_value_or_a_yearly_list(write_scenario: Callable[..., Path]) -> None:
    take_up = ", ".join(f'"{i + 1} ha"' for i in range(8))
    text = (
        TINY_TOML.replace("[defaults]\n", '[defaults]\ntake_up_per_year = "1.5 ha"\n')
        + f"\n[parks.A]\ntake_up_per_year = [{take_up}]\n"
    )
    s = load_scenario(write_scenario(text))
    assert resolve_park(s, "A").take_up_m2 == tuple((i + 1) * 1e4 for i in range(8))
    assert resolve_park(s, "B").take_up_m2 == (15_000.0,) * 8
    short = TINY_TOML + '\n[parks.A]\ntake_up_per_year = ["1 ha", "2 ha"]\n'
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(short, "short.toml"))
    assert [p.where for p in info.value.problems] == ["parks.A.take_up_per_year"]
    assert "8 values" in str(info.value)


def test_rest_of_city_in_si_units(write_scenario: Callable[..., Path]) -> None:
    text = TINY_TOML + (
        '\n[rest_of_city]\nrevenue = "395 亿元"\nrevenue_growth = "12 %"\n'
        'revenue_per_worker = "65 万元"\nsource = "统计年鉴 2012"\n'
    )
    rest = load_scenario(write_scenario(text)).rest_of_city
    assert isinstance(rest, RestOfCity)
    assert rest.revenue == pytest.approx(395e8)
    assert rest.revenue_growth == pytest.approx(0.12)
    assert rest.revenue_per_worker == pytest.approx(65e4)
    assert load_scenario(write_scenario(TINY_TOML, "none.toml")).rest_of_city is None
