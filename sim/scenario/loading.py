"""Loading: a scenario file's path in, a validated :class:`~sim.scenario.Scenario` out.

``path ──load_scenario──▶ Scenario``. ``extends = "base.toml"`` makes a variant that
overrides only what it names (deep merge, the variant over its parents); site paths are
made absolute relative to the file that names them. Validation collects every problem
and raises one :class:`~sim.errors.ScenarioError` listing each with its field path and
the file (:mod:`sim.scenario.messages` words them).

Reading is bounded, because a scenario may come from anyone: only regular files
(a folder, FIFO or device is named as such and never opened), at most
:data:`MAX_SCENARIO_BYTES` over the whole ``extends`` chain of at most
:data:`MAX_EXTENDS` parents, nesting and dotted keys at most :data:`MAX_NESTING`
deep (checked before tomllib sees the text), UTF-8 with or without a BOM.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.messages import problems_from, unknown_key
from sim.scenario.overrides import apply_overrides
from sim.scenario.schema import Scenario, _short

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["MAX_EXTENDS", "MAX_NESTING", "MAX_SCENARIO_BYTES", "load_scenario"]


#: Largest scenario file parksim reads, counting every file of an ``extends`` chain.
MAX_SCENARIO_BYTES = 4 * 1024 * 1024
#: Most files an ``extends`` chain may have above the scenario itself.
MAX_EXTENDS = 16
#: Deepest nesting of ``[ ]`` and ``{ }``, and most parts of one dotted key (``a.b.c``).
MAX_NESTING = 10


def load_scenario(path: str | Path, *, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read, merge (``extends``) and validate a scenario file.

    Parameters
    ----------
    path
        The TOML file.
    overrides
        Scenario path → value (:func:`sim.scenario.overrides.apply_overrides`), set
        after ``extends`` is merged and before validation: a variant of the file,
        validated like one. Its ``sha256`` then also covers the overrides.

    Returns
    -------
    Scenario
        Validated and frozen, quantities in SI units, site paths absolute.

    Raises
    ------
    ScenarioError
        One error listing every problem: TOML syntax, unknown keys, wrong types or
        units, numbers that are not finite, missing layer files, ``extends`` cycles;
        or a file that is not a regular UTF-8 file, too large, nested too deeply or
        extended through too many files.
    """
    resolved = _resolve(Path(path))
    if isinstance(resolved, str):
        raise ScenarioError(f"cannot use this scenario path: {resolved}", source=Path(path))
    path = resolved
    raw, digest, sources = _read_with_parents(path)
    raw.pop("extends", None)
    if overrides:
        try:
            raw = apply_overrides(raw, overrides)
        except ScenarioError as exc:  # name the file the overrides apply to
            raise ScenarioError(exc.summary, source=path, problems=exc.problems) from None
        _absolute_site_paths(raw, path.parent)
        canonical = json.dumps(dict(overrides), sort_keys=True, ensure_ascii=False, default=str)
        digest = hashlib.sha256((digest + canonical).encode()).hexdigest()
    # "path", "sha256" and "sources" are filled in here; in the file they are unknown keys.
    problems = [
        unknown_key([key], f"{_short(raw.pop(key))}")
        for key in ("path", "sha256", "sources")
        if key in raw
    ]
    problems += _check_site_files(raw.get("site"))
    try:
        filled = {"path": path, "sha256": digest, "sources": tuple(sources)}
        scenario = Scenario.model_validate({**raw, **filled})
    except ValidationError as exc:
        problems = [*problems_from(exc), *problems]
    if problems:
        raise ScenarioError(
            f"{len(problems)} problem(s) in the scenario", source=path, problems=problems
        )
    return scenario


def _resolve(path: Path) -> Path | str:
    """Resolve ``..`` and links; return why not (a message) for an unusable path."""
    try:
        return path.resolve()
    except ValueError:  # an embedded NUL character
        return "the path contains a NUL character; fix the path"
    except (OSError, RuntimeError) as exc:  # a symbolic-link loop (RuntimeError before 3.13)
        return f"the path cannot be resolved ({exc}); fix the path or the symbolic links"


