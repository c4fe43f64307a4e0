"""Work backwards from a target: the lever values at which it is met with probability P.

``(scenario, Goal, levers, P) ──solve──▶ Solution``

- **One lever.** P(met)(v) is the share of ``draws`` Monte Carlo draws in which the
  target's quantity reaches its value when the lever is set to ``v``. Every evaluation
  uses the same seed (common random numbers), so P(met) is a fixed, step-shaped function
  of ``v`` — it moves in steps of 1/draws — and the answer is the same in every call. A
  grid over the bracket (the chart's curve) finds where P(met) crosses P; bisection on
  that step function then narrows the crossing to ``tolerance × (high − low)``. **The
  least value** is the ``v`` returned with P(met)(v) ≥ P while P(met)(v − δ) < P for
  the δ = tolerance × bracket the bisection stops at: the true least value lies in
  (v − δ, v]. When P(met) falls as the lever rises (a later start, a longer build) the
  answer is the greatest such value, mirrored. P(met) is assumed monotone in the lever;
  where the grid shows otherwise the solution says so.
- **Several levers.** The least-cost combination: cost = Σ cost_i × (x_i − current_i)
  (a negative cost for a lever whose *decrease* costs money), minimised by
  :func:`scipy.optimize.minimize` (COBYLA) under P(met) ≥ P, with P(met) smoothed by a
  normal kernel over each draw's margin so the constraint has a slope; the optimum is
  then checked with the exact P(met) and, if short, moved towards the most generous
  corner by bisection until met.
- **No lever.** The earliest year in which the target's quantity reaches its value with
  probability P (the target's year is then ignored).

Evaluations go through an :class:`~sim.executor.Executor` as lists of
:class:`~sim.decisions.evaluate.Task` (plain data) and never depend on where they ran.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.decisions.evaluate import Query, Task, evaluate, query_from
from sim.decisions.levers import Lever, Value, parse_lever, raw_table
from sim.errors import Problem, SimError
from sim.executor import Executor, SerialExecutor

__all__ = ["Goal", "Solution", "parse_goal", "solve"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Goal:
    """A target to reach: a quantity, its park, its year and the value.

    Attributes
    ----------
    query
        What is measured.
    value
        The value to reach, in SI units (m², CNY/yr, persons).
    text
        As the user wrote it.
    """

    query: Query
    value: float
    text: str


def parse_goal(text: str) -> Goal:
    """Read ``"METRIC PARK YEAR VALUE"`` (the value with its unit).

    Examples
    --------
    >>> goal = parse_goal("floor_completed total 2016 1000万 m2")
    >>> goal.query.series, goal.query.park, goal.query.year, goal.value
    ('floor_completed_m2', 'total', 2016, 10000000.0)

    Raises
    ------
    sim.errors.SimError
        Naming the part that is wrong and an example.
    """
    from sim.metrics import metric_info
    from sim.units import Dimension, parse_quantity

    parts = text.split(maxsplit=3)
    example = 'write e.g. --target "floor_completed total 2016 1000万 m2"'
    if len(parts) != 4 or not parts[2].isdigit():
        raise SimError(
            "bad target",
            problems=[
                Problem("--target", f"expected METRIC PARK YEAR VALUE; found {text!r}; {example}")
            ],
        )
    metric, park, year, value = parts
    query = query_from(metric, park, int(year))
    info = metric_info(query.series)
    dimension = Dimension.AREA if info is None else info.dimension
    try:
        number = parse_quantity(value, dimension, field="--target")
    except Exception as exc:
        raise SimError(
            "bad target value", problems=[Problem("--target", f"{exc}; {example}")]
        ) from None
    return Goal(query=query, value=float(number), text=text)


@dataclass(frozen=True)
class Solution:
    """What :func:`solve` found.

    Attributes
    ----------
    scenario
        The scenario file solved.
    goal, probability, draws, seed
        The question: reach ``goal`` with P(met) ≥ ``probability`` over ``draws`` draws
        of ``seed``.
    levers
        The levers moved (none for the earliest-year question).
    status
        ``solved``, ``met at the bracket's end`` (already met at the cheapest end),
        ``unreachable`` (not met anywhere in the bracket) or ``not monotone`` (solved,
        but P(met) on the grid is not monotone, so another crossing may exist).
    answer
        Lever path → value in its unit (None when unreachable).
    achieved
        P(met) at the answer.
    direction
        ``least`` or ``greatest`` (one lever).
    tolerance
        The bisection's stopping width in the lever's unit (one lever).
    curve
        ``(values, P(met))`` over the grid (one lever).
    short
        P(met) at the answer moved 5 % of the bracket towards the infeasible side (one lever).
    cost
        Σ cost × (value − current) at the answer (several levers).
    years, by_year, earliest_year
        P(met) per year and the first year it reaches ``probability`` (no lever).
    evaluations
        Scenario runs used.
    """

    scenario: str
    goal: Goal
    probability: float
    draws: int
    seed: int
    levers: tuple[Lever, ...]
    status: str
    answer: dict[str, float] | None = None
    achieved: float | None = None
    direction: str | None = None
    tolerance: float | None = None
    curve: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())
    short: float | None = None
    costs: dict[str, float] = field(default_factory=dict)
    cost: float | None = None
    years: tuple[int, ...] = ()
    by_year: tuple[float, ...] = ()
    earliest_year: int | None = None
    evaluations: int = 0

    def variant_values(self) -> dict[str, Value]:
        """Return what a variant file sets to reproduce the answer (empty when there is none)."""
        if self.answer is None:
            return {}
        out: dict[str, Value] = {}
        for lever in self.levers:
            out.update(lever.values(self.answer[lever.path]))
        return out

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready record (``solve.json``)."""
        return {
            "scenario": self.scenario,
            "target": {
                "text": self.goal.text,
                "series": self.goal.query.series,
                "park": self.goal.query.park,
                "year": self.goal.query.year,
                "value_si": self.goal.value,
            },
            "probability": self.probability,
            "draws": self.draws,
            "seed": self.seed,
            "status": self.status,
            "levers": [
                {
                    "path": lv.path,
                    "unit": lv.unit,
                    "current": lv.current,
                    "low": lv.low,
                    "high": lv.high,
                    "cost_per_unit": self.costs.get(lv.path),
                }
                for lv in self.levers
            ],
            "answer": self.answer,
            "probability_at_answer": self.achieved,
            "direction": self.direction,
            "tolerance": self.tolerance,
            "probability_5pct_of_bracket_short": self.short,
            "curve": {"values": list(self.curve[0]), "probability": list(self.curve[1])},
            "cost": self.cost,
            "probability_by_year": dict(zip(map(str, self.years), self.by_year, strict=True)),
            "earliest_year": self.earliest_year,
            "evaluations": self.evaluations,
            "variant": {
                k: v if not isinstance(v, Mapping) else dict(v)
                for k, v in self.variant_values().items()
            },
        }


