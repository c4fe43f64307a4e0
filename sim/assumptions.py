"""Every assumption of a scenario file with the source its author cited beside it.

``scenario.toml (and its extends parents) ──assumptions_frame──▶ one row per value``

Scenario files cite their sources in comments: a comment at the end of a line
(``duration_years = 2.9   # REF: …``) or the comment lines just above a key, and
``source = "…"`` fields in tables such as ``[[targets]]`` and ``[benchmarks.*]``.
This module reads the file's text (with :mod:`tomlkit`, which keeps comments) and
lists each value with that source, so a report can show every assumption beside its
evidence without the scenario file at hand (``assumptions.csv`` of a run).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["ASSUMPTION_COLUMNS", "assumptions_frame", "assumptions_from_text"]

#: Columns of :func:`assumptions_frame`.
ASSUMPTION_COLUMNS = ("file", "table", "key", "value", "source")


def assumptions_from_text(text: str, *, file: str = "") -> pd.DataFrame:
    """List every value of one scenario text with its cited source.

    Parameters
    ----------
    text
        The TOML text.
    file
        The file's name, for the ``file`` column.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ASSUMPTION_COLUMNS`: ``table`` is the dotted table name
        (``parks.comm_park``; ``targets[2]`` for the third ``[[targets]]``), ``value``
        the value as written, ``source`` the comment at the end of its line, else the
        comment lines just above it, else the table's ``source`` field ("" when none).
        ``source`` keys themselves are not listed.

    Examples
    --------
    >>> text = '''
    ... [defaults]
    ... # a rule of thumb
    ... plot_ratio = 2.0
    ... duration_years = 3   # REF: build times
    ... [[targets]]
    ... value = "1000万 m2"
    ... source = "POLICY 二"
    ... '''
    >>> assumptions_from_text(text)[["table", "key", "value", "source"]].to_numpy().tolist()
    [['defaults', 'plot_ratio', '2.0', 'a rule of thumb'], ['defaults', 'duration_years', '3', 'REF: build times'], ['targets[0]', 'value', '"1000万 m2"', 'POLICY 二']]
    """  # noqa: E501
    import tomlkit

    document = tomlkit.parse(text)
    rows = [(file, *row) for row in _walk(document, "")]
    return pd.DataFrame(rows, columns=list(ASSUMPTION_COLUMNS))


def assumptions_frame(files: Iterable[Path]) -> pd.DataFrame:
    """List every value of a scenario and its ``extends`` parents with its source.

    Parameters
    ----------
    files
        The scenario files, as :attr:`sim.scenario.Scenario.sources` lists them (each
        read as UTF-8, a BOM allowed).

    Returns
    -------
    pandas.DataFrame
        :func:`assumptions_from_text` of each file, in order, ``file`` its name.
    """
    frames = [
        assumptions_from_text(Path(path).read_text(encoding="utf-8-sig"), file=Path(path).name)
        for path in files
    ]
    if not frames:
        return pd.DataFrame(columns=list(ASSUMPTION_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _comment(text: str) -> str:
    return text.strip().lstrip("#").strip()


def _walk(container: Any, prefix: str) -> Iterator[tuple[str, str, str, str]]:
    """Yield ``(table, key, value, source)`` for each scalar of a tomlkit container."""
    from tomlkit.items import AoT, Comment, Table, Whitespace

    above: list[str] = []  # the comment block over the keys that follow it
    after_key = False
    table_source = ""
    body = container.value.body if isinstance(container, Table) else container.body
    for key, item in body:
        if key is not None and key.key == "source":
            table_source = str(item)
    rows: list[tuple[str, str, str, str]] = []
    nested: list[tuple[str, Any]] = []
    for key, item in body:
        if key is None:
            if isinstance(item, Comment):
                above = [*([] if after_key else above), _comment(item.as_string())]
                after_key = False
            elif isinstance(item, Whitespace) and item.as_string().count("\n") > 1:
                above, after_key = [], False
            continue
        name = key.key
        if isinstance(item, Table):
            nested.append((f"{prefix}{name}", item))
        elif isinstance(item, AoT):
            nested += [(f"{prefix}{name}[{i}]", table) for i, table in enumerate(item)]
        elif name != "source":
            trailing = _comment(item.trivia.comment) if item.trivia.comment else ""
            source = trailing or " ".join(above) or table_source
            rows.append((prefix.rstrip("."), name, item.as_string().strip(), source))
        after_key = True
    yield from rows
    for name, table in nested:
        yield from _walk(table, f"{name}.")
