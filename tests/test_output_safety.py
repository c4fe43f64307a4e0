"""Never lose a user's data: what ``--out`` of every writer may and may not replace.

Each refused case runs the CLI in a small project (a scenario extending a base in
another folder, its site layer, a user's thesis folder, report file and pictures) with
the current folder and home inside the test's temporary folder, and checks: exit code
2, the one message naming ``--out`` and the reason, no traceback, every file of the
tree byte for byte as before, and no temporary folder left behind.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sim.cli import main
from sim.outputs import atomic_folder
from tests.conftest import (
    BASELINE,
    TINY_TOML,
    start_run_until_staged,
    tiny_layers,
    tree_snapshot,
    write_tiny_site,
)


def _leftovers(root: Path) -> list[str]:
    return [str(p) for p in root.rglob("*") if ".tmp-" in p.name or ".old-" in p.name]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path/project`` with a variant scenario, its base in ``bases/`` and the site."""
    project = tmp_path / "project"
    (project / "bases").mkdir(parents=True)
    write_tiny_site(project / "site.gpkg")
    base = TINY_TOML.replace('"site.gpkg"', '"../site.gpkg"')
    (project / "bases" / "base.toml").write_text(base, encoding="utf-8")
    (project / "tiny.toml").write_text('extends = "bases/base.toml"\n', encoding="utf-8")
    # What a user keeps around: a thesis, a report, a picture, a home folder.
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "chapter1.tex").write_text("years of work")
    (tmp_path / "report.txt").write_text("my report")
    (tmp_path / "picture.png").write_bytes(b"\x89PNG not parksim's")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".bashrc").write_text("export A=1")
    (tmp_path / "cwd").mkdir()
    (tmp_path / "cwd" / "data.csv").write_text("1,2")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path / "cwd")
    return project


Refused = Callable[[list[str]], str]


@pytest.fixture
def refused(tmp_path: Path, cli_error: Callable[[list[str]], str]) -> Refused:
    """Run ``parksim argv`` expecting a refusal that leaves ``tmp_path`` as it was."""

    def run(argv: list[str]) -> str:
        before = tree_snapshot(tmp_path)
        err = cli_error(argv)
        assert tree_snapshot(tmp_path) == before, "a file of the user's was changed or removed"
        assert _leftovers(tmp_path) == []
        return err

    return run


#: --out of `parksim run`, relative to tmp_path (the current folder is tmp_path/cwd), and
#: what the message must say.
RUN_CASES = {
    "empty string": ("", "names no path"),
    "blank": ("  ", "names no path"),
    "root": ("/", "root of the file system"),
    "home": ("~", "your home folder"),
    "home spelled out": ("{tmp}/home", "your home folder"),
    "current folder": (".", "the current folder"),
    "current folder via ..": ("../cwd", "the current folder"),
    "parent of the current folder": ("..", "a parent of the current folder"),
    "unrelated folder": ("{tmp}/thesis", "parksim did not write"),
    "a user's file": ("{tmp}/report.txt", "a file, not a folder"),
    "folder holding the site": ("{tmp}/project", "contains an input"),
    "folder holding the extends parent": ("{tmp}/project/bases", "contains an input"),
    "folder via ..": ("{tmp}/thesis/../project/bases", "contains an input"),
    "the layer itself": ("{tmp}/project/site.gpkg", "is an input"),
    "inside the layer": ("{tmp}/project/site.gpkg/out", "lies inside an input"),
    "symbolic link to inputs": ("{tmp}/link_to_project", "contains an input"),
    "parent is a file": ("{tmp}/report.txt/out", "is a file, not a folder"),
    "read-only file system": ("/proc/parksim-out", "cannot"),
}


@pytest.mark.parametrize("case", sorted(RUN_CASES))
def test_run_refuses(case: str, project: Path, tmp_path: Path, refused: Refused) -> None:
    out, reason = RUN_CASES[case]
    (tmp_path / "link_to_project").symlink_to(project)
    out = out.format(tmp=tmp_path)
    argv = ["run", str(project / "tiny.toml"), "--out", out, "--no-figures"]
    err = refused(argv)
    assert reason in err
    assert "--out" in err
    for force in (["--force"],):  # no --force makes any of these acceptable
        assert refused([*argv, *force]) == err


@pytest.fixture
def ran_once(project: Path, tmp_path: Path) -> list[str]:
    """The arguments of a ``parksim run`` into ``tmp_path/out``, run once already."""
    argv = ["run", str(project / "tiny.toml"), "--out", str(tmp_path / "out"), "--no-figures"]
    assert main([*argv, "-q"]) == 0
    return [*argv, "-q"]