@dataclass
class _Problem:
    """The evaluations of one question (kept together so counting is easy)."""

    scenario: str
    goal: Goal
    draws: int
    seed: int
    executor: Executor
    runs: int = 0

    def values(self, settings: Sequence[Mapping[str, Value]]) -> list[FloatArray]:
        """Return the goal's quantity in every draw, for each setting of the levers."""
        tasks = [
            Task(
                scenario=self.scenario,
                overrides=tuple(s.items()),
                queries=(self.goal.query,),
                draws=self.draws,
                seed=self.seed,
                sampled=self.draws > 1,
            )
            for s in settings
        ]
        self.runs += len(tasks)
        return [np.asarray(r[0], dtype=np.float64) for r in self.executor.map(evaluate, tasks)]

    def chances(self, lever: Lever, points: Sequence[float]) -> list[float]:
        """P(met) at each value of one lever."""
        found = self.values([lever.values(float(x)) for x in points])
        return [float(np.mean(v >= self.goal.value)) for v in found]


def solve(
    scenario: str | Path,
    goal: Goal | str,
    levers: Sequence[Lever | str] = (),
    *,
    probability: float = 0.8,
    draws: int = 200,
    seed: int | None = None,
    costs: Mapping[str, float] | None = None,
    executor: Executor | None = None,
    grid: int = 11,
    tolerance: float = 1e-3,
    parallel: int = 1,
) -> Solution:
    """Find the lever values at which ``goal`` is met with probability ≥ ``probability``.

    Parameters
    ----------
    scenario
        The scenario file.
    goal
        A :class:`Goal` or its text ``"METRIC PARK YEAR VALUE"``.
    levers
        :class:`~sim.decisions.levers.Lever` or ``"PATH[=LOW:HIGH]"`` texts; none asks
        for the earliest year.
    probability
        The P(met) to reach, in (0, 1].
    draws
        Monte Carlo draws per evaluation (1: the point run, P(met) is 0 or 1).
    seed
        Seed of every evaluation (default the scenario's).
    costs
        Cost per unit of each lever (several levers; required there).
    executor
        Where evaluations run (default in this process).
    grid
        Points of the curve over the bracket (one lever).
    tolerance
        Bisection stops at this share of the bracket (one lever).
    parallel
        Points evaluated per bisection round (the executor's workers).

    Returns
    -------
    Solution

    Raises
    ------
    sim.errors.SimError
        For a bad scenario, lever, target, probability or missing costs.
    """
    from sim.scenario import load_scenario

    if not 0 < probability <= 1:
        raise SimError(
            "bad probability",
            problems=[Problem("--probability", f"expected 0 < P ≤ 1; found {probability}")],
        )
    loaded = load_scenario(scenario)
    path = str(Path(loaded.path).resolve())
    raw = raw_table(Path(path))
    goal = parse_goal(goal) if isinstance(goal, str) else goal
    parsed = tuple(parse_lever(lv, raw) if isinstance(lv, str) else lv for lv in levers)
    seed = loaded.scenario.seed if seed is None else seed
    problem = _Problem(path, goal, draws, seed, executor or SerialExecutor())
    head = {
        "scenario": path,
        "goal": goal,
        "probability": probability,
        "draws": draws,
        "seed": seed,
        "levers": parsed,
    }
    if not parsed:
        return _earliest_year(problem, [int(y) for y in loaded.years], probability, head)
    if len(parsed) == 1:
        return _one_lever(problem, parsed[0], probability, head, grid, tolerance, parallel)
    missing = [lv.path for lv in parsed if lv.path not in (costs or {})]
    if missing:
        raise SimError(
            "several levers need costs",
            problems=[
                Problem("--cost", f"expected --cost PATH=C for every lever; missing {missing}")
            ],
        )
    return _least_cost(problem, parsed, dict(costs or {}), probability, head)


