"""Distributions: the value type of an uncertain scenario input, and reading it.

Any numeric park assumption may be a distribution instead of a point, written as an
inline TOML table::

    duration_years = { dist = "triangular", min = 2, mode = 3, max = 4 }
    demand_per_year = { dist = "pert", min = "20万 m2", mode = "40万 m2", max = "50万 m2" }
    occupancy_ceiling = { dist = "normal", mean = "85 %", sd = "5 %", min = "60 %", max = 1 }
    revenue_growth = { dist = "choice", values = ["5 %", "8.5 %", "12 %"], weights = [1, 2, 1] }

Kinds: ``triangular`` (min, mode, max), ``pert`` (min, mode, max, optional ``lambda``
= 4), ``uniform`` (min, max), ``normal`` (mean, sd, optional min/max truncation),
``lognormal`` (median, sigma — the sd of the log; optional min/max truncation) and
``choice`` (values, optional weights). Parameters carry the field's unit.

A deterministic run uses each distribution's :meth:`Distribution.point`: the mode of
triangular and PERT, the mean of uniform and normal (the median if truncated), the
median of lognormal, and the most likely value of a choice.

``(value, Dimension) ──parse_uncertain──▶ float | Distribution``: the scenario schema
(:mod:`sim.scenario`) reads its fields with it, and :mod:`sim.montecarlo` samples the
distributions it returns. A leaf: it needs only :mod:`sim.units`, numpy and scipy.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.units import Dimension, quantities_to_si, quantity_to_si

__all__ = ["MAX_CHOICES", "Distribution", "Kind", "parse_uncertain", "point_value"]

FloatArray = npt.NDArray[np.float64]


class Kind(str, enum.Enum):
    """The distributions a scenario may use."""

    TRIANGULAR = "triangular"
    PERT = "pert"
    UNIFORM = "uniform"
    NORMAL = "normal"
    LOGNORMAL = "lognormal"
    CHOICE = "choice"


_PARAMS: dict[Kind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required, optional)
    Kind.TRIANGULAR: (("min", "mode", "max"), ()),
    Kind.PERT: (("min", "mode", "max"), ("lambda",)),
    Kind.UNIFORM: (("min", "max"), ()),
    Kind.NORMAL: (("mean", "sd"), ("min", "max")),
    Kind.LOGNORMAL: (("median", "sigma"), ("min", "max")),
    Kind.CHOICE: (("values",), ("weights",)),
}
_UNITLESS = {"lambda", "sigma", "weights"}

#: Most values a ``choice`` may list (more is data, not an assumption).
MAX_CHOICES = 10_000


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class Distribution:
    """A distribution of one scenario quantity, parameters in SI units.

    Attributes
    ----------
    kind
        Which distribution.
    params
        Named parameters (``min``, ``mode``, ``max``, ``mean``, ``sd``, ``median``,
        ``sigma``, ``lambda``) as ``(name, value)`` pairs.
    values, weights
        For ``choice``: the values and their (normalised) probabilities.
    """

    kind: Kind
    params: tuple[tuple[str, float], ...] = ()
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()

    def __getitem__(self, name: str) -> float:
        return dict(self.params)[name]

    def get(self, name: str, default: float) -> float:
        """Return parameter ``name``, or ``default`` when not given."""
        return dict(self.params).get(name, default)

    @classmethod
    def from_table(cls, table: Mapping[str, Any], dimension: Dimension) -> Distribution:
        """Read ``{ dist = "...", ... }`` from a scenario, checking every parameter.

        Parameters
        ----------
        table
            The inline table as parsed from TOML.
        dimension
            The field's dimension; parameters are converted to its SI unit.

        Returns
        -------
        Distribution

        Raises
        ------
        ValueError
            Naming the parameter, what was expected, what was found and the fix.
        """
        kinds = [k.value for k in Kind]
        if "dist" not in table:
            raise ValueError(
                f"a distribution needs dist = one of {kinds}; found keys {sorted(table)}"
            )
        try:
            kind = Kind(table["dist"])
        except ValueError:
            raise ValueError(
                f"dist: expected one of {kinds}; found {_short(table['dist'])}"
            ) from None
        required, optional = _PARAMS[kind]
        given = set(table) - {"dist"}
        missing = [name for name in required if name not in given]
        unknown = sorted(given - set(required) - set(optional))
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing {missing}")
            if unknown:
                parts.append(f"unknown {unknown}")
            raise ValueError(
                f"{kind.value} takes {list(required)}"
                + (f" and optionally {list(optional)}" if optional else "")
                + f"; {' and '.join(parts)}"
            )
        if kind is Kind.CHOICE:
            return cls._choice(table, dimension)
        params = {}
        for name in [*required, *optional]:
            if name not in table:
                continue
            value = table[name]
            where = f"{kind.value}.{name}"
            try:
                dim = Dimension.RATIO if name in _UNITLESS else dimension
                params[name] = quantity_to_si(value, dim)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
        dist = cls(kind=kind, params=tuple(params.items()))
        dist._check()
        if not math.isfinite(dist.point()):
            # Finite parameters can still make an unusable distribution (a truncation so
            # far in the tail that its median is lost to rounding).
            raise ValueError(
                f"{kind.value}: expected parameters whose central value is a finite number; "
                f"found {dict(params)} (central value {dist.point()}); move min/max closer "
                "to the centre or use a smaller spread"
            )
        return dist

    @classmethod
    def _choice(cls, table: Mapping[str, Any], dimension: Dimension) -> Distribution:
        raw = table["values"]
        if not isinstance(raw, list) or not raw:
            raise ValueError(f"choice.values: expected a non-empty list; found {_short(raw)}")
        if len(raw) > MAX_CHOICES:
            raise ValueError(
                f"choice.values: expected at most {MAX_CHOICES:,} values; found a list of "
                f"{len(raw):,}; use a distribution (e.g. triangular or normal) that "
                "summarises them, or keep a representative subset"
            )
        try:
            values = quantities_to_si(raw, dimension)
        except ValueError as exc:
            raise ValueError(f"choice.values: {exc}") from None
        weights_raw = table.get("weights", [1.0] * len(values))
        if not isinstance(weights_raw, list) or len(weights_raw) != len(values):
            raise ValueError(
                f"choice.weights: expected {len(values)} numbers, one per value; "
                f"found {_short(weights_raw)}"
            )
        try:
            weights = quantities_to_si(weights_raw, Dimension.RATIO)
        except ValueError as exc:
            raise ValueError(f"choice.weights: {exc}") from None
        total = float(weights.sum())
        if (weights < 0).any() or not total > 0 or not math.isfinite(total):
            raise ValueError(
                "choice.weights: expected finite numbers ≥ 0 with a positive sum; "
                f"found {_short(weights_raw)}"
            )
        return cls(
            kind=Kind.CHOICE,
            values=tuple(values.tolist()),
            weights=tuple((weights / total).tolist()),
        )

    def _check(self) -> None:
        kind = self.kind.value
        if self.kind in (Kind.TRIANGULAR, Kind.PERT):
            lo, mode, hi = self["min"], self["mode"], self["max"]
            if not lo <= mode <= hi or lo == hi:
                raise ValueError(
                    f"{kind}: expected min ≤ mode ≤ max with min < max; found "
                    f"min={lo:g}, mode={mode:g}, max={hi:g}"
                )
            if self.get("lambda", 4.0) <= 0:
                raise ValueError(f"{kind}.lambda: expected > 0; found {self['lambda']:g}")
        elif self.kind is Kind.UNIFORM:
            if not self["min"] < self["max"]:
                raise ValueError(
                    f"uniform: expected min < max; found min={self['min']:g}, max={self['max']:g}"
                )
        else:
            scale_name = "sd" if self.kind is Kind.NORMAL else "sigma"
            if not self[scale_name] > 0:
                raise ValueError(
                    f"{kind}.{scale_name}: expected a positive scale; found {self[scale_name]:g}"
                )
            if self.kind is Kind.LOGNORMAL and not self["median"] > 0:
                raise ValueError(f"lognormal.median: expected > 0; found {self['median']:g}")
            lo, hi = self.get("min", -math.inf), self.get("max", math.inf)
            if not lo < hi:
                raise ValueError(f"{kind}: expected min < max; found min={lo:g}, max={hi:g}")
            centre = self["mean"] if self.kind is Kind.NORMAL else self["median"]
            if not lo <= centre <= hi:
                raise ValueError(
                    f"{kind}: the {'mean' if self.kind is Kind.NORMAL else 'median'} "
                    f"{centre:g} lies outside min={lo:g}, max={hi:g}"
                )

    def bounds(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can produce."""
        if self.kind is Kind.CHOICE:
            return min(self.values), max(self.values)
        if self.kind is Kind.NORMAL:
            return self.get("min", -math.inf), self.get("max", math.inf)
        if self.kind is Kind.LOGNORMAL:
            return self.get("min", 0.0), self.get("max", math.inf)
        return self["min"], self["max"]

    def point(self) -> float:
        """Return the value a deterministic run uses (mode, mean or median)."""
        if self.kind is Kind.CHOICE:
            return self.values[int(np.argmax(self.weights))]
        if self.kind in (Kind.TRIANGULAR, Kind.PERT):
            return self["mode"]
        if self.kind is Kind.UNIFORM:
            return (self["min"] + self["max"]) / 2
        truncated = "min" in dict(self.params) or "max" in dict(self.params)
        if truncated:
            return float(self._frozen().median())
        return self["mean"] if self.kind is Kind.NORMAL else self["median"]

    def _frozen(self) -> Any:
        from scipy import stats

        if self.kind is Kind.TRIANGULAR:
            lo, mode, hi = self["min"], self["mode"], self["max"]
            return stats.triang(c=(mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
        if self.kind is Kind.PERT:
            lo, mode, hi, lam = self["min"], self["mode"], self["max"], self.get("lambda", 4.0)
            a = 1 + lam * (mode - lo) / (hi - lo)
            b = 1 + lam * (hi - mode) / (hi - lo)
            return stats.beta(a, b, loc=lo, scale=hi - lo)
        if self.kind is Kind.UNIFORM:
            return stats.uniform(loc=self["min"], scale=self["max"] - self["min"])
        if self.kind is Kind.NORMAL:
            mean, sd = self["mean"], self["sd"]
            lo, hi = self.get("min", -math.inf), self.get("max", math.inf)
            return stats.truncnorm((lo - mean) / sd, (hi - mean) / sd, loc=mean, scale=sd)
        # lognormal, truncated to [min, max] through its log-normal cdf
        return _TruncatedLognormal(self["median"], self["sigma"], *self.bounds())

    def quantile(self, q: npt.ArrayLike) -> FloatArray:
        """Return the values below which a share ``q`` of draws falls (the inverse cdf).

        Parameters
        ----------
        q
            Shares in [0, 1].

        Returns
        -------
        numpy.ndarray
            One value per share (a choice gives the value its cumulative weight reaches).

        Examples
        --------
        >>> d = Distribution(kind=Kind.UNIFORM, params=(("min", 2.0), ("max", 4.0)))
        >>> d.quantile([0.1, 0.5, 0.9]).round(6).tolist()
        [2.2, 3.0, 3.8]
        """
        shares = np.asarray(q, dtype=np.float64)
        if self.kind is Kind.CHOICE:
            order = np.argsort(self.values)
            values = np.asarray(self.values)[order]
            cumulative = np.cumsum(np.asarray(self.weights)[order])
            cumulative /= cumulative[-1]
            index = np.searchsorted(cumulative, shares, side="left")
            return np.asarray(values[np.minimum(index, values.size - 1)], dtype=np.float64)
        return np.asarray(self._frozen().ppf(shares), dtype=np.float64)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` values with ``rng``.

        Parameters
        ----------
        rng
            The run's generator.
        size
            Number of draws.

        Returns
        -------
        numpy.ndarray
            Shape ``(size,)``.
        """
        if self.kind is Kind.CHOICE:
            return rng.choice(np.asarray(self.values), size=size, p=np.asarray(self.weights))
        return np.asarray(self._frozen().rvs(size=size, random_state=rng), dtype=np.float64)


class _TruncatedLognormal:
    """Lognormal with median and log-sd, truncated by inverse-cdf sampling."""

    def __init__(self, median: float, sigma: float, lo: float, hi: float) -> None:
        from scipy import stats

        self._dist = stats.lognorm(s=sigma, scale=median)
        self._lo = float(self._dist.cdf(lo)) if lo > 0 else 0.0
        self._hi = float(self._dist.cdf(hi)) if math.isfinite(hi) else 1.0

    def median(self) -> float:
        return float(self._dist.ppf((self._lo + self._hi) / 2))

    def ppf(self, q: FloatArray) -> FloatArray:
        return np.asarray(self._dist.ppf(self._lo + q * (self._hi - self._lo)), dtype=np.float64)

    def rvs(self, *, size: int, random_state: np.random.Generator) -> FloatArray:
        u = random_state.uniform(self._lo, self._hi, size=size)
        return np.asarray(self._dist.ppf(u), dtype=np.float64)


def parse_uncertain(
    value: object,
    dimension: Dimension,
    *,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
) -> float | Distribution:
    """Validate a scenario value that may be a point or a distribution.

    Parameters
    ----------
    value
        A quantity (``"3 years"``, ``0.85``) or a ``{ dist = ... }`` table.
    dimension
        The field's dimension.
    gt, ge, le
        Bounds every possible value must respect (checked on a distribution's support).

    Returns
    -------
    float or Distribution

    Raises
    ------
    ValueError
        With the field-free message pydantic attaches to the field path.
    """
    if isinstance(value, Distribution):
        result: float | Distribution = value
        lo, hi = value.bounds()
    elif isinstance(value, Mapping):
        result = Distribution.from_table(value, dimension)
        lo, hi = result.bounds()
    else:
        result = quantity_to_si(value, dimension)
        lo = hi = result
    if isinstance(result, Distribution):
        what, fix = "every value of the distribution", "; bound it with min/max"
        low, high = f"a lowest value of {lo:g}", f"a highest value of {hi:g}"
    else:
        what, fix = "a value", "; change it to a value within that bound"
        low = high = _short(value) + ("" if isinstance(value, int | float) else f" (= {lo:g})")
    if gt is not None and not lo > gt:
        raise ValueError(f"expected {what} > {gt:g}; found {low}{fix}")
    if ge is not None and not lo >= ge:
        raise ValueError(f"expected {what} ≥ {ge:g}; found {low}{fix}")
    if le is not None and not hi <= le:
        raise ValueError(f"expected {what} ≤ {le:g}; found {high}{fix}")
    return result


def point_value(value: float | Distribution) -> float:
    """Return the deterministic value of a point or a distribution."""
    return value.point() if isinstance(value, Distribution) else float(value)
