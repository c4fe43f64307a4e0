"""Hostile scenario files: one clear message and exit code 2, never a crash, hang or loss.

Each case writes a scenario into ``tmp_path`` — usually one that ``extends`` the
baseline ``scenarios/qingdao_2012.toml`` by absolute path and overrides one field —
and runs ``parksim check`` and ``parksim run --out`` on it in-process. Both must exit
2 with a message naming the file or field and what was expected, print no traceback,
leave every file of the user's (the case folder, the repository's ``maps/`` and
``scenarios/``) as it was, and leave no output or temporary folder behind.

Classes (issue 9, scope 3 and the scenario-reading part of 4): numbers that are not
finite, unit strings that are not one number and one unit, files that are too large,
folders, FIFOs and devices, nesting and ``extends`` chains too deep, lists too long,
and text that is not UTF-8. A UTF-8 BOM is accepted.
"""

from __future__ import annotations

import contextlib
import doctest
import hashlib
import os
import signal
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import numpy as np
import pytest

import sim.units
from sim.cli import main
from sim.distributions import MAX_CHOICES
from sim.errors import MAX_SHOWN
from sim.scenario import MAX_EXTENDS, MAX_NESTING, MAX_SCENARIO_BYTES, MAX_YEARS
from sim.units import Dimension, quantities_to_si

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "qingdao_2012.toml"
BASELINE_YEARS = 2020 - 2012 + 1


class _Hang(BaseException):
    """Raised by the hang guard; a BaseException so the CLI cannot turn it into exit 1."""