def _earliest_year(
    problem: _Problem, years: list[int], probability: float, head: dict[str, Any]
) -> Solution:
    query = problem.goal.query
    task = Task(
        scenario=problem.scenario,
        overrides=(),
        queries=tuple(Query(query.series, query.park, y) for y in years),
        draws=problem.draws,
        seed=problem.seed,
        sampled=problem.draws > 1,
    )
    [values] = problem.executor.map(evaluate, [task])
    chances = tuple(float(p) for p in np.mean(values >= problem.goal.value, axis=1))
    met = [y for y, p in zip(years, chances, strict=True) if p >= probability]
    return Solution(
        **head,
        status="solved" if met else "unreachable",
        years=tuple(years),
        by_year=chances,
        earliest_year=met[0] if met else None,
        evaluations=1,
    )


def _one_lever(
    problem: _Problem,
    lever: Lever,
    probability: float,
    head: dict[str, Any],
    grid: int,
    tolerance: float,
    parallel: int,
) -> Solution:
    points = [float(x) for x in np.linspace(lever.low, lever.high, max(grid, 2))]
    chances = problem.chances(lever, points)
    rising = chances[-1] >= chances[0]
    # Walk from the end where the lever costs least (its low end when P rises with it).
    order = points if rising else points[::-1]
    walked = chances if rising else chances[::-1]
    monotone = all(b >= a for a, b in itertools.pairwise(walked))
    curve = (tuple(points), tuple(chances))
    width = tolerance * (lever.high - lever.low)
    common = {
        **head,
        "direction": "least" if rising else "greatest",
        "tolerance": width,
        "curve": curve,
    }
    hits = [i for i, p in enumerate(walked) if p >= probability]
    if not hits:
        return Solution(**common, status="unreachable", evaluations=problem.runs)
    first = hits[0]
    if first == 0:
        return Solution(
            **common,
            status="met at the bracket's end",
            answer={lever.path: order[0]},
            achieved=walked[0],
            evaluations=problem.runs,
        )
    bad, good, good_p = order[first - 1], order[first], walked[first]
    while abs(good - bad) > width:
        inner = [float(x) for x in np.linspace(bad, good, parallel + 2)[1:-1]]
        found = problem.chances(lever, inner)
        for x, p in zip(inner, found, strict=True):
            if p >= probability:
                good, good_p = x, p
                break
            bad = x
    step = 0.05 * (lever.high - lever.low) * (1 if rising else -1)
    [short] = problem.chances(lever, [good - step])
    return Solution(
        **common,
        status="solved" if monotone else "not monotone",
        answer={lever.path: good},
        achieved=good_p,
        short=short,
        evaluations=problem.runs,
    )


