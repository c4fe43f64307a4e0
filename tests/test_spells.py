"""Status spells (sim.spells): runs of one state per parcel, dated by event quarters."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.spells import status_spells
from sim.states import ParcelState as S

YEARS = np.arange(2012, 2017)


def test_a_parcel_that_never_changes_is_one_spell_over_the_whole_run() -> None:
    codes = np.full((YEARS.size, 1), S.UNSERVICED, dtype=np.int8)
    spells = status_spells(YEARS, codes, codes)
    assert spells.parcel.tolist() == [0]
    assert [str(spells.start[0]), str(spells.end[0])] == ["2012-01-01", "2017-01-01"]
    assert spells.dated_by.tolist() == ["year"]


def test_event_quarters_date_the_spells_they_start() -> None:
    # Serviced in 2013Q2 (quarter 5), sold 2014Q4 (11), started 2015Q1 (12) and
    # completed in 2016Q3 (18); idle is not an event and starts on 1 January.
    codes = np.array(
        [[S.UNSERVICED, S.SOLD], [S.SERVICED, S.IDLE], [S.SOLD, S.IDLE],
         [S.UNDER_CONSTRUCTION, S.IDLE], [S.COMPLETED, S.IDLE]],
        dtype=np.int8,
    )  # fmt: skip
    events = {
        "serviced": np.array([5.0, 0.0]),
        "sold": np.array([11.0, 0.0]),
        "start": np.array([12.0, np.nan]),
        "completion": np.array([18.0, np.nan]),
    }
    spells = status_spells(YEARS, np.zeros_like(codes), codes, events)
    assert spells.parcel.tolist() == [0, 0, 0, 0, 0, 1, 1]
    assert [str(d) for d in spells.start] == [
        "2012-01-01", "2013-04-01", "2014-10-01", "2015-01-01", "2016-07-01",
        "2012-01-01", "2013-01-01",
    ]  # fmt: skip
    assert [str(d) for d in spells.end] == [
        "2013-04-01", "2014-10-01", "2015-01-01", "2016-07-01", "2017-01-01",
        "2013-01-01", "2017-01-01",
    ]  # fmt: skip
    assert spells.dated_by.tolist() == [
        "year", "serviced", "sold", "start", "completion", "year", "year"
    ]  # fmt: skip


def test_an_event_outside_the_spells_first_year_does_not_date_it() -> None:
    # Started in 2013Q3 (quarter 6) but first recorded under construction at the end of
    # 2014 (a state computed otherwise): dated 1 January 2014, not before its record.
    codes = np.array([[S.SOLD], [S.SOLD], [S.UNDER_CONSTRUCTION]], dtype=np.int8)
    spells = status_spells(YEARS[:3], codes, codes, {"start": np.array([6.0])})
    assert str(spells.start[-1]) == "2014-01-01" and spells.dated_by[-1] == "year"


@given(
    arrays(np.int8, st.tuples(st.integers(1, 6), st.integers(1, 5)), elements=st.integers(0, 7)),
    st.integers(0, 2),
)
def test_spells_expand_back_to_the_year_end_states(codes: np.ndarray, shift: int) -> None:
    years = np.arange(2012, 2012 + codes.shape[0])
    status = np.minimum(codes, 3).astype(np.int8)
    n_quarters = 4 * codes.shape[0]
    quarters = (np.arange(codes.shape[1]) * 5 + shift) % n_quarters
    events = {name: quarters.astype(float) for name in ("serviced", "sold", "start", "completion")}
    spells = status_spells(years, status, codes, events)
    rebuilt = np.full(codes.shape, -1, dtype=np.int16)
    for p, a, b, state in zip(spells.parcel, spells.first, spells.last, spells.state, strict=True):
        assert (rebuilt[a : b + 1, p] == -1).all()  # no overlap
        rebuilt[a : b + 1, p] = state
    np.testing.assert_array_equal(rebuilt, codes)
    assert (spells.end > spells.start).all()
    same = spells.parcel[1:] == spells.parcel[:-1]
    np.testing.assert_array_equal(spells.end[:-1][same], spells.start[1:][same])
    # Each start lies in the year its spell is first recorded.
    starts = spells.start.astype("datetime64[Y]").astype(int) + 1970
    np.testing.assert_array_equal(starts, years[spells.first])
