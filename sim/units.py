"""Quantities with units, including the Chinese ones planners use.

Scenario values arrive as strings such as ``"1200 亩"``, ``"17 km2"``, ``"1000万 m2"``,
``"4000 万元/ha"`` or ``"6500 元/m2"``. :func:`parse_quantity` reads them with pint
(extended with 亩, 公顷, 平方公里, 万, 亿, 元 …) and returns a plain float in the SI
unit of the expected :class:`Dimension`: m² for areas, CNY for money, CNY/m² for
money per area, years for durations, 1 for ratios. Everything downstream works in
those units; :func:`format_quantity` converts back for labels.

A value is exactly one number and one unit (``<number> [万|亿] <unit>[/<unit>]``),
matched by a regular expression before pint parses the unit part alone: pint would
evaluate ``"3 * 4 m2"`` as 12 m² and read ``"m2"`` as 1 m². Every result is finite —
``inf``, ``nan`` and overflowing values are refused with the value named.
:func:`quantities_to_si` converts a list with one pint look-up per distinct unit.
"""

from __future__ import annotations

import enum
import functools
import math
import re
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pint

from sim.errors import UnitError

__all__ = [
    "Dimension",
    "convert",
    "format_quantity",
    "parse_quantity",
    "quantities_to_si",
    "quantity_to_si",
    "registry",
]

FloatArray = npt.NDArray[np.float64]

_DEFINITIONS = """
yuan = [currency] = 元 = CNY = RMB = cny
wan = 1e4 = 万
yi = 1e8 = 亿
wan_yuan = 1e4 * yuan = 万元
yi_yuan = 1e8 * yuan = 亿元
mu = 10000 / 15 * meter ** 2 = 亩
gongqing = hectare = 公顷
pingfangmi = meter ** 2 = 平方米 = m²
pingfanggongli = kilometer ** 2 = 平方公里 = km²
wan_pingfangmi = 1e4 * meter ** 2 = 万平方米 = 万m²
nian = year = 年
ren = [] = 人 = worker = workers = person = persons
"""

# "m2", "km2", "m^2" and "m²" all mean square metres; pint wants "m**2".
# The look-behind keeps scientific notation ("1e3") from being read as "1e**3".
_POWER = re.compile(r"(?<=[A-Za-z²])(?<!\d[eE])(\^|\*\*)?([23])\b")
# "1000万m2": 万/亿 run straight into a unit; pint needs a space between them.
_MULTIPLIER = re.compile(r"(万|亿)(?=[A-Za-z])")
_SUPERSCRIPT = str.maketrans({"²": "2", "³": "3"})
# Thousands separators as planners type them: "1,200 亩" (not "1,2", which is ambiguous).
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")


def _normalise(text: str) -> str:
    # Keep the named Chinese units that contain ² intact; expand the rest.
    text = text.replace("万m²", "万平方米").replace("km²", "km2").replace("m²", "m2")
    # NFKC folds full-width digits, letters and punctuation (１２００, ｋｍ２, ／, ％, the
    # ideographic space) and ㎡ into their ASCII forms, which pint understands.
    text = unicodedata.normalize("NFKC", text).strip()
    text = _THOUSANDS.sub("", text)
    text = text.translate(_SUPERSCRIPT)
    text = _MULTIPLIER.sub(r"\1 ", text)
    text = _POWER.sub(lambda m: f"**{m.group(2)}", text)
    text = text.replace("%", " percent")
    return text


@functools.cache
def registry() -> pint.UnitRegistry[Any]:
    """Return the shared unit registry with parksim's Chinese definitions.

    Returns
    -------
    pint.UnitRegistry
        A registry that knows 亩, 公顷, 平方公里, 万, 亿, 元, 万元, 亿元 and 年.
    """
    ureg: pint.UnitRegistry[Any] = pint.UnitRegistry(
        preprocessors=[_normalise], autoconvert_offset_to_baseunit=True
    )
    for line in _DEFINITIONS.strip().splitlines():
        ureg.define(line)
    return ureg


