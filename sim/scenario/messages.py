"""Messages: pydantic's validation errors in, :class:`~sim.errors.Problem` items out.

Each problem names the field path as the user wrote it (``parks.comm_park.plot_ratio``,
``committed[2].floor``; pydantic's validator and union tags removed), what was expected,
what was found and the fix. An unknown key lists the keys its table takes and suggests
the closest (``did you mean 'plot_ratio'?``); a missing key shows an example value
(:data:`EXAMPLES`). :mod:`sim.scenario.loading` calls :func:`problems_from` and
:func:`unknown_key`; the tables come from :mod:`sim.scenario.schema`.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import MAX_SHOWN, Problem
from sim.scenario.fiscal import FirmsSpec, FiscalSpec
from sim.scenario.schema import (
    Benchmarks,
    Committed,
    Market,
    MoneyBenchmark,
    ParkAssumptions,
    RestOfCity,
    Rules,
    Scenario,
    ScenarioMeta,
    SiteFiles,
    Target,
    _ProblemsError,
    _short,
)

__all__ = ["EXAMPLES", "problems_from", "unknown_key"]


def problems_from(exc: ValidationError) -> list[Problem]:
    """Turn a pydantic validation error into problems at the user's field paths.

    Parameters
    ----------
    exc
        What :meth:`Scenario.model_validate <pydantic.BaseModel.model_validate>` raised.

    Returns
    -------
    list of Problem
        One per distinct problem, in pydantic's order; a validator's
        :class:`~sim.scenario.schema._ProblemsError` gives one per problem it found.
    """
    problems = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"] if not _is_schema_tag(part)]
        found = error.get("input")
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, _ProblemsError):
            problems += [Problem(_dotted([*loc, p.where]), p.message) for p in cause.problems]
            continue
        if error["type"] == "extra_forbidden":
            # Spelling suggestions cost ~100 µs each; only the first problems are shown.
            suggest = len(problems) < 2 * MAX_SHOWN
            problems.append(unknown_key(loc, _short(found), suggest=suggest))
            continue
        problems.append(Problem(_dotted(loc) or "scenario", _message(error, loc, found)))
    return _dedupe(problems)


def _message(error: Any, loc: list[str], found: Any) -> str:
    kind = str(error["type"])
    ctx = error.get("ctx", {})
    shown = _short(found)
    if kind == "missing":
        return f"required, but missing; add {_add_hint(loc)}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind.startswith("int_"):
        fix = "write it without quotes" if isinstance(found, str) else "write a whole number"
        return f"expected a whole number; found {shown}; {fix}"
    if kind == "string_type":
        return f"expected text in quotes; found {shown}; put the value in quotes"
    if kind in ("path_type", "path_parsing"):
        return f'expected a file path in quotes; found {shown}; write e.g. "../maps/site.gpkg"'
    bounds = {"greater_than": ">", "greater_than_equal": "≥", "less_than": "<"}
    bounds["less_than_equal"] = "≤"
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        share = " (= 100 %)" if kind == "less_than_equal" and limit == 1 else ""
        return (
            f"expected a value {bounds[kind]} {limit}{share}; found {shown}; "
            "change the value to lie in that range"
        )
    if kind == "enum":
        return f"expected one of {ctx.get('expected', '?')}; found {shown}; use one of these"
    if kind in ("tuple_type", "list_type"):
        table = loc[0] if loc else "entry"
        fix = (
            f"write each entry as its own [[{table}]] table"
            if table in ("committed", "targets")
            else "write the values as a list, e.g. [1, 2]"
        )
        return f"expected a list; found {shown}; {fix}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a table; found {shown}; write it as a [{_dotted(loc)}] table"
    if kind in ("string_too_short",):
        return f"expected non-empty text; found {shown}; fill it in"
    message = str(error["msg"]).replace("Input should be", "expected", 1)
    return f"{message}; found {shown}; see the README for this field"


#: The table each location holds, for listing valid keys in errors.
_TABLES: dict[str, type[BaseModel]] = {
    "scenario": ScenarioMeta,
    "site": SiteFiles,
    "defaults": ParkAssumptions,
    "committed": Committed,
    "targets": Target,
    "rules": Rules,
    "market": Market,
    "rest_of_city": RestOfCity,
    "benchmarks": Benchmarks,
    "firms": FirmsSpec,
    "fiscal": FiscalSpec,
}


def _valid_keys(parents: list[str]) -> list[str]:
    if not parents:
        top = [k for k in Scenario.model_fields if k not in ("path", "sha256", "sources")]
        return [*top, "extends"]
    if parents[0] == "benchmarks" and len(parents) == 2:
        return list(MoneyBenchmark.model_fields)
    model = ParkAssumptions if parents[0] == "parks" else _TABLES.get(parents[0])
    if model is None or (parents[0] == "parks" and len(parents) != 2):
        return []
    return list(model.model_fields)


def _table_name(parents: list[str]) -> str:
    if not parents:
        return "the top level"
    if parents[0] in ("committed", "targets") and len(parents) == 2:
        return f"[[{parents[0]}]] entry {parents[1]}"
    return f"[{'.'.join(parents)}]"


def unknown_key(loc: list[str], found: str, *, suggest: bool = True) -> Problem:
    """Say that a key is unknown, which keys its table takes and the closest one.

    Parameters
    ----------
    loc
        The key's path, its table's path first (``["parks", "A", "plot_ration"]``).
    found
        The value written under it, as shown in the message.
    suggest
        Whether to look for a close spelling (``did you mean 'plot_ratio'?``).

    Returns
    -------
    Problem
    """
    key, parents = loc[-1], loc[:-1]
    valid = _valid_keys(parents)
    close = difflib.get_close_matches(key, valid, n=1) if suggest else []
    fix = f"did you mean {close[0]!r}?" if close else "remove it or fix its spelling"
    expected = f"one of {', '.join(valid)}" if valid else "no such key"
    return Problem(
        _dotted(loc),
        f"unknown key {key!r} in {_table_name(parents)} (= {found}); expected {expected}; {fix}",
    )


def _add_hint(loc: list[str]) -> str:
    if len(loc) == 1:
        return f"a [{loc[0]}] table (see scenarios/qingdao_2012.toml)"
    example = EXAMPLES.get(loc[-1], "…")
    return f"'{loc[-1]} = {example}' to {_table_name(loc[:-1])}"


_SCHEMA_TAG = re.compile(r"^(function-\w+|nullable|lax-or-strict|json-or-python|union|is-instance)")


def _is_schema_tag(part: object) -> bool:
    # pydantic puts validator and union branches ("function-before[<lambda>(), float]",
    # "tuple[float, ...]") in error locations; users never wrote those.
    if isinstance(part, int):
        return False
    text = str(part)
    return (
        bool(_SCHEMA_TAG.match(text))
        or text in {"float", "int", "str", "none"}
        or (text.startswith(("tuple[", "list[", "dict[", "constrained-")))
    )


def _dotted(parts: list[str]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.where, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


EXAMPLES = {
    "land_supply_per_year": '"20 ha"',
    "demand_per_year": '"30万 m2"',
    "plot_ratio": "2.0",
    "start_lag_years": "1",
    "duration_years": "3",
    "max_floor_per_phase": '"15万 m2"',
    "occupancy_ramp_years": "3",
    "occupancy_ceiling": '"90 %"',
    "revenue_per_m2": '"8000 元/m2"',
    "revenue_growth": '"10 %"',
    "land_price": '"600 元/m2"',
    "construction_cost": '"5600 元/m2"',
    "fitout_cost": '"1000 元/m2"',
    "m2_per_worker": '"38 m2"',
    "source": '"publication, year, page"',
    "value": '"65 万元"',
}
