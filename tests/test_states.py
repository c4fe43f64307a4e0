"""Tests of sim.states: which of the eight map states each parcel is in."""

from __future__ import annotations

import numpy as np
import pytest

from sim.result import Status
from sim.states import ParcelState, parcel_states
from tests.plot_cases import CEILING, SIDE, make_result

ALL = list(ParcelState)
S = ParcelState


def test_every_state_from_the_result() -> None:
    result = make_result(ALL)
    states = parcel_states(result, occupancy_ceiling=CEILING)
    assert [ParcelState(s) for s in states] == ALL


@pytest.mark.parametrize(
    ("state", "by_year"),
    [
        (S.UNSERVICED, [S.UNSERVICED] * 5),
        # Serviced in 2015Q1, never sold.
        (S.SERVICED, [S.UNSERVICED] * 3 + [S.SERVICED] * 2),
        # Serviced and sold in 2016.
        (S.SOLD, [S.UNSERVICED] * 4 + [S.SOLD]),
        # Sold 2014, never started: idle a year after its contracted start.
        (S.IDLE, [S.UNSERVICED] * 2 + [S.SOLD, S.IDLE, S.IDLE]),
        # Sold 2014, first phase rising from 2015.
        (S.UNDER_CONSTRUCTION, [S.UNSERVICED] * 2 + [S.SOLD] + [S.UNDER_CONSTRUCTION] * 2),
        # Started 2014; phase 1 topped out in 2015 while phase 2 rises; both up in 2016.
        (
            S.TOPPED_OUT,
            [S.UNSERVICED, S.SOLD, S.UNDER_CONSTRUCTION, S.UNDER_CONSTRUCTION, S.TOPPED_OUT],
        ),
        # Topped out in 2015, completed in 2016 with nobody in yet.
        (S.COMPLETED, [S.UNSERVICED, S.SOLD, S.UNDER_CONSTRUCTION, S.TOPPED_OUT, S.COMPLETED]),
        # Topped out 2012, completed 2013; occupied share 0, 0.4, 0.8 (the ceiling), 0.8.
        (S.OCCUPIED, [S.TOPPED_OUT, S.COMPLETED, S.COMPLETED, S.OCCUPIED, S.OCCUPIED]),
    ],
)
def test_each_state_year_by_year(state: ParcelState, by_year: list[ParcelState]) -> None:
    result = make_result([state])
    got = [
        ParcelState(parcel_states(result, year=year, occupancy_ceiling=CEILING)[0])
        for year in result.years
    ]
    assert got == by_year


def test_topped_out_needs_every_phase_up() -> None:
    # Two phases started, one topped out: a phase is still rising.
    result = make_result([S.TOPPED_OUT])
    result.series["floor_topped_out_m2"][0, -1, 0] = SIDE**2
    assert parcel_states(result)[0] == S.UNDER_CONSTRUCTION


def test_partly_completed_with_a_phase_rising_is_under_construction() -> None:
    result = make_result([S.UNDER_CONSTRUCTION])
    result.status[0, -1, 0] = Status.PARTLY_COMPLETED
    assert parcel_states(result)[0] == S.UNDER_CONSTRUCTION


def test_partly_completed_with_the_last_phase_up_is_topped_out() -> None:
    result = make_result([S.TOPPED_OUT])
    result.status[0, -1, 0] = Status.PARTLY_COMPLETED
    result.series["floor_completed_m2"][0, -1, 0] = SIDE**2
    assert parcel_states(result)[0] == S.TOPPED_OUT


def test_idle_follows_the_engine_flags() -> None:
    # The engine counts from the contracted start: with a longer contract lag, sold
    # land is not yet idle a year after its sale.
    result = make_result([S.IDLE])
    assert result.idle is not None
    result.idle[0, 3, 0] = False
    by_year = [S(s) for s in (parcel_states(result, year=y)[0] for y in (2015, 2016))]
    assert by_year == [S.SOLD, S.IDLE]


def test_reclaimed_land_is_serviced_again() -> None:
    # Taken back at the end of 2016: no longer sold, still serviced.
    result = make_result([S.IDLE])
    result.status[0, -1, 0] = Status.NOT_RELEASED
    result.series["floor_sold_m2"][0, -1, 0] = 0.0
    assert parcel_states(result)[0] == S.SERVICED


@pytest.mark.parametrize(
    ("state", "degraded"),
    [
        (S.UNSERVICED, S.UNSERVICED),
        (S.SERVICED, S.UNSERVICED),  # no servicing quarters: not sold reads not serviced
        (S.SOLD, S.SOLD),
        (S.IDLE, S.IDLE),  # dated from the sale year instead
        (S.UNDER_CONSTRUCTION, S.UNDER_CONSTRUCTION),
        (S.TOPPED_OUT, S.UNDER_CONSTRUCTION),  # no topped-out floor: still building
        (S.COMPLETED, S.COMPLETED),
        (S.OCCUPIED, S.OCCUPIED),
    ],
)
def test_states_degrade_without_the_quarterly_records(
    state: ParcelState, degraded: ParcelState
) -> None:
    result = make_result([state], records=False)
    assert result.idle is None and result.events_q is None
    assert parcel_states(result, occupancy_ceiling=CEILING)[0] == degraded


def test_idle_age_follows_the_rule_without_flags() -> None:
    result = make_result([S.IDLE], records=False)  # sold 2014, never started
    by_year = {
        year: S(parcel_states(result, year=year, idle_after_years=2)[0]) for year in (2015, 2016)
    }
    assert by_year == {2015: S.SOLD, 2016: S.IDLE}


def test_occupied_without_the_ceiling_reads_the_ramp() -> None:
    result = make_result([S.OCCUPIED, S.COMPLETED])
    # Occupied share 0 (2013), 0.4, 0.8, 0.8: stopped rising in 2016, still rising in 2015.
    assert parcel_states(result, year=2016).tolist() == [S.OCCUPIED, S.COMPLETED]
    assert parcel_states(result, year=2015)[0] == S.COMPLETED
    # With the ceiling it is known in 2015 already.
    assert parcel_states(result, year=2015, occupancy_ceiling=CEILING)[0] == S.OCCUPIED


def test_ceiling_per_parcel() -> None:
    result = make_result([S.OCCUPIED, S.OCCUPIED])
    states = parcel_states(result, occupancy_ceiling=np.array([0.8, 0.9]))
    assert states.tolist() == [S.OCCUPIED, S.COMPLETED]


def test_idle_spell_of_reclaimed_land_starts_at_first_release() -> None:
    result = make_result([S.IDLE], records=False)
    object.__setattr__(result, "first_release_year", np.array([[2013.0]]))
    object.__setattr__(result, "reclaim_year", np.array([[2016.0]]))
    result.status[0, 1:4, 0] = Status.RELEASED  # sold 2013–2015
    # In 2014 the running spell began in 2013 (the re-sale year 2014 is later).
    assert parcel_states(result, year=2014)[0] == S.IDLE


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"year": 2030}, KeyError, "2030 is outside the simulated range"),
        ({"draw": 1}, ValueError, "draw must be in 0…0; got 1"),
    ],
)
def test_rejects(kwargs: dict[str, int], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        parcel_states(make_result(ALL), **kwargs)


def test_labels_in_both_languages() -> None:
    assert [s.label_zh for s in ParcelState] == [
        "未具备供地条件",
        "已供地未出让",
        "已出让未开工",
        "闲置土地",
        "在建",
        "已封顶",
        "已竣工·招商中",
        "稳定入驻",
    ]
    assert S.IDLE.label_en == "idle land"
    assert len({s.label_en for s in ParcelState}) == len(ParcelState)