def _read_with_parents(path: Path) -> tuple[dict[str, Any], str, tuple[Path, ...]]:
    """Read ``path`` and its ``extends`` parents: the merged table, a digest, the files.

    Iterative, so that the chain length is checked rather than the recursion limit.
    The digest of a file covers its bytes and the digest of its parent.
    """
    chain: list[Path] = []
    layers: list[tuple[dict[str, Any], bytes]] = []
    used = 0
    current = path
    while True:
        if current in chain:
            cycle = " → ".join(p.name for p in (*chain, current))
            raise ScenarioError(
                "extends forms a cycle",
                source=chain[0],
                problems=[
                    Problem(
                        "extends",
                        f"expected a chain of files ending in one without extends; found the "
                        f"cycle {cycle}; remove the extends line from the base file",
                    )
                ],
            )
        if len(chain) > MAX_EXTENDS:
            shown = " → ".join([*(p.name for p in chain[:3]), "…", current.name])
            raise ScenarioError(
                "extends chain too long",
                source=chain[0],
                problems=[
                    Problem(
                        "extends",
                        f"expected at most {MAX_EXTENDS} files above the scenario; found a "
                        f"longer chain ({shown} → …); merge some of the files into one",
                    )
                ],
            )
        data = _read_bytes(current, named_by=chain[-1] if chain else None, used=used)
        used += len(data)
        raw = _parse_toml(_decode(data, current), current)
        _absolute_site_paths(raw, current.parent)
        chain.append(current)
        layers.append((raw, data))
        parent_ref = raw.get("extends")
        if parent_ref is None:
            break
        if not isinstance(parent_ref, str):
            raise ScenarioError(
                "bad extends",
                source=current,
                problems=[
                    Problem(
                        "extends",
                        f"expected a file name in quotes; found {_short(parent_ref)}; "
                        'write e.g. extends = "base.toml"',
                    )
                ],
            )
        parent = _resolve(current.parent / parent_ref)
        if isinstance(parent, str):
            raise ScenarioError(
                "bad extends",
                source=current,
                problems=[Problem("extends", f"expected a scenario file path; {parent}")],
            )
        current = parent
    merged, digest = layers[-1][0], hashlib.sha256(layers[-1][1]).hexdigest()
    for raw, data in reversed(layers[:-1]):
        merged = _deep_merge(merged, raw)
        digest = hashlib.sha256(data + digest.encode()).hexdigest()
    return merged, digest, tuple(chain)


