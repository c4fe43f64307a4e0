"""Tests of sim.states: which of the six map states each parcel is in."""

from __future__ import annotations

import numpy as np
import pytest

from sim.states import ParcelState, parcel_states
from tests.plot_cases import CEILING, make_result

ALL = list(ParcelState)


def test_every_state_from_the_result() -> None:
    result = make_result(ALL)
    states = parcel_states(result, occupancy_ceiling=CEILING)
    assert [ParcelState(s) for s in states] == ALL


def test_states_earlier_in_the_build_out() -> None:
    result = make_result(ALL)
    in_2014 = [ParcelState(s) for s in parcel_states(result, year=2014, occupancy_ceiling=CEILING)]
    assert in_2014 == [
        ParcelState.NOT_RELEASED,
        ParcelState.NOT_RELEASED,  # released only in 2016
        ParcelState.RELEASED,  # released 2014: idle from 2015
        ParcelState.RELEASED,
        ParcelState.UNDER_CONSTRUCTION,
        ParcelState.COMPLETED,  # completed 2013, half occupied in 2014
    ]


def test_idle_age_follows_the_rule() -> None:
    result = make_result([ParcelState.IDLE])  # released 2014, never started
    by_year = {
        year: ParcelState(parcel_states(result, year=year, idle_after_years=2)[0])
        for year in (2015, 2016)
    }
    assert by_year == {2015: ParcelState.RELEASED, 2016: ParcelState.IDLE}


def test_partly_completed_counts_as_under_construction() -> None:
    result = make_result([ParcelState.UNDER_CONSTRUCTION])
    result.status[0, -1, 0] = 3  # Status.PARTLY_COMPLETED
    assert parcel_states(result)[0] == ParcelState.UNDER_CONSTRUCTION


def test_occupied_without_the_ceiling_reads_the_ramp() -> None:
    result = make_result([ParcelState.OCCUPIED, ParcelState.COMPLETED])
    # Occupied share 0 (2013), 0.4, 0.8, 0.8: stopped rising in 2016, still rising in 2015.
    assert parcel_states(result, year=2016).tolist() == [
        ParcelState.OCCUPIED,
        ParcelState.COMPLETED,
    ]
    assert parcel_states(result, year=2015)[0] == ParcelState.COMPLETED
    # With the ceiling it is known in 2015 already.
    assert parcel_states(result, year=2015, occupancy_ceiling=CEILING)[0] == ParcelState.OCCUPIED


def test_ceiling_per_parcel() -> None:
    result = make_result([ParcelState.OCCUPIED, ParcelState.OCCUPIED])
    states = parcel_states(result, occupancy_ceiling=np.array([0.8, 0.9]))
    assert states.tolist() == [ParcelState.OCCUPIED, ParcelState.COMPLETED]


def test_idle_spell_of_reclaimed_land_starts_at_first_release() -> None:
    result = make_result([ParcelState.IDLE])
    object.__setattr__(result, "first_release_year", np.array([[2013.0]]))
    object.__setattr__(result, "reclaim_year", np.array([[2016.0]]))
    result.status[0, 1:4, 0] = 1  # released 2013–2015 (the engine's released stage)
    # In 2014 the running spell began in 2013 (the re-release year 2014 is later).
    assert parcel_states(result, year=2014)[0] == ParcelState.IDLE


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
    assert ParcelState.IDLE.label_zh == "闲置土地"
    assert ParcelState.IDLE.label_en == "idle land"
    assert len({s.label_zh for s in ParcelState}) == len(ParcelState)