def test_run_refuses_a_user_file_inside_its_own_outputs_even_with_force(
    ran_once: list[str], tmp_path: Path, refused: Refused
) -> None:
    out = tmp_path / "out"
    argv = ran_once
    (out / "my_notes.md").write_text("notes on the run")
    err = refused([*argv, "--force"])
    assert "parksim did not write (my_notes.md)" in err
    assert "move them out" in err


def test_run_replaces_its_own_outputs_and_needs_force_for_edited_ones(
    ran_once: list[str], tmp_path: Path, refused: Refused
) -> None:
    out = tmp_path / "out"
    argv = ran_once
    assert main(argv) == 0  # its own folder: replaced
    (out / "summary.csv").write_text("edited in Excel")
    err = refused(argv)
    assert "changed since parksim wrote them (summary.csv)" in err and "--force" in err
    assert main([*argv, "--force"]) == 0
    assert "edited in Excel" not in (out / "summary.csv").read_text(encoding="utf-8-sig")
    assert _leftovers(tmp_path) == []


def test_run_into_an_empty_folder(project: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    argv = ["run", str(project / "tiny.toml"), "--out", str(tmp_path / "empty")]
    assert main([*argv, "--no-figures", "-q"]) == 0
    assert (tmp_path / "empty" / "summary.csv").exists()


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        ("{tmp}/thesis", "parksim did not write"),
        ("{tmp}/project", "contains an input"),
        ("", "names no path"),
        ("{tmp}/report.txt", "a file, not a folder"),
    ],
)
def test_compare_refuses(
    out: str, reason: str, project: Path, tmp_path: Path, refused: Refused
) -> None:
    scenario = str(project / "tiny.toml")
    argv = ["compare", scenario, scenario, "--out", out.format(tmp=tmp_path), "--no-figures"]
    assert reason in refused(argv)


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        ("{tmp}/picture.png", "parksim did not write it"),
        ("{tmp}/thesis/../picture.png", "parksim did not write it"),
        ("{tmp}/report.txt/map.png", "is a file, not a folder"),
    ],
)
def test_map_refuses(
    out: str, reason: str, project: Path, tmp_path: Path, refused: Refused
) -> None:
    argv = ["map", str(project / "tiny.toml"), "--out", out.format(tmp=tmp_path)]
    assert reason in refused(argv)


def test_map_replaces_its_own_figure_and_a_user_file_only_with_force(
    project: Path, tmp_path: Path, refused: Refused
) -> None:
    argv = ["map", str(project / "tiny.toml"), "-q", "--out"]
    assert main([*argv, str(tmp_path / "mine.png")]) == 0
    drawn = (tmp_path / "mine.png").stat().st_ino
    assert main([*argv, str(tmp_path / "mine.png")]) == 0  # drawn by parksim: replaced
    assert (tmp_path / "mine.png").stat().st_ino != drawn  # a new file in its place
    assert "parksim did not write it" in refused([*argv, str(tmp_path / "picture.png")])
    assert main([*argv, str(tmp_path / "picture.png"), "--force"]) == 0
    assert (tmp_path / "picture.png").read_bytes() != b"\x89PNG not parksim's"


@pytest.fixture
def layer(tmp_path: Path) -> Path:
    """A planner's parcel layer to ``init`` from."""
    _, parcels = tiny_layers()
    path = tmp_path / "my_site.gpkg"
    parcels.to_file(path, layer="parcels", engine="pyogrio")
    return path