class Dimension(enum.Enum):
    """The kinds of quantity a scenario field may hold, each with its SI unit."""

    AREA = (
        "m**2",
        "an area, e.g. '80 ha', '1200 亩', '17 km2' or '100万 m2'",
        "an area unit: m2, 万 m2, ha, 亩 or km2",
    )
    MONEY = (
        "yuan",
        "an amount of money, e.g. '2200 亿元' or '500 万元'",
        "a money unit: 元, 万元 or 亿元",
    )
    MONEY_PER_AREA = (
        "yuan / m**2",
        "money per area, e.g. '6500 元/m2' or '4000 万元/ha'",
        "a money-per-area unit: 元/m2, 万元/ha, 亿元/ha or 万元/亩",
    )
    DURATION = (
        "year",
        "a duration, e.g. '3 years' or '3 年'",
        "years: a plain number or '3 年'",
    )
    RATIO = (
        "dimensionless",
        "a plain number or percentage, e.g. 0.9 or '90 %'",
        "a plain number or a percentage",
    )

    def __init__(self, si_unit: str, example: str, units: str) -> None:
        self.si_unit = si_unit
        self.example = example
        self.units = units


def parse_quantity(value: object, dimension: Dimension, *, field: str = "value") -> float:
    """Parse a scenario value into a float in the SI unit of ``dimension``.

    Parameters
    ----------
    value
        A string with a unit (``"1200 亩"``), or a bare number. A bare number is
        accepted only for :attr:`Dimension.RATIO` and :attr:`Dimension.DURATION`
        (years); other dimensions need an explicit unit so that "40" can never be
        read as 40 m² when the planner meant 40 ha.
    dimension
        What the field holds.
    field
        Field path used in error messages.

    Returns
    -------
    float
        The value in ``dimension.si_unit``.

    Raises
    ------
    UnitError
        If the value cannot be parsed, has no unit where one is needed, or has the
        wrong dimension.

    Examples
    --------
    >>> parse_quantity("1200 亩", Dimension.AREA)
    800000.0
    >>> parse_quantity("4000 万元/ha", Dimension.MONEY_PER_AREA)
    4000.0
    >>> parse_quantity("90 %", Dimension.RATIO)
    0.9
    """
    try:
        return quantity_to_si(value, dimension)
    except ValueError as exc:
        raise UnitError(f"{field}: {exc}") from None


def quantity_to_si(value: object, dimension: Dimension) -> float:
    """Like :func:`parse_quantity`, but raise a plain ``ValueError`` with no field name.

    Validators that know the field path themselves (pydantic) use this one.
    """
    if isinstance(value, bool):
        raise ValueError(
            f"expected {dimension.example}; found the boolean {value!r}; "
            f"write a number, or a quoted number with {dimension.units}"
        )
    if isinstance(value, int | float):
        number = _finite(value, value, dimension)
        if dimension in (Dimension.RATIO, Dimension.DURATION):
            return number
        raise ValueError(
            f"expected {dimension.example}; found the bare number {value!r}; "
            f"write the unit in quotes, e.g. {_with_units(value, dimension)}"
        )
    if not isinstance(value, str):
        raise ValueError(
            f"expected {dimension.example}; found {_kind(value)} {_shown(value)}; "
            f"write a number, or a quoted number with {dimension.units}"
        )
    magnitude, unit = _split(value, dimension)
    try:
        factor = _unit_factor(unit, dimension)
    except _UnitMismatchError as exc:
        raise ValueError(
            f"expected {dimension.example}; found {_shown(value)}, which {exc}"
        ) from None
    return _finite(magnitude * factor, value, dimension)


