"""Never lose a user's data: what ``--out`` of every writer may and may not replace.

Each refused case runs the CLI in a small project (a scenario extending a base in
another folder, its site layer, a user's thesis folder, report file and pictures) with
the current folder and home inside the test's temporary folder, and checks: exit code
2, the one message naming ``--out`` and the reason, no traceback, every file of the
tree byte for byte as before, and no temporary folder left behind.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli import main
from sim.outputs import atomic_folder
from tests.conftest import TINY_TOML, tiny_layers


def _tree(root: Path) -> dict[str, str]:
    """Every file and link under ``root`` with a hash of its bytes (or link target)."""
    found = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            found[key] = "-> " + os.readlink(path)
        elif path.is_file():
            found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[key] = "dir"
    return found


def _leftovers(root: Path) -> list[str]:
    return [str(p) for p in root.rglob("*") if ".tmp-" in p.name or ".old-" in p.name]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path/project`` with a variant scenario, its base in ``bases/`` and the site."""
    project = tmp_path / "project"
    (project / "bases").mkdir(parents=True)
    parks, parcels = tiny_layers()
    parks.to_file(project / "site.gpkg", layer="parks", engine="pyogrio")
    parcels.to_file(project / "site.gpkg", layer="parcels", engine="pyogrio")
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


def _refused(root: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    before = _tree(root)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("parksim: error: ")
    assert "Traceback" not in err and "internal error" not in err
    assert _tree(root) == before, "a file of the user's was changed or removed"
    assert _leftovers(root) == []
    return err


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
def test_run_refuses(
    case: str, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, reason = RUN_CASES[case]
    (tmp_path / "link_to_project").symlink_to(project)
    out = out.format(tmp=tmp_path)
    argv = ["run", str(project / "tiny.toml"), "--out", out, "--no-figures"]
    err = _refused(tmp_path, argv, capsys)
    assert reason in err
    assert "--out" in err
    for force in (["--force"],):  # no --force makes any of these acceptable
        assert _refused(tmp_path, [*argv, *force], capsys) == err


def test_run_refuses_a_user_file_inside_its_own_outputs_even_with_force(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["run", str(project / "tiny.toml"), "--out", str(out), "--no-figures", "-q"]
    assert main(argv) == 0
    (out / "my_notes.md").write_text("notes on the run")
    err = _refused(tmp_path, [*argv, "--force"], capsys)
    assert "parksim did not write (my_notes.md)" in err
    assert "move them out" in err


def test_run_replaces_its_own_outputs_and_needs_force_for_edited_ones(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["run", str(project / "tiny.toml"), "--out", str(out), "--no-figures", "-q"]
    assert main(argv) == 0
    assert main(argv) == 0  # its own folder: replaced
    (out / "summary.csv").write_text("edited in Excel")
    err = _refused(tmp_path, argv, capsys)
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
    out: str, reason: str, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = str(project / "tiny.toml")
    argv = ["compare", scenario, scenario, "--out", out.format(tmp=tmp_path), "--no-figures"]
    assert reason in _refused(tmp_path, argv, capsys)


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        ("{tmp}/picture.png", "parksim did not write it"),
        ("{tmp}/thesis/../picture.png", "parksim did not write it"),
        ("{tmp}/report.txt/map.png", "is a file, not a folder"),
    ],
)
def test_map_refuses(
    out: str, reason: str, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["map", str(project / "tiny.toml"), "--out", out.format(tmp=tmp_path)]
    assert reason in _refused(tmp_path, argv, capsys)


def test_map_replaces_its_own_figure_and_a_user_file_only_with_force(
    project: Path, tmp_path: Path
) -> None:
    argv = ["map", str(project / "tiny.toml"), "-q", "--out"]
    assert main([*argv, str(tmp_path / "mine.png")]) == 0
    assert main([*argv, str(tmp_path / "mine.png")]) == 0  # drawn by parksim: replaced
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
    layer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["init", str(layer), "--park-field", "park_id", "--out", str(tmp_path / "my.toml")]
    err = _refused(tmp_path, [*argv, "--force"], capsys)  # would write my_site.gpkg
    assert "it is an input" in err and "my_site.gpkg" in err
    assert not (tmp_path / "my.toml").exists()


def test_init_keeps_an_existing_site_layer_without_force(
    layer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["init", str(layer), "--park-field", "park_id", "--out", "plan.toml", "-q"]
    assert main(argv) == 0
    (tmp_path / "plan.toml").unlink()  # the user keeps only the (edited) site layer
    with open(tmp_path / "plan_site.gpkg", "ab") as edited:
        edited.write(b"")
    err = _refused(tmp_path, argv, capsys)
    assert "plan_site.gpkg" in err and "--force" in err
    assert main([*argv, "--force"]) == 0


def test_init_keeps_an_existing_scenario_without_force(
    layer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.toml").write_text("# my own scenario")
    argv = ["init", str(layer), "--park-field", "park_id", "--out", "plan.toml"]
    assert "the file exists" in _refused(tmp_path, argv, capsys)
    assert not (tmp_path / "plan_site.gpkg").exists()


def test_too_many_draws_are_refused_before_allocating(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", str(project / "tiny.toml"), "--out", str(tmp_path / "o"), "--draws",
            str(10**12), "--no-figures"]  # fmt: skip
    err = _refused(tmp_path, argv, capsys)
    assert "--draws 1,000,000,000,000 needs about" in err and "use at most about" in err


def test_sigterm_removes_the_staging_folder_and_keeps_earlier_outputs(tmp_path: Path) -> None:
    from tests.conftest import ROOT

    out = tmp_path / "qd"
    scenario = ROOT / "scenarios" / "qingdao_2012.toml"
    command = [sys.executable, "-m", "sim", "run", str(scenario), "--out", str(out), "-q"]
    subprocess.run([*command, "--no-figures"], check=True, cwd=tmp_path)
    before = _tree(out)
    run = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        staged: list[Path] = []
        while time.monotonic() < deadline and run.poll() is None:
            staged = [p for p in tmp_path.glob(".qd.tmp-*") if (p / "summary.csv").exists()]
            if staged:
                break
            time.sleep(0.01)
        assert staged, "the run finished before its staging folder was seen"
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=60)
    finally:
        run.kill()
        run.wait()
    assert run.returncode == 143
    assert "terminated; earlier outputs are untouched" in err
    assert "Traceback" not in err
    assert _tree(out) == before
    assert _leftovers(tmp_path) == []


def test_atomic_folder_checks_inputs_given_by_library_callers(tmp_path: Path) -> None:
    from sim.errors import OutputError

    (tmp_path / "in.toml").write_text("")
    with (
        pytest.raises(OutputError, match="contains an input"),
        atomic_folder(tmp_path, inputs=[tmp_path / "in.toml"]),
    ):
        pass