def _read_bytes(path: Path, *, named_by: Path | None, used: int) -> bytes:
    """Read a scenario file, refusing what is not a regular file of a sensible size.

    ``os.stat`` comes first, so a folder, FIFO or device is named as such and never
    opened (a FIFO would block, ``/dev/zero`` would never end); the file is opened
    non-blocking and checked again, and at most the limit plus one byte is read.
    """

    def refuse(what: str, fix: str) -> ScenarioError:
        if named_by is None:
            return ScenarioError(f"the scenario is {what}; {fix}", source=path)
        return ScenarioError(
            "extends does not name a readable scenario file",
            source=named_by,
            problems=[
                Problem(
                    "extends", f"expected a scenario file; found {path}, which is {what}; {fix}"
                )
            ],
        )

    limit = MAX_SCENARIO_BYTES - used
    try:
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode) and info.st_size <= limit:
            fd = os.open(
                path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
            )
            with os.fdopen(fd, "rb") as file:
                info = os.fstat(file.fileno())  # the file may have been swapped since stat
                data = file.read(limit + 1) if stat.S_ISREG(info.st_mode) else b""
        else:
            data = b""
    except FileNotFoundError:
        if named_by is None:
            raise ScenarioError(
                "scenario file not found; check the path and the current folder", source=path
            ) from None
        raise ScenarioError(
            "extends names a missing file",
            source=named_by,
            problems=[
                Problem(
                    "extends",
                    f"expected an existing scenario file; found {path}, which does not exist; "
                    f"fix the extends path (relative to {named_by.parent})",
                )
            ],
        ) from None
    except OSError as exc:
        raise refuse(
            f"not readable ({exc.strerror})",
            "expected a readable TOML file; check its permissions",
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise refuse(
            "a folder, not a file",
            f"name the .toml file in it{_tomls_in(path)}",
        )
    if not stat.S_ISREG(info.st_mode):
        raise refuse(
            f"{_file_kind(info.st_mode)}, not a regular file",
            "parksim reads scenarios only from regular files (a pipe or device could block "
            "or never end); save the scenario as a .toml file and name that",
        )
    size = max(info.st_size, len(data))
    if size > limit:
        others = f", and the files it extends already hold {used:,} bytes" if used else ""
        raise refuse(
            "too large",
            f"expected at most {MAX_SCENARIO_BYTES:,} bytes ({MAX_SCENARIO_BYTES >> 20} MiB) in "
            f"all; found {size:,}{'+' if len(data) > limit else ''} bytes{others}; a scenario "
            "holds assumptions (a few kB): check that this is the right file, and keep long "
            "tables in the site layers",
        )
    return data


def _tomls_in(folder: Path) -> str:
    try:
        names = sorted(p.name for _, p in zip(range(100), folder.glob("*.toml"), strict=False))
    except OSError:
        return ""
    return f", e.g. {folder / names[0]}" if names else ""


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _decode(data: bytes, path: Path) -> str:
    """Decode UTF-8 (with or without the BOM Windows editors write), or say how to fix it."""
    fix = (
        "save the file as UTF-8 (in the editor: Save As → Encoding: UTF-8), or convert it, "
        f"e.g. iconv -f {{enc}} -t UTF-8 {path.name} > {path.stem}.utf8.toml"
    )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ScenarioError(
            "the file is UTF-16 text; expected UTF-8; " + fix.format(enc="UTF-16"), source=path
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        try:
            data.decode("gb18030")
            guess = " (it reads as GBK/GB18030, which Chinese-language Windows editors write)"
        except UnicodeDecodeError:
            guess = ""
        raise ScenarioError(
            f"the file is not UTF-8 text; expected UTF-8; found byte 0x{data[exc.start]:02X} "
            f"at line {line}, column {column}, which is not UTF-8{guess}; "
            + fix.format(enc="GBK" if guess else "<its encoding>"),
            source=path,
        ) from None


# Strings and comments, so that brackets and dots inside them are not counted. Each
# alternative is anchored at its opening character, so a failed match costs no more
# than the line (or, for an unclosed multi-line string, the rest of the file) once.
_STRING_OR_COMMENT = re.compile(
    r'"""(?s:(?:[^\\]|\\.)*?)""""{0,2}'
    r"|'''(?s:.*?)''''{0,2}"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'"
    r"|#[^\n]*"
)
# A dotted key of more than MAX_NESTING parts (quoted parts are blanked to "sss").
# The look-behind starts a match only where a part starts, which keeps it linear.
_LONG_KEY = re.compile(
    rf"(?<![A-Za-z0-9_-])(?:[A-Za-z0-9_-]+[ \t]*\.[ \t]*){{{MAX_NESTING}}}[A-Za-z0-9_-]"
)


def _blank(match: re.Match[str]) -> str:
    # Same letter as the fast pass ("s"), so both passes see the same keys.
    return "s" * len(match.group())


def _check_structure(text: str, path: Path) -> None:
    """Refuse nesting tomllib would recurse on or take quadratic time over, before parsing.

    tomllib parses nested arrays and inline tables recursively (a few hundred levels
    raise ``RecursionError``) and spends time quadratic in the number of parts of a
    dotted key (40,000 parts: 20 s). A scenario needs three levels of either.
    """
    # Fast pass with strings and comments collapsed to "s"; only if it finds a problem
    # is the text blanked again, keeping every character's position, to name the line.
    if _structure_problem(_STRING_OR_COMMENT.sub("s", text)) is None:
        return
    found = _structure_problem(_STRING_OR_COMMENT.sub(_blank, text))
    kind, at = found if found is not None else ("nesting", 0)
    line = text.count("\n", 0, at) + 1
    if kind == "nesting":
        raise ScenarioError(
            "values nested too deeply",
            source=path,
            problems=[
                Problem(
                    f"line {line}",
                    f"expected lists [ ] and tables {{ }} nested at most {MAX_NESTING} "
                    "deep (a scenario needs 3, e.g. a distribution's list of values); "
                    "found deeper nesting; flatten the value",
                )
            ],
        )
    raise ScenarioError(
        "key has too many parts",
        source=path,
        problems=[
            Problem(
                f"line {line}",
                f"expected a key of at most {MAX_NESTING} dotted parts (e.g. "
                f"parks.comm_park.plot_ratio has 3); found {_short(text[at : at + 60])}; "
                "shorten the key",
            )
        ],
    )


def _structure_problem(blank: str) -> tuple[str, int] | None:
    """Return ``("nesting" | "key", index)`` of the first excess in blanked text, if any."""
    codes = np.frombuffer(blank.encode("latin-1", "replace"), dtype=np.uint8)
    opens = (codes == ord("[")) | (codes == ord("{"))
    at = np.flatnonzero(opens | (codes == ord("]")) | (codes == ord("}")))
    deep = np.flatnonzero(np.cumsum(np.where(opens[at], 1, -1)) > MAX_NESTING)
    if deep.size:
        return "nesting", int(at[deep[0]])
    long_key = _LONG_KEY.search(blank)
    if long_key is not None:
        return "key", long_key.start()
    return None


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    _check_structure(text, path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(
            "TOML syntax error", source=path, problems=[_toml_problem(exc)]
        ) from None
    except ValueError as exc:  # a whole number of more than 4300 digits (int() refuses it)
        long_number = re.search(r"\d{1000,}", text)
        where = (
            f"line {text.count(chr(10), 0, long_number.start()) + 1}" if long_number else "value"
        )
        raise ScenarioError(
            "number too long",
            source=path,
            problems=[
                Problem(
                    where,
                    "expected a number parksim can read; found one it cannot "
                    f"({str(exc).split(';')[0]}); write a shorter number",
                )
            ],
        ) from None
    except RecursionError:  # _check_structure should have caught it; never a traceback
        raise ScenarioError(
            f"values nested too deeply; expected at most {MAX_NESTING} levels; flatten them",
            source=path,
        ) from None


_TOML_WHERE = re.compile(
    r"^(?P<what>.*?)\s*\(at (?P<where>line \d+, column \d+|end of document)\)$"
)


def _toml_problem(exc: tomllib.TOMLDecodeError) -> Problem:
    text = str(exc)
    match = _TOML_WHERE.match(text)
    where, what = (match["where"], match["what"]) if match else ("syntax", text)
    return Problem(
        where,
        f"expected valid TOML; found: {what}; fix the syntax there (quote text values, "
        "close every quote and bracket, write key = value; see https://toml.io)",
    )


def _absolute_site_paths(raw: dict[str, Any], folder: Path) -> None:
    site = raw.get("site")
    if not isinstance(site, dict):
        return
    for key in ("parks", "parcels", "basemap"):
        value = site.get(key)
        if isinstance(value, str):
            resolved = _resolve(folder / value)
            if isinstance(resolved, Path):  # else _check_site_files says what is wrong
                site[key] = str(resolved)


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _check_site_files(site: object) -> list[Problem]:
    if not isinstance(site, dict):
        return []
    problems = []
    for key in ("parks", "parcels", "basemap"):
        value = site.get(key)
        if not isinstance(value, str):
            continue
        try:
            mode: int | None = os.stat(value).st_mode
        except (OSError, ValueError):
            mode = None
        if mode is not None and stat.S_ISREG(mode):
            continue
        if mode is None and "\0" in value:
            what = "which contains a NUL character"
        elif mode is None:
            what = "which does not exist"
        elif stat.S_ISDIR(mode):
            what = "which is a folder"
        else:
            what = f"which is {_file_kind(mode)}, not a file"
        problems.append(
            Problem(
                f"site.{key}",
                f"expected an existing layer file; found {_short(value)}, {what}; "
                "fix the path (relative to the scenario file that names it) or rebuild "
                "the maps with `make maps`",
            )
        )
    return problems