def quantities_to_si(values: Sequence[object], dimension: Dimension) -> FloatArray:
    """Convert a list of scenario values at once, checked as :func:`quantity_to_si` does.

    Each distinct unit is looked up in pint once; magnitudes are read with a regular
    expression and scaled and checked for finiteness as one array, so a list of a
    million items costs about a second rather than minutes.

    Parameters
    ----------
    values
        Numbers or strings with units.
    dimension
        What every item holds.

    Returns
    -------
    numpy.ndarray
        The values in ``dimension.si_unit``, shape ``(len(values),)``.

    Raises
    ------
    ValueError
        For the first unreadable item, prefixed ``item <i>:``.

    Examples
    --------
    >>> quantities_to_si(["1 ha", "2 ha", "15万 m2"], Dimension.AREA).tolist()
    [10000.0, 20000.0, 150000.0]
    """
    magnitudes = np.empty(len(values), dtype=np.float64)
    factors = np.empty(len(values), dtype=np.float64)
    for i, item in enumerate(values):
        try:
            if isinstance(item, str):
                magnitudes[i], unit = _split(item, dimension)
                factors[i] = _unit_factor(unit, dimension)
            else:
                magnitudes[i], factors[i] = quantity_to_si(item, dimension), 1.0
        except _UnitMismatchError as exc:
            raise ValueError(
                f"item {i}: expected {dimension.example}; found {_shown(item)}, which {exc}"
            ) from None
        except ValueError as exc:
            raise ValueError(f"item {i}: {exc}") from None
    with np.errstate(over="ignore", invalid="ignore"):
        result = magnitudes * factors
    bad = np.flatnonzero(~np.isfinite(result))
    if bad.size:
        i = int(bad[0])
        try:
            _finite(float(result[i]), values[i], dimension)
        except ValueError as exc:
            raise ValueError(f"item {i}: {exc}") from None
    return result


class _UnitMismatchError(ValueError):
    """The unit part of a quantity is unknown or of the wrong kind (message: 'is …')."""


# What a quantity string may look like once NFKC-folded: one number, then at most one
# multiplier (万 or 亿) and one unit, optionally divided by one unit. Anything else —
# arithmetic, a second number, a second unit, brackets — is refused before pint sees
# it, because pint would evaluate it ("3 * 4 m2" is 12 m², "m2" is 1 m²).
_NUMBER = r"[+-]?(?:\d+(?:_\d+)*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NAME = r"(?:[A-Za-z]+(?:_[A-Za-z]+)*|[\u3400-\u9fff]+)"
_TERM = rf"(?:{_NAME}(?:(?:\^|\*\*)?[23])?|%)"
_UNIT = rf"(?:[万亿]\s*)?{_TERM}(?:\s*/\s*{_TERM})?|[万亿]"
_QUANTITY = re.compile(rf"(?P<number>{_NUMBER})\s*(?P<unit>(?:{_UNIT})?)")


def _split(text: str, dimension: Dimension) -> tuple[float, str]:
    """Split ``"1,200 亩"`` into ``(1200.0, "亩")``, or raise naming what is wrong."""
    folded = _THOUSANDS.sub("", unicodedata.normalize("NFKC", _fold_named(text)).strip())
    match = _QUANTITY.fullmatch(folded)
    if match is None:
        head = _NUMBER_PREFIX.match(folded)
        if head is None or not head.group():
            what = (
                "which does not start with a number"
                if re.search(r"\d", folded)
                else "which has no number"
            )
            if folded.lower().lstrip("+-").startswith(("inf", "nan")):
                what = "which is not a finite number"
        else:
            what = (
                f"which is not one number followed by one unit (after {head.group()!r} "
                f"comes {folded[head.end() :]!r})"
            )
        raise ValueError(
            f"expected {dimension.example}; found {_shown(text)}, {what}; write one number "
            f"followed by {dimension.units}, with no arithmetic"
        )
    return float(match["number"]), match["unit"]


_NUMBER_PREFIX = re.compile(rf"(?:{_NUMBER})?")


def _fold_named(text: str) -> str:
    # The named units containing ² must survive NFKC (which would turn ² into 2).
    return text.replace("万m²", "万平方米")


