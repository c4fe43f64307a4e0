"""Calibrate to what was observed: fit scenario values so the model reproduces observations.

``(scenario, observations, levers) ──calibrate──▶ Calibration``

Observations (:func:`read_observations`) are rows of ``date, park_id, metric, value[,
sd]``: a ``date`` is a year (the year's value: a stock at year end, a flow over the
year), a quarter ``2016Q3`` or an ISO date (its quarter); ``park_id`` a park or
``total``; ``metric`` a target metric (``floor_completed``) or any per-park series
(``floor_occupied_m2``); ``value`` in SI units (m², CNY/yr, persons); ``sd`` its
standard error (default: 5 % of the value, at least 1).

- **Point fit**: :func:`scipy.optimize.least_squares` (trust-region reflective, within
  the levers' bounds) of the residuals ``(simulated − observed) / sd`` of the point run.
  The Jacobian is a forward difference whose ``n`` runs go to the executor together;
  the step is 1 % of each bracket, because the quarterly model turns durations into
  whole quarters and smaller steps would see flat steps instead of the slope. The
  approximate 95 % intervals are ``estimate ± 1.96 σ`` with ``Σ = (JᵀJ)⁻¹`` (the
  standard errors are taken as known).
- **Posterior** (``posterior=True``): ABC-SMC — approximate Bayesian computation by
  sequential Monte Carlo (Toni et al. 2009, *J. R. Soc. Interface* 6:187; with the
  weights and the Gaussian kernel of twice the weighted covariance of Beaumont et al.
  2009, *Biometrika* 96:983). The prior is uniform over the brackets; each particle
  runs the Monte Carlo engine once (one draw of the scenario's distributions and
  ``[market]``, its own seed) and adds the observation noise (``sd``) to what it
  simulates, so the posterior accounts for both (noisy ABC, Wilkinson 2013, *Stat. Appl.
  Genet. Mol. Biol.* 12:129). The distance is the root mean square of the standardised
  residuals; the tolerance of each generation is the median distance of the previous one
  (at most ``generations``; stop once it falls below 1, the noise level). The proposals,
  weights and kernels are numpy arrays over particles; the runs go to the executor as
  one list per batch. The last generation's particles get the local-linear regression
  adjustment of Beaumont, Zhang & Balding (2002, *Genetics* 162:2025), which corrects for
  the tolerance not reaching zero; without it the posterior is too wide.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.decisions.evaluate import Query, Task, evaluate, query_from
from sim.decisions.levers import Lever, Value, format_value, parse_lever, raw_table
from sim.errors import Problem, SimError
from sim.executor import Executor, SerialExecutor

__all__ = ["Calibration", "Observations", "calibrate", "read_observations"]

FloatArray = npt.NDArray[np.float64]
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Observations:
    """What was observed: one query, value and standard error per row."""

    queries: tuple[Query, ...]
    values: FloatArray
    sd: FloatArray
    dates: tuple[str, ...]


def _period(text: str, row: int, source: str) -> tuple[int, int | None]:
    text = text.strip()
    if re.fullmatch(r"\d{4}", text):
        return int(text), None
    match = re.fullmatch(r"(\d{4})\s*Q([1-4])", text, flags=re.IGNORECASE)
    if match:
        return int(match[1]), int(match[2])
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise SimError(
            "bad observation date",
            source=Path(source),
            problems=[
                Problem(
                    f"row {row}: date",
                    f"expected a year (2016), a quarter "
                    f"(2016Q3) or an ISO date (2016-09-30); found {text!r}",
                )
            ],
        ) from None
    return day.year, (day.month - 1) // 3 + 1


def read_observations(path: str | Path) -> Observations:
    """Read an observations CSV (columns ``date, park_id, metric, value[, sd]``).

    Raises
    ------
    sim.errors.SimError
        Naming the file, the row and column, what was expected and found.
    """
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype={"date": str, "park_id": str})
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SimError(f"cannot read the observations {path}: {exc}") from None
    missing = [c for c in ("date", "park_id", "metric", "value") if c not in frame.columns]
    if missing or frame.empty:
        raise SimError(
            "bad observations",
            source=Path(path),
            problems=[
                Problem(
                    "columns",
                    f"expected date, park_id, metric, value[, sd] and at "
                    f"least one row; found columns {list(frame.columns)}, "
                    f"{len(frame)} rows",
                )
            ],
        )
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float)
    sd = (
        pd.to_numeric(frame["sd"], errors="coerce").to_numpy(dtype=float)
        if "sd" in frame.columns
        else np.full(values.size, np.nan)
    )
    sd = np.where(np.isfinite(sd), sd, np.maximum(0.05 * np.abs(values), 1.0))
    bad = np.flatnonzero(~np.isfinite(values) | ~(sd > 0))
    if bad.size:
        raise SimError(
            "bad observations",
            source=Path(path),
            problems=[
                Problem(f"row {int(i) + 2}", "expected a finite value and sd > 0") for i in bad[:5]
            ],
        )
    queries = []
    for i, row in enumerate(frame.itertuples(index=False)):
        year, quarter = _period(str(row.date), i + 2, str(path))
        queries.append(query_from(str(row.metric), str(row.park_id), year, quarter))
    return Observations(tuple(queries), values, sd, tuple(str(d) for d in frame["date"]))


@dataclass(frozen=True)
class Calibration:
    """What :func:`calibrate` found.

    Attributes
    ----------
    scenario
        The scenario file.
    levers
        The fitted values' paths and brackets.
    estimate
        Point estimates (least squares), in each lever's unit.
    interval
        Approximate 95 % intervals of the point estimates.
    observed, sd, simulated, residuals
        Per observation: value, standard error, the point run at the estimate and the
        standardised residual.
    labels
        Each observation as ``metric park date``.
    diagnostics
        Least-squares status, cost, evaluations, χ², degrees of freedom, Jacobian
        condition, parameters at a bound.
    posterior
        With ``posterior=True``: ``particles`` ``(n, k)``, ``weights``, ``tolerances``,
        ``acceptance``, ``mean``, ``interval`` (weighted 2.5–97.5 %), and per observation
        ``band`` (the 2.5–97.5 % of what the posterior particles simulated).
    """

    scenario: str
    levers: tuple[Lever, ...]
    estimate: dict[str, float]
    interval: dict[str, tuple[float, float]]
    observed: FloatArray
    sd: FloatArray
    simulated: FloatArray
    residuals: FloatArray
    labels: tuple[str, ...]
    diagnostics: dict[str, Any]
    posterior: dict[str, Any] | None = field(default=None)

    def variant_values(self) -> dict[str, Value]:
        """Return the variant's values: point estimates, or normals from the posterior."""
        out: dict[str, Value] = {}
        for i, lever in enumerate(self.levers):
            if self.posterior is None:
                out.update(lever.values(self.estimate[lever.path]))
                continue
            particles, weights = self.posterior["particles"][:, i], self.posterior["weights"]
            mean = float(weights @ particles)
            sd = float(np.sqrt(weights @ (particles - mean) ** 2))
            if sd <= 0 or len(lever.paths) > 1:
                out.update(lever.values(mean))
                continue
            out[lever.path] = {
                "dist": "normal",
                "mean": format_value(mean, lever.unit),
                "sd": format_value(sd, lever.unit),
                "min": format_value(lever.low, lever.unit),
                "max": format_value(lever.high, lever.unit),
            }
        return out

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready record (``calibration.json``)."""
        post = None
        if self.posterior is not None:
            p = self.posterior
            post = {
                "method": "ABC-SMC (Toni et al. 2009; Beaumont et al. 2009)",
                "particles": p["particles"].tolist(),
                "weights": p["weights"].tolist(),
                "tolerances": p["tolerances"],
                "acceptance": p["acceptance"],
                "mean": p["mean"],
                "interval_95": p["interval"],
            }
        return {
            "scenario": self.scenario,
            "levers": [
                {
                    "path": lv.path,
                    "unit": lv.unit,
                    "current": lv.current,
                    "low": lv.low,
                    "high": lv.high,
                }
                for lv in self.levers
            ],
            "estimate": self.estimate,
            "interval_95": {k: list(v) for k, v in self.interval.items()},
            "residuals": [
                {
                    "observation": label,
                    "observed": float(o),
                    "sd": float(s),
                    "simulated": float(m),
                    "standardised_residual": float(r),
                }
                for label, o, s, m, r in zip(
                    self.labels, self.observed, self.sd, self.simulated, self.residuals, strict=True
                )
            ],
            "diagnostics": self.diagnostics,
            "posterior": post,
        }


@dataclass
class _Model:
    scenario: str
    levers: tuple[Lever, ...]
    observations: Observations
    executor: Executor
    runs: int = 0

    def settings(self, x: FloatArray) -> tuple[tuple[str, Value], ...]:
        out: dict[str, Value] = {}
        for lever, value in zip(self.levers, x, strict=True):
            out.update(lever.values(float(value)))
        return tuple(out.items())

    def simulate(self, points: FloatArray, *, seeds: Sequence[int] | None = None) -> FloatArray:
        """Simulate every observation for each parameter row, ``(n, m)``."""
        tasks = [
            Task(
                scenario=self.scenario,
                overrides=self.settings(x),
                queries=self.observations.queries,
                draws=1,
                seed=0 if seeds is None else int(seeds[i]),
                sampled=seeds is not None,
            )
            for i, x in enumerate(points)
        ]
        self.runs += len(tasks)
        results = self.executor.map(evaluate, tasks)
        return np.array([r[:, 0] for r in results], dtype=np.float64).reshape(len(tasks), -1)


def calibrate(
    scenario: str | Path,
    observations: Observations | str | Path,
    levers: Sequence[Lever | str],
    *,
    posterior: bool = False,
    particles: int = 200,
    generations: int = 6,
    seed: int | None = None,
    executor: Executor | None = None,
) -> Calibration:
    """Fit ``levers`` so the scenario reproduces ``observations``.

    Parameters
    ----------
    scenario
        The scenario file.
    observations
        :class:`Observations` or the path of their CSV.
    levers
        :class:`~sim.decisions.levers.Lever` or ``"PATH[=LOW:HIGH]"`` texts.
    posterior
        Also run ABC-SMC for a posterior.
    particles, generations
        ABC-SMC population size and most generations.
    seed
        Seed of ABC-SMC (default the scenario's).
    executor
        Where evaluations run.

    Returns
    -------
    Calibration
    """
    from scipy.optimize import least_squares

    from sim.scenario import load_scenario

    loaded = load_scenario(scenario)
    path = str(Path(loaded.path).resolve())
    raw = raw_table(Path(path))
    parsed = tuple(parse_lever(lv, raw) if isinstance(lv, str) else lv for lv in levers)
    if not parsed:
        raise SimError("nothing to fit", problems=[Problem("--fit", "expected at least one PATH")])
    obs = (
        observations if isinstance(observations, Observations) else read_observations(observations)
    )
    model = _Model(path, parsed, obs, executor or SerialExecutor())
    low = np.array([lv.low for lv in parsed])
    high = np.array([lv.high for lv in parsed])
    step = 0.01 * (high - low)
    start = np.clip([lv.current for lv in parsed], low, high)

    def residuals(x: FloatArray) -> FloatArray:
        return np.asarray((model.simulate(x[None, :])[0] - obs.values) / obs.sd)

    def jacobian(x: FloatArray) -> FloatArray:
        # One list of k + 1 runs: the point and a step along each lever (towards the inside).
        sign = np.where(x + step <= high, 1.0, -1.0)
        points = np.vstack([x, x + np.diag(step * sign)])
        sims = (model.simulate(points) - obs.values) / obs.sd
        return np.asarray(((sims[1:] - sims[0]) / (step * sign)[:, None]).T)

    fit = least_squares(
        residuals,
        start,
        jac=jacobian,
        bounds=(low, high),
        x_scale=high - low,
        diff_step=None,
        max_nfev=60,
    )
    estimate = np.asarray(fit.x, dtype=float)
    jac = np.asarray(fit.jac, dtype=float)
    try:
        cov = np.linalg.pinv(jac.T @ jac)
        sigma = np.sqrt(np.maximum(np.diag(cov), 0.0))
    except np.linalg.LinAlgError:  # pragma: no cover - pinv does not fail on finite input
        sigma = np.full(estimate.size, np.inf)
    # A value the observations do not move (a flat column) is not identified: no interval.
    flat = np.linalg.norm(jac, axis=0) <= 1e-12
    sigma = np.where(flat, np.inf, sigma)
    simulated = model.simulate(estimate[None, :])[0]
    resid = (simulated - obs.values) / obs.sd
    singular = np.linalg.svd(jac, compute_uv=False) if jac.size else np.zeros(0)
    diagnostics = {
        "status": int(fit.status),
        "message": str(fit.message),
        "success": bool(fit.success),
        "chi2": float(resid @ resid),
        "dof": int(obs.values.size - estimate.size),
        "rms_standardised_residual": float(np.sqrt(np.mean(resid**2))),
        "jacobian_condition": float(singular[0] / singular[-1])
        if singular.size and singular[-1] > 0
        else None,
        "unidentified": [lv.path for lv, f in zip(parsed, flat, strict=True) if f],
        "at_bound": [lv.path for lv, b in zip(parsed, fit.active_mask, strict=True) if b != 0],
        "evaluations": model.runs,
    }
    post = None
    if posterior:
        rng_seed = loaded.scenario.seed if seed is None else seed
        post = _abc_smc(model, low, high, particles, generations, rng_seed)
        diagnostics["evaluations"] = model.runs
    labels = tuple(f"{q.series} {q.park} {d}" for q, d in zip(obs.queries, obs.dates, strict=True))
    return Calibration(
        scenario=path,
        levers=parsed,
        estimate={lv.path: float(v) for lv, v in zip(parsed, estimate, strict=True)},
        interval={
            lv.path: (float(v - _Z95 * s), float(v + _Z95 * s))
            for lv, v, s in zip(parsed, estimate, sigma, strict=True)
        },
        observed=obs.values,
        sd=obs.sd,
        simulated=simulated,
        residuals=resid,
        labels=labels,
        diagnostics=diagnostics,
        posterior=post,
    )


def _weighted_quantile(values: FloatArray, weights: FloatArray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, q * cumulative[-1])])


def _regression_adjust(
    theta: FloatArray, z: FloatArray, weights: FloatArray, low: FloatArray, high: FloatArray
) -> FloatArray:
    """Local-linear regression adjustment (Beaumont, Zhang & Balding 2002, *Genetics* 162).

    Regress the accepted particles on their standardised discrepancies ``z`` (weighted,
    ridge-stabilised) and move each particle to what it would be at ``z = 0``, the
    observations; clipped to the prior's bounds.
    """
    design = np.column_stack([np.ones(len(theta)), z])
    gram = design.T @ (design * weights[:, None])
    ridge = 1e-6 * np.trace(gram) * np.eye(gram.shape[0])
    ridge[0, 0] = 0.0
    beta = np.linalg.solve(gram + ridge, design.T @ (theta * weights[:, None]))
    return np.clip(theta - z @ beta[1:], low, high)


def _abc_smc(
    model: _Model,
    low: FloatArray,
    high: FloatArray,
    n: int,
    generations: int,
    seed: int,
) -> dict[str, Any]:
    """ABC-SMC with an adaptive tolerance (median of the previous generation's distances)."""
    rng = np.random.default_rng(seed)
    obs = model.observations
    k = low.size
    counter = 0

    def distances(theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        nonlocal counter
        seeds = np.arange(counter, counter + len(theta)) + seed
        counter += len(theta)
        sims = model.simulate(theta, seeds=seeds.tolist())
        noisy = sims + rng.standard_normal(sims.shape) * obs.sd  # noisy ABC
        rms = np.sqrt(np.mean(((noisy - obs.values) / obs.sd) ** 2, axis=1))
        return rms, noisy

    theta = low + rng.random((n, k)) * (high - low)  # generation 0: the prior itself
    dist, sims = distances(theta)
    weights = np.full(n, 1.0 / n)
    tolerances: list[float] = [float("inf")]
    acceptance: list[float] = [1.0]
    for _ in range(generations):
        eps = float(np.median(dist))
        if eps >= tolerances[-1]:
            break
        cov = 2.0 * np.atleast_2d(np.cov(theta.T, aweights=weights)) + 1e-12 * np.eye(k)
        chol = np.linalg.cholesky(cov)
        inverse = np.linalg.inv(cov)
        kept_theta: list[FloatArray] = []
        kept_dist: list[FloatArray] = []
        kept_sims: list[FloatArray] = []
        tried = 0
        while sum(len(t) for t in kept_theta) < n and tried < 50 * n:
            batch = max(n, 16)
            parents = rng.choice(n, size=batch, p=weights)
            proposal = theta[parents] + rng.standard_normal((batch, k)) @ chol.T
            inside = np.all((proposal >= low) & (proposal <= high), axis=1)
            proposal = proposal[inside]
            tried += batch
            if not len(proposal):
                continue
            d, s = distances(proposal)
            ok = d <= eps
            kept_theta.append(proposal[ok])
            kept_dist.append(d[ok])
            kept_sims.append(s[ok])
        new_theta = np.concatenate(kept_theta)[:n]
        if len(new_theta) < 2:
            break
        # Beaumont et al. 2009: w ∝ prior / Σ_j w_j K(θ | θ_j); the prior is uniform.
        diff = new_theta[:, None, :] - theta[None, :, :]
        kernel = np.exp(-0.5 * np.einsum("ijk,kl,ijl->ij", diff, inverse, diff))
        new_weights = 1.0 / (kernel @ weights)
        theta = new_theta
        weights = new_weights / new_weights.sum()
        dist = np.concatenate(kept_dist)[: len(theta)]
        sims = np.concatenate(kept_sims)[: len(theta)]
        tolerances.append(eps)
        acceptance.append(float(len(theta) / max(tried, 1)))
        n = len(theta)
        if eps < 1.0:
            break
    theta = _regression_adjust(theta, (sims - obs.values) / obs.sd, weights, low, high)
    names = [lv.path for lv in model.levers]
    band = [
        (
            _weighted_quantile(sims[:, j], weights, 0.025),
            _weighted_quantile(sims[:, j], weights, 0.975),
        )
        for j in range(sims.shape[1])
    ]
    return {
        "particles": theta,
        "weights": weights,
        "tolerances": tolerances[1:],
        "acceptance": acceptance[1:],
        "mean": {name: float(weights @ theta[:, i]) for i, name in enumerate(names)},
        "interval": {
            name: [
                _weighted_quantile(theta[:, i], weights, 0.025),
                _weighted_quantile(theta[:, i], weights, 0.975),
            ]
            for i, name in enumerate(names)
        },
        "band": band,
    }