def _least_cost(
    problem: _Problem,
    levers: tuple[Lever, ...],
    costs: dict[str, float],
    probability: float,
    head: dict[str, Any],
) -> Solution:
    from scipy.optimize import minimize
    from scipy.stats import norm

    low = np.array([lv.low for lv in levers])
    span = np.array([lv.high - lv.low for lv in levers])
    price = np.array([costs[lv.path] for lv in levers])
    current = np.array([lv.current for lv in levers])
    target = problem.goal.value
    corner = np.where(price >= 0, 1.0, 0.0)  # the most generous setting of every lever

    def setting(u: FloatArray) -> dict[str, Value]:
        x = low + np.clip(u, 0.0, 1.0) * span
        out: dict[str, Value] = {}
        for lever, value in zip(levers, x, strict=True):
            out.update(lever.values(float(value)))
        return out

    cache: dict[tuple[float, ...], FloatArray] = {}

    def draws_at(u: FloatArray) -> FloatArray:
        key = tuple(np.round(np.clip(u, 0, 1), 12))
        if key not in cache:
            [cache[key]] = problem.values([setting(np.asarray(key))])
        return cache[key]

    def exact(u: FloatArray) -> float:
        return float(np.mean(draws_at(u) >= target))

    best = draws_at(corner)
    scale = max(float(np.std(best)), 0.02 * abs(target), 1e-9)

    def smooth(u: FloatArray) -> float:
        return float(np.mean(norm.cdf((draws_at(u) - target) / (0.1 * scale)))) - probability

    base = {**head, "costs": costs}
    if exact(corner) < probability:
        return Solution(**base, status="unreachable", evaluations=problem.runs)
    constraints = [{"type": "ineq", "fun": smooth}]
    constraints += [{"type": "ineq", "fun": lambda u, i=i: u[i]} for i in range(len(levers))]
    constraints += [{"type": "ineq", "fun": lambda u, i=i: 1 - u[i]} for i in range(len(levers))]
    found = minimize(
        lambda u: float(price @ (u * span)),
        corner,
        method="COBYLA",
        constraints=constraints,
        options={"rhobeg": 0.25, "maxiter": 80},
    )
    u = np.clip(np.asarray(found.x, dtype=float), 0, 1)
    if exact(u) < probability:  # the smoothed constraint let it slip: back towards the corner
        bad, good = 0.0, 1.0
        while good - bad > 1e-3:
            mid = (bad + good) / 2
            if exact(u + mid * (corner - u)) >= probability:
                good = mid
            else:
                bad = mid
        u = u + good * (corner - u)
    x = low + u * span
    return Solution(
        **base,
        status="solved",
        answer={lv.path: float(v) for lv, v in zip(levers, x, strict=True)},
        achieved=exact(u),
        cost=float(price @ (x - current)),
        evaluations=problem.runs,
    )