def test_init_never_writes_its_input_even_with_force(
    layer: Path, tmp_path: Path, refused: Refused, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["init", str(layer), "--park-field", "park_id", "--out", str(tmp_path / "my.toml")]
    err = refused([*argv, "--force"])  # would write my_site.gpkg
    assert "it is an input" in err and "my_site.gpkg" in err
    assert not (tmp_path / "my.toml").exists()


def test_init_keeps_an_existing_site_layer_without_force(
    layer: Path, tmp_path: Path, refused: Refused, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["init", str(layer), "--park-field", "park_id", "--out", "plan.toml", "-q"]
    assert main(argv) == 0
    (tmp_path / "plan.toml").unlink()  # the user keeps only the (edited) site layer
    with open(tmp_path / "plan_site.gpkg", "ab") as edited:
        edited.write(b"")
    err = refused(argv)
    assert "plan_site.gpkg" in err and "--force" in err
    assert main([*argv, "--force"]) == 0


def test_init_keeps_an_existing_scenario_without_force(
    layer: Path, tmp_path: Path, refused: Refused, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.toml").write_text("# my own scenario")
    argv = ["init", str(layer), "--park-field", "park_id", "--out", "plan.toml"]
    assert "the file exists" in refused(argv)
    assert not (tmp_path / "plan_site.gpkg").exists()


def test_too_many_draws_are_refused_before_allocating(
    project: Path, tmp_path: Path, refused: Refused
) -> None:
    argv = ["run", str(project / "tiny.toml"), "--out", str(tmp_path / "o"), "--draws",
            str(10**12), "--no-figures"]  # fmt: skip
    err = refused(argv)
    assert "--draws 1,000,000,000,000 needs about" in err and "use at most about" in err


def test_sigterm_removes_the_staging_folder_and_keeps_earlier_outputs(tmp_path: Path) -> None:
    out = tmp_path / "qd"
    argv = ["run", str(BASELINE), "--out", str(out), "-q"]
    subprocess.run([sys.executable, "-m", "sim", *argv, "--no-figures"], check=True, cwd=tmp_path)
    before = tree_snapshot(out)
    run = start_run_until_staged(argv, tmp_path, ".qd.tmp-*")
    try:
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=60)
    finally:
        run.kill()
        run.wait()
    assert run.returncode == 143
    assert "terminated; earlier outputs are untouched" in err
    assert "Traceback" not in err
    assert tree_snapshot(out) == before
    assert _leftovers(tmp_path) == []


def test_atomic_folder_checks_inputs_given_by_library_callers(tmp_path: Path) -> None:
    from sim.errors import OutputError

    (tmp_path / "in.toml").write_text("")
    with (
        pytest.raises(OutputError, match="contains an input"),
        atomic_folder(tmp_path, inputs=[tmp_path / "in.toml"]),
    ):
        pass


#: What each decision command needs besides the scenario and --out ({tmp}: tmp_path).
DECISIONS = {
    "solve": ["--target", "floor_completed total 2016 1万 m2", "--draws", "2"],
    "calibrate": ["--observed", "{tmp}/obs.csv", "--fit", "defaults.plot_ratio=1:2"],
    "sensitivity": ["--method", "tornado"],
}


def _decision(command: str, project: Path, tmp_path: Path, out: str, *extra: str) -> list[str]:
    # The commands import matplotlib, which may write its font cache under HOME (inside
    # tmp_path here) on first import: import it before the tree is compared.
    import sim.plot  # noqa: F401  (imported for its side effect on HOME, see above)

    given = [a.format(tmp=tmp_path) for a in DECISIONS[command]]
    return [command, str(project / "tiny.toml"), *given, *extra, "--out", out.format(tmp=tmp_path)]


@pytest.mark.parametrize("command", sorted(DECISIONS))
@pytest.mark.parametrize(
    ("out", "reason"),
    [
        ("{tmp}/thesis", "parksim did not write"),
        ("{tmp}/project/bases", "contains an input"),
        (".", "the current folder"),
    ],
)
def test_decision_commands_refuse_before_running(
    command: str, out: str, reason: str, project: Path, tmp_path: Path, refused: Refused
) -> None:
    (tmp_path / "obs.csv").write_text("date,park_id,metric,value\n2016,A,floor_completed,1\n")
    err = refused(_decision(command, project, tmp_path, out, "--force"))
    assert reason in err and "--out" in err


@pytest.mark.parametrize(
    ("command", "bad", "reason"),
    [
        ("solve", ["--lever", "defaults.nothing_here"], "a path to a value"),
        ("calibrate", ["--observed", "{tmp}/missing.csv"], "cannot read the observations"),
        ("sensitivity", [], "nothing uncertain"),  # tiny.toml has no distribution
    ],
)
def test_a_decision_that_fails_writes_nothing_and_keeps_its_earlier_outputs(
    command: str, bad: list[str], reason: str, project: Path, tmp_path: Path, refused: Refused
) -> None:
    new = str(tmp_path / "new")
    bad = [a.format(tmp=tmp_path) for a in bad]
    assert reason in refused(_decision(command, project, tmp_path, new, *bad))
    assert not (tmp_path / "new").exists()
    # Into the folder of an earlier (successful) solve: that folder stays as it was.
    earlier = str(tmp_path / "earlier")
    assert main([*_decision("solve", project, tmp_path, earlier), "-q", "--no-figures"]) == 0
    assert reason in refused(_decision(command, project, tmp_path, earlier, *bad))
