"""Quantities with units: README examples against hand values, errors, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.errors import UnitError
from sim.units import Dimension, convert, format_quantity, parse_quantity

A, M, MPA, D, R = (
    Dimension.AREA,
    Dimension.MONEY,
    Dimension.MONEY_PER_AREA,
    Dimension.DURATION,
    Dimension.RATIO,
)


@pytest.mark.parametrize(
    ("text", "dimension", "expected"),
    [
        # README examples; 1 亩 = 10000/15 m², 1 ha = 10^4 m², 万 = 10^4, 亿 = 10^8.
        ("1200 亩", A, 1200 * 10_000 / 15),  # 800,000 m²
        ("80 ha", A, 800_000.0),
        ("17 km2", A, 17_000_000.0),
        ("1000万 m2", A, 1e7),
        ("4000 万元/ha", MPA, 4000 * 1e4 / 1e4),  # 4000 CNY per m²
        ("2 亿元/ha", MPA, 2 * 1e8 / 1e4),  # 20,000 CNY per m²
        ("6500 元/m2", MPA, 6500.0),
        ("90 %", R, 0.9),
        ("85 %", R, 0.85),
        # Variants planners type.
        ("1200亩", A, 800_000.0),
        ("80 公顷", A, 800_000.0),
        ("17 平方公里", A, 17e6),
        ("17 km²", A, 17e6),
        ("100 万m²", A, 1e6),
        ("1000万m2", A, 1e7),
        ("12 ㎡", A, 12.0),
        ("1,200 亩", A, 800_000.0),
        ("1e3 ha", A, 1e7),
        ("2200 亿元", M, 2.2e11),
        ("500 万元", M, 5e6),
        ("3 年", D, 3.0),
        ("3 years", D, 3.0),
        (3, D, 3.0),
        (0.9, R, 0.9),
        # Full-width characters (全角).
        ("１２００ 亩", A, 800_000.0),
        ("１７ ｋｍ２", A, 17e6),
        ("80\u3000ha", A, 800_000.0),
        ("6500 元／m2", MPA, 6500.0),
        ("90 ％", R, 0.9),
        ("１，２００ 亩", A, 800_000.0),
    ],
)
def test_parse_quantity_hand_values(text: object, dimension: Dimension, expected: float) -> None:
    assert parse_quantity(text, dimension) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "dimension", "found", "expected"),
    [
        ("80 kg", A, "a mass", "an area"),
        ("3 m", A, "a length", "an area"),
        ("6500 元/m2", A, "money per area", "an area"),
        ("80 ha", MPA, "an area", "money per area"),
        ("2200 亿元", MPA, "money", "money per area"),
        ("3 ha", D, "an area", "a duration"),
    ],
)
def test_wrong_dimension_names_field_value_and_expectation(
    text: str, dimension: Dimension, found: str, expected: str
) -> None:
    with pytest.raises(UnitError) as info:
        parse_quantity(text, dimension, field="parks.A.land_supply_per_year")
    message = str(info.value)
    assert message.startswith("parks.A.land_supply_per_year: ")
    assert f"expected {expected}" in message
    assert f"found {text!r}, which is {found}" in message
    assert "; use " in message  # the fix: which units to use


@pytest.mark.parametrize(
    ("value", "dimension", "needle"),
    [
        (40, A, 'write the unit in quotes, e.g. "40 m2" or "40 ha"'),
        (5000, MPA, '"5000 元/m2"'),
        ("lots", A, "has no number"),
        ("ha", A, "has no number"),
        ("5 widgets", A, "not a number with a known unit"),
        ("5 (ha", A, "not one number followed by one unit"),
        ("80", A, "has no unit"),
        (True, R, "boolean"),
        ([1, 2], A, "found a list"),
    ],
)
def test_unreadable_values_say_how_to_fix(value: object, dimension: Dimension, needle: str) -> None:
    with pytest.raises(UnitError, match=r"^defaults\.x: expected ") as info:
        parse_quantity(value, dimension, field="defaults.x")
    assert needle in str(info.value)
    assert "Traceback" not in str(info.value)


def test_unit_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="expected an area"):
        parse_quantity("1 kg", A)


def test_format_quantity_examples() -> None:
    assert format_quantity(1e7, "万m²") == "1,000.0 万m²"
    assert format_quantity(800_000, "亩", digits=0) == "1,200 亩"
    assert format_quantity(2.2e11, "亿元", digits=0) == "2,200 亿元"
    assert format_quantity(20_000, "亿元/ha") == "2.0 亿元/ha"
    assert format_quantity(4000, "万元/ha", digits=0) == "4,000 万元/ha"


ROUND_TRIP_UNITS = [
    ("m2", "万m²", A),
    ("m2", "ha", A),
    ("m2", "亩", A),
    ("m2", "km2", A),
    ("yuan", "亿元", M),
    ("yuan", "万元", M),
    ("yuan / m**2", "万元/ha", MPA),
    ("yuan / m**2", "亿元/ha", MPA),
]
magnitudes = st.floats(min_value=1e-3, max_value=1e13, allow_nan=False, allow_infinity=False)


@given(value=magnitudes, units=st.sampled_from(ROUND_TRIP_UNITS))
def test_convert_round_trip(value: float, units: tuple[str, str, Dimension]) -> None:
    si, unit, _ = units
    there = convert(value, si, unit)
    assert convert(there, unit, si) == pytest.approx(value, rel=1e-12)


@given(value=magnitudes, units=st.sampled_from(ROUND_TRIP_UNITS))
def test_format_then_parse_round_trip(value: float, units: tuple[str, str, Dimension]) -> None:
    si, unit, dimension = units
    text = format_quantity(value, unit, digits=12)
    # Formatting rounds to 12 decimals of the display unit; that is the only loss.
    step = convert(1e-12, unit, si)
    assert parse_quantity(text, dimension) == pytest.approx(value, rel=1e-12, abs=step)


@given(value=magnitudes, units=st.sampled_from(ROUND_TRIP_UNITS))
def test_parse_of_written_unit_matches_convert(
    value: float, units: tuple[str, str, Dimension]
) -> None:
    si, unit, dimension = units
    assert parse_quantity(f"{value!r} {unit}", dimension) == pytest.approx(
        convert(value, unit, si), rel=1e-12
    )