@contextlib.contextmanager
def hang_guard(seconds: float = 120.0) -> Iterator[None]:
    """Fail (rather than hang the suite) if the block runs longer than ``seconds``."""
    if not hasattr(signal, "setitimer"):  # pragma: no cover - not on Windows
        yield
        return

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise _Hang(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def tree_state(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: a hash for regular files, the kind for the rest.

    Special files (FIFOs) are never opened, symbolic links never followed.
    """
    state: dict[str, str] = {}
    for parent, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = Path(parent) / name
            mode = os.lstat(path).st_mode
            if stat.S_ISREG(mode):
                kind = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISLNK(mode):
                kind = f"link → {os.readlink(path)}"
            else:
                kind = stat.filemode(mode)[0]
            state[str(path.relative_to(folder))] = kind
    return state


def run_hostile(case_dir: Path, scenario: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Run check and run on ``scenario``; assert a clean refusal; return both messages."""
    repo_before = {name: tree_state(ROOT / name) for name in ("maps", "scenarios")}
    before = tree_state(case_dir)
    out = case_dir / "out"
    messages = []
    for argv in (
        ["check", str(scenario)],
        ["run", str(scenario), "--out", str(out), "--no-figures"],
    ):
        with hang_guard():
            code = main(argv)
        printed = capsys.readouterr()
        assert code == 2, (argv, printed.err)
        assert "Traceback" not in printed.err + printed.out
        assert "internal error" not in printed.err
        assert printed.err.startswith("parksim: error: ")
        messages.append(printed.err)
    assert not out.exists()
    assert tree_state(case_dir) == before  # nothing changed, removed or left behind
    assert {name: tree_state(ROOT / name) for name in repo_before} == repo_before
    assert messages[0] == messages[1]
    return messages


def overriding(text: str) -> str:
    """A scenario that extends the baseline (by absolute path) and adds ``text``."""
    return f"extends = '{BASELINE}'\n{text}\n"


@dataclass(frozen=True)
class Case:
    """A hostile scenario: how to write it into a folder, and what the message must say."""

    id: str
    make: Callable[[Path], Path]
    needles: tuple[str, ...]


def override(case_id: str, text: str, *needles: str) -> Case:
    def make(folder: Path) -> Path:
        path = folder / "case.toml"
        path.write_text(overriding(text), encoding="utf-8")
        return path

    return Case(case_id, make, ("case.toml", *needles))


def written(case_id: str, data: Callable[[], bytes], *needles: str) -> Case:
    def make(folder: Path) -> Path:
        path = folder / "case.toml"
        path.write_bytes(data())
        return path

    return Case(case_id, make, ("case.toml", *needles))


# --- 3. every number finite -------------------------------------------------------------

FINITE_CASES = [
    override(
        "plot-ratio-inf",
        "[defaults]\nplot_ratio = inf",
        "defaults.plot_ratio",
        "expected a finite number",
        "found inf, which is infinite",
        "write a finite number",
    ),
    override(
        "occupancy-ramp-inf",
        "[defaults]\noccupancy_ramp_years = inf",
        "defaults.occupancy_ramp_years",
        "expected a finite number (a duration",
        "found inf",
    ),
    override(
        "revenue-growth-minus-inf",
        "[parks.comm_park]\nrevenue_growth = -inf",
        "parks.comm_park.revenue_growth",
        "found -inf, which is infinite",
    ),
    override(
        "target-value-nan",
        '[[targets]]\nmetric = "workers"\npark = "total"\nyear = 2016\nvalue = nan',
        "targets[0].value",
        "expected a finite number",
        "found nan, which is not a number",
    ),
    override(
        "target-value-inf-unit",
        '[[targets]]\nmetric = "revenue"\npark = "total"\nyear = 2016\nvalue = "inf 亿元"',
        "targets[0].value",
        "expected an amount of money",
        "'inf 亿元', which is not a finite number",
    ),
    override(
        "unit-string-inf",
        '[defaults]\nland_supply_per_year = "inf m2"',
        "defaults.land_supply_per_year",
        "expected an area",
        "'inf m2', which is not a finite number",
    ),
    override(
        "unit-string-nan",
        '[defaults]\nland_price = "nan 元/m2"',
        "defaults.land_price",
        "expected money per area",
        "'nan 元/m2', which is not a finite number",
    ),
    override(
        "unit-string-overflow",
        '[defaults]\nmax_floor_per_phase = "1e999 m2"',
        "defaults.max_floor_per_phase",
        "'1e999 m2', which is too large",
    ),
    override(
        "overflow-after-conversion",
        '[rules]\ninvestment_intensity_min = "1e305 亿元/ha"',
        "rules.investment_intensity_min",
        "'1e305 亿元/ha', which is too large",
    ),
    override(
        "toml-float-overflow",
        "[defaults]\nplot_ratio = 1e400",  # TOML reads this as inf
        "defaults.plot_ratio",
        "expected a finite number",
    ),
    override(
        "whole-number-too-large-for-a-float",
        "[defaults]\nplot_ratio = " + "9" * 400,
        "defaults.plot_ratio",
        "which is too large",
    ),
    override(
        "distribution-parameter-inf",
        '[defaults]\nduration_years = { dist = "normal", mean = 3, sd = inf }',
        "defaults.duration_years",
        "normal.sd",
        "found inf, which is infinite",
    ),
    override(
        "distribution-parameter-nan",
        '[defaults]\nstart_lag_years = { dist = "triangular", min = 0, mode = 1, max = nan }',
        "defaults.start_lag_years",
        "triangular.max",
        "nan",
    ),
    override(
        "choice-value-inf",
        '[defaults]\nland_supply_per_year = { dist = "choice", values = ["1 ha", "inf ha"] }',
        "defaults.land_supply_per_year",
        "choice.values: item 1",
        "'inf ha', which is not a finite number",
    ),
    override(
        "choice-weight-nan",
        '[defaults]\nduration_years = { dist = "choice", values = [2, 3], weights = [1, nan] }',
        "defaults.duration_years",
        "choice.weights: item 1",
        "nan",
    ),
    override(
        "market-sd-nan",
        "[market]\ndemand_sd = nan",
        "market.demand_sd",
        "expected a finite number",
    ),
    override(
        "benchmark-tolerance-inf",
        "[benchmarks]\ntolerance = inf",
        "benchmarks.tolerance",
        "expected a finite number",
    ),
    override(
        "committed-floor-inf",
        '[[committed]]\nparcel = "SC-0103"\nstart_year = 2012\nfloor = "-inf m2"',
        "committed[0].floor",
        "'-inf m2', which is not a finite number",
    ),
    override(
        "yearly-list-item-nan",
        '[parks.comm_park]\ndemand_per_year = ["20万 m2", "20万 m2", "nan m2"]',
        "parks.comm_park.demand_per_year",
        "item 2",
        "'nan m2', which is not a finite number",
    ),
]

# --- 3. a unit string is one number and one unit ----------------------------------------

GARBAGE = [
    ("3 * 4 m2", "not one number followed by one unit"),
    ("2 m2 + 1 m2", "not one number followed by one unit"),
    ("m2", "does not start with a number"),
    ("3 m2 m2", "not one number followed by one unit"),
    ("(3) m2", "does not start with a number"),
    ("3 m2 / 0", "not one number followed by one unit"),
    ("10**1000 m2", "not one number followed by one unit"),
    ("3/4 m2", "not one number followed by one unit"),
    ("3 ha/ha m2", "not one number followed by one unit"),
    ("0x10 m2", "not one number followed by one unit"),
    ("3万万 m2", "not one number followed by one unit"),
    ("5 widgets", "not a number with a known unit"),
]
UNIT_CASES = [
    override(
        f"area-{text}",
        f'[defaults]\nmax_floor_per_phase = "{text}"',
        "defaults.max_floor_per_phase",
        "expected an area",
        repr(text),
        why,
    )
    for text, why in GARBAGE
] + [
    override(
        "money-per-area-times-two",
        '[defaults]\nland_price = "600 元/m2 * 2"',
        "defaults.land_price",
        "expected money per area",
        "'600 元/m2 * 2'",
        "with no arithmetic",
    ),
    override(
        "ratio-arithmetic",
        '[defaults]\nplot_ratio = "2 * 3"',
        "defaults.plot_ratio",
        "'2 * 3'",
        "not one number followed by one unit",
    ),
    override(
        "ratio-logarithmic-unit",
        '[defaults]\noccupancy_ceiling = "3 dB"',
        "defaults.occupancy_ceiling",
        "not a plain multiplicative unit",
    ),
    override(
        "duration-sum",
        '[defaults]\nduration_years = "3 years + 1 years"',
        "defaults.duration_years",
        "'3 years + 1 years'",
        "not one number followed by one unit",
    ),
    override(
        "target-in-parentheses",
        '[[targets]]\nmetric = "floor_completed"\npark = "total"\nyear = 2016\n'
        'value = "(1000) 万 m2"',
        "targets[0].value",
        "does not start with a number",
    ),
]

# --- 4. reading the scenario: size, kind of file, nesting, chains, lists, encoding ------


def too_large(folder: Path) -> Path:
    path = folder / "case.toml"
    with path.open("w", encoding="utf-8") as file:
        file.write(overriding(""))
        file.write("# " + "x" * (MAX_SCENARIO_BYTES + 10) + "\n")
    return path


def too_large_together(folder: Path) -> Path:
    half = "# " + "x" * (MAX_SCENARIO_BYTES // 2 + 10) + "\n"
    (folder / "base.toml").write_text(overriding(half), encoding="utf-8")
    path = folder / "case.toml"
    path.write_text("extends = 'base.toml'\n" + half, encoding="utf-8")
    return path


def a_folder(folder: Path) -> Path:
    target = folder / "my_scenarios"
    target.mkdir()
    (target / "variant.toml").write_text(overriding(""), encoding="utf-8")
    return target


def a_fifo(folder: Path) -> Path:
    path = folder / "case.toml"
    os.mkfifo(path)
    return path


def dev_zero(folder: Path) -> Path:
    return Path("/dev/zero")


def extends(parent: Callable[[Path], Path]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "case.toml"
        path.write_text(f"extends = '{parent(folder)}'\n", encoding="utf-8")
        return path

    return make


def extends_chain(folder: Path) -> Path:
    previous = BASELINE
    for i in range(MAX_EXTENDS + 5):
        path = folder / f"chain_{i:02d}.toml"
        path.write_text(f"extends = '{previous}'\n", encoding="utf-8")
        previous = path
    return previous


def symlink_loop(folder: Path) -> Path:
    (folder / "loop_a").symlink_to(folder / "loop_b")
    (folder / "loop_b").symlink_to(folder / "loop_a")
    path = folder / "case.toml"
    path.write_text("extends = 'loop_a'\n", encoding="utf-8")
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def million_items(value: str) -> str:
    return "[" + ", ".join([value] * 1_000_000) + "]"


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")

READING_CASES = [
    Case(
        "file-too-large",
        too_large,
        ("case.toml", "too large", f"at most {MAX_SCENARIO_BYTES:,} bytes", "right file"),
    ),
    Case(
        "extends-chain-too-large-together",
        too_large_together,
        ("base.toml", "too large", "the files it extends already hold"),
    ),
    Case(
        "folder-named-as-scenario",
        a_folder,
        ("my_scenarios", "is a folder, not a file", "variant.toml"),
    ),
    pytest.param(
        Case("fifo", a_fifo, ("case.toml", "named pipe (FIFO)", "regular file")),
        marks=needs_fifo,
    ),
    pytest.param(
        Case("dev-zero", dev_zero, ("/dev/zero", "character device", "regular file")),
        marks=needs_dev_zero,
    ),
    pytest.param(
        Case(
            "extends-fifo",
            extends(lambda d: _fifo(d / "base.toml")),
            ("case.toml", "extends", "base.toml", "named pipe (FIFO)"),
        ),
        marks=needs_fifo,
    ),
    Case(
        "extends-folder",
        extends(lambda d: _mkdir(d / "base")),
        ("case.toml", "extends", "which is a folder"),
    ),
    pytest.param(
        Case(
            "extends-dev-zero",
            extends(dev_zero),
            ("case.toml", "extends", "/dev/zero", "character device"),
        ),
        marks=needs_dev_zero,
    ),
    Case(
        "extends-symlink-loop",
        symlink_loop,
        ("case.toml", "extends", "cannot be resolved", "symbolic links"),
    ),
    Case(
        "extends-chain-too-long",
        extends_chain,
        ("chain_", "extends chain too long", f"at most {MAX_EXTENDS} files", "merge"),
    ),
    override(
        "nested-arrays",
        "[scenario]\nx = " + "[" * 500 + "]" * 500,
        "line 3",
        f"nested at most {MAX_NESTING} deep",
        "flatten",
    ),
    override(
        "nested-inline-tables",
        "x = " + "{a = " * 500 + "1" + "}" * 500,
        "line 2",
        f"nested at most {MAX_NESTING} deep",
    ),
    override(
        "dotted-key-with-40000-parts",
        ".".join(["a"] * 40_000) + " = 1",
        "line 2",
        f"at most {MAX_NESTING} dotted parts",
        "shorten the key",
    ),
    override(
        "table-header-with-40000-parts",
        "[" + ".".join(["parks"] * 40_000) + "]",
        "line 2",
        f"at most {MAX_NESTING} dotted parts",
    ),
    override(
        "million-item-yearly-list",
        "[defaults]\ndemand_per_year = " + million_items("1"),
        "defaults.demand_per_year",
        "a list of 1,000,000",
        f"at most {MAX_YEARS} years",
        "one value for every year",
    ),
    override(
        "million-item-choice",
        '[defaults]\nduration_years = { dist = "choice", values = ' + million_items("3") + " }",
        "defaults.duration_years",
        f"choice.values: expected at most {MAX_CHOICES:,} values",
        "a list of 1,000,000",
    ),
    override(
        "hundred-thousand-unknown-keys",
        "[defaults]\n" + "".join(f"key_{i} = 1\n" for i in range(100_000)),
        "100000 problem(s)",
        "defaults.key_0: unknown key 'key_0' in [defaults]",
        f"… and {100_000 - MAX_SHOWN:,} more problem(s)",
    ),
    written(
        "gbk-encoded",
        lambda: overriding('[scenario]\nname = "青岛软件产业"').encode("gbk"),
        "not UTF-8",
        "line 3, column 9",
        "GBK",
        "save the file as UTF-8",
        "iconv -f GBK -t UTF-8",
    ),
    written(
        "utf16-encoded",
        lambda: overriding('[scenario]\nname = "青岛"').encode("utf-16"),
        "UTF-16",
        "expected UTF-8",
        "save the file as UTF-8",
    ),
    override(
        "whole-number-of-5000-digits",
        "[scenario]\nseed = " + "7" * 5000,
        "number too long",
        "line 3",
        "4300 digits",
        "write a shorter number",
    ),
]


def _case_id(case: object) -> str:
    return case.id if isinstance(case, Case) else str(case)


@pytest.mark.parametrize("case", FINITE_CASES, ids=_case_id)
def test_numbers_must_be_finite(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check_case(case, tmp_path, capsys)


@pytest.mark.parametrize("case", UNIT_CASES, ids=_case_id)
def test_unit_string_is_one_number_and_one_unit(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check_case(case, tmp_path, capsys)


@pytest.mark.parametrize("case", READING_CASES, ids=_case_id)
def test_reading_is_bounded_and_named(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check_case(case, tmp_path, capsys)


def check_case(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = case.make(tmp_path)
    message, _ = run_hostile(tmp_path, scenario, capsys)
    for needle in case.needles:
        assert needle in message, (needle, message)
    assert len(message.splitlines()) < 60  # one message, not a dump of the input


# --- accepted ----------------------------------------------------------------------------


def test_scenario_with_utf8_bom_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "windows.toml"
    path.write_bytes(b"\xef\xbb\xbf" + overriding('[scenario]\nname = "记事本"').encode())
    repo_before = {name: tree_state(ROOT / name) for name in ("maps", "scenarios")}
    with hang_guard():
        assert main(["check", str(path)]) == 0
        assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-figures"]) == 0
    printed = capsys.readouterr()
    assert "windows.toml: ok" in printed.out
    assert "记事本" in (tmp_path / "out" / "run.json").read_text(encoding="utf-8")
    assert {name: tree_state(ROOT / name) for name in repo_before} == repo_before


def test_yearly_list_one_per_year_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = ", ".join(f'"{20 + i}万 m2"' for i in range(BASELINE_YEARS))
    path = tmp_path / "case.toml"
    path.write_text(overriding(f"[parks.comm_park]\ndemand_per_year = [{values}]"), "utf-8")
    assert main(["check", str(path)]) == 0
    assert "case.toml: ok" in capsys.readouterr().out


def test_brackets_dots_and_hashes_inside_strings_are_not_nesting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = "[" * 50 + " a.b.c.d.e.f.g.h.i.j.k.l.m.n.o " + "{" * 50
    text = (
        f'[scenario]\ndescription = """{deep}\n{deep}"""\n'
        f"# {deep}\n"
        f"[benchmarks.m2_per_worker]\nvalue = \"38 m2\"\nsource = '{deep} # not a comment'\n"
    )
    path = tmp_path / "case.toml"
    path.write_text(overriding(text), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert "case.toml: ok" in capsys.readouterr().out


def test_million_values_are_converted_at_once() -> None:
    items = ["15万 m2", "1 ha", "0 m2", "1,200 亩"] * 250_000
    with hang_guard():
        areas = quantities_to_si(items, Dimension.AREA)
    assert areas.shape == (1_000_000,)
    np.testing.assert_array_equal(areas[:4], [150_000.0, 10_000.0, 0.0, 800_000.0])
    assert np.isfinite(areas).all()


def test_units_doctests() -> None:
    failed, _ = doctest.testmod(sim.units, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failed == 0