@functools.lru_cache(maxsize=512)
def _unit_factor(unit: str, dimension: Dimension) -> float:
    """Return what one ``unit`` is in ``dimension.si_unit``; cached per unit text."""
    if not unit:
        if dimension in (Dimension.RATIO, Dimension.DURATION):
            return 1.0
        raise _UnitMismatchError(f"has no unit; add {dimension.units}")
    ureg = registry()
    try:
        parsed: Any = ureg.parse_units(unit)
    except Exception:  # pint raises many kinds (undefined unit, syntax, …); all mean unknown
        raise _UnitMismatchError(
            f"is not a number with a known unit; write a number followed by {dimension.units}"
        ) from None
    one: Any = ureg.Quantity(1.0, parsed)
    if not one._is_multiplicative:
        raise _UnitMismatchError(
            f"uses {unit!r}, which is not a plain multiplicative unit; use {dimension.units}"
        )
    if one.dimensionless:
        if dimension is Dimension.RATIO:
            return float(one.to("dimensionless").magnitude)
        raise _UnitMismatchError(f"has no unit; add {dimension.units}")
    target = ureg.Unit(dimension.si_unit)
    if one.dimensionality != target.dimensionality:
        raise _UnitMismatchError(f"is {_describe(one.dimensionality)}; use {dimension.units}")
    return float(one.to(target).magnitude)


def _finite(number: float, written: object, dimension: Dimension) -> float:
    """Return ``number`` as a float if it is finite, else raise saying why it is not."""
    try:
        as_float = float(number)
    except OverflowError:  # a whole number too large for a float
        as_float = math.inf
    if math.isfinite(as_float):
        return as_float
    if math.isnan(as_float):
        what = "which is not a number (nan)"
    elif isinstance(written, float) and math.isinf(written):
        what = "which is infinite"
    else:
        what = f"which is too large (the largest usable number is about {sys.float_info.max:.1e})"
    raise ValueError(
        f"expected a finite number ({dimension.example}); found {_shown(written)}, {what}; "
        "write a finite number"
    )


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: object) -> str:
    return {"list": "a list", "dict": "a table", "tuple": "a list"}.get(
        type(value).__name__, f"a {type(value).__name__}"
    )


def _with_units(value: float, dimension: Dimension) -> str:
    examples = {
        Dimension.AREA: ("m2", "ha"),
        Dimension.MONEY: ("元", "万元"),
        Dimension.MONEY_PER_AREA: ("元/m2", "万元/ha"),
    }.get(dimension, ("ha",))
    return " or ".join(f'"{value} {unit}"' for unit in examples)


def _describe(dimensionality: pint.util.UnitsContainer) -> str:
    known: dict[str, str] = {
        "[length] ** 2": "an area",
        "[mass]": "a mass",
        "[length] ** 3": "a volume",
        "[length]": "a length",
        "[currency]": "money",
        "[currency] / [length] ** 2": "money per area",
        "[time]": "a duration",
        "[currency] / [time]": "money per time",
        "[length] ** 2 / [time]": "area per time",
    }
    text = str(dimensionality)
    return known.get(text, f"of dimension {text}")


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a number between units, e.g. ``convert(1e8, "yuan", "亿元")``.

    Parameters
    ----------
    value
        The magnitude in ``from_unit``.
    from_unit, to_unit
        Unit expressions the registry understands (``"m2"``, ``"万m²"``, ``"亿元"``).

    Returns
    -------
    float
        The magnitude in ``to_unit``.

    Examples
    --------
    >>> convert(2.5e6, "m2", "万m²")
    250.0
    """
    ureg = registry()
    return float(ureg.Quantity(value, ureg.Unit(_normalise(from_unit))).to(to_unit).magnitude)


def format_quantity(value: float, unit: str, *, digits: int = 1) -> str:
    """Format an SI value in a planner's unit, e.g. ``format_quantity(1e7, "万m²")``.

    Parameters
    ----------
    value
        The value in the SI unit of its dimension (m², CNY, CNY/m², …).
    unit
        Target unit, e.g. ``"万m²"``, ``"亿元"``, ``"ha"``, ``"万元/ha"``.
    digits
        Decimal places.

    Returns
    -------
    str
        ``"1,000.0 万m²"``-style text.

    Examples
    --------
    >>> format_quantity(1e7, "万m²")
    '1,000.0 万m²'
    """
    ureg = registry()
    target = ureg.Unit(_normalise(unit))
    base = ureg.Quantity(1.0, target).to_base_units()
    magnitude = value / float(base.magnitude)
    return f"{magnitude:,.{digits}f} {unit}"
