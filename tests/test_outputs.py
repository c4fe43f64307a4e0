"""sim.outputs: which paths a writer may replace, and atomic replacement."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sim.errors import OutputError
from sim.outputs import (
    MARKER,
    atomic_file,
    atomic_folder,
    check_output_file,
    check_output_folder,
    figure_made_by_parksim,
    file_sha256,
    layer_files,
)
from tests.conftest import dead_pid


def _outputs(folder: Path, files: dict[str, str]) -> Path:
    """A folder written by parksim holding ``files``."""
    with atomic_folder(folder) as staging:
        for name, text in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_text(text)
    return folder


def test_success_replaces_a_parksim_folder(tmp_path: Path) -> None:
    out = _outputs(tmp_path / "out", {"old.txt": "old"})
    with atomic_folder(out) as staging:
        (staging / "new.txt").write_text("new")
        assert not (out / "new.txt").exists()
    assert (out / "new.txt").read_text() == "new"
    assert not (out / "old.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_marker_lists_every_file_with_size_and_hash(tmp_path: Path) -> None:
    out = _outputs(tmp_path / "out", {"a.csv": "1,2\n", "figures/b.png": "png"})
    record = json.loads((out / MARKER).read_text())
    assert record["generator"] == "parksim"
    assert sorted(record["files"]) == ["a.csv", "figures/b.png"]
    for name in ("a.csv", "figures/b.png"):
        assert record["files"][name]["size"] == (out / name).stat().st_size
        assert record["files"][name]["sha256"] == file_sha256(out / name)
    assert record["files"]["a.csv"]["size"] == 4


def test_failure_leaves_folder_untouched(tmp_path: Path) -> None:
    out = _outputs(tmp_path / "out", {"old.txt": "old"})
    with pytest.raises(RuntimeError), atomic_folder(out) as staging:
        (staging / "partial.txt").write_text("partial")
        raise RuntimeError("boom")
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "old.txt"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failure_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "fresh"
    with pytest.raises(RuntimeError), atomic_folder(out):
        raise RuntimeError("boom")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_empty_folder_may_be_replaced(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with atomic_folder(tmp_path / "empty") as staging:
        (staging / "x.txt").write_text("x")
    assert (tmp_path / "empty" / "x.txt").exists()


def test_a_folder_parksim_did_not_write_is_refused(tmp_path: Path) -> None:
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("years of work")
    with pytest.raises(OutputError, match=r"parksim did not write.*chapter1\.tex"):
        check_output_folder(thesis, force=True)
    assert (thesis / "chapter1.tex").read_text() == "years of work"


def test_a_foreign_file_in_a_parksim_folder_is_refused_even_with_force(tmp_path: Path) -> None:
    out = _outputs(tmp_path / "out", {"summary.csv": "x"})
    (out / "my_notes.txt").write_text("mine")
    refused = pytest.raises(OutputError, match=r"1 file\(s\) parksim did not write \(my_notes")
    with refused, atomic_folder(out, force=True):
        pass
    assert (out / "my_notes.txt").read_text() == "mine"


def test_a_file_added_while_running_is_kept(tmp_path: Path) -> None:
    out = _outputs(tmp_path / "out", {"summary.csv": "x"})
    with pytest.raises(OutputError, match="parksim did not write"), atomic_folder(out) as staging:
        (staging / "summary.csv").write_text("y")
        (out / "late.txt").write_text("written by the user during the run")
    assert (out / "late.txt").exists()
    assert (out / "summary.csv").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_changed_output_needs_force(tmp_path: Path) -> None:
    out = _outputs(tmp_path / "out", {"summary.csv": "x"})
    (out / "summary.csv").write_text("edited by hand")
    with pytest.raises(OutputError, match=r"changed since parksim wrote them.*--force"):
        check_output_folder(out)
    assert check_output_folder(out, force=True) == out.resolve()


def test_a_legacy_folder_with_run_json_is_recognised(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("x")
    from sim.outputs import file_sha256

    record = {
        "scenario_sha256": "0" * 64,
        "outputs": {"summary.csv": file_sha256(out / "summary.csv")},
    }
    (out / "run.json").write_text(json.dumps(record))
    assert check_output_folder(out) == out.resolve()
    (out / "extra.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"extra\.txt"):
        check_output_folder(out)


@pytest.mark.parametrize("raw", ["", "   "])
def test_the_empty_path_is_refused(raw: str) -> None:
    with pytest.raises(OutputError, match="names no path"):
        check_output_folder(raw)


def test_root_home_and_current_folder_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match="root of the file system"):
        check_output_folder("/")
    with pytest.raises(OutputError, match="your home folder"):
        check_output_folder("~")
    with pytest.raises(OutputError, match="the current folder"):
        check_output_folder(".")
    with pytest.raises(OutputError, match="a parent of the current folder"):
        check_output_folder("..")
    with pytest.raises(OutputError, match="the current folder"):
        check_output_folder(f"sub/../{'.'}")


def test_inputs_and_their_folders_are_refused(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    maps.mkdir()
    layer = maps / "parcels.gpkg"
    layer.write_bytes(b"layer")
    with pytest.raises(OutputError, match="contains an input"):
        check_output_folder(maps, inputs=[layer], force=True)
    with pytest.raises(OutputError, match="it is an input"):
        check_output_folder(layer, inputs=[layer], force=True)
    with pytest.raises(OutputError, match="lies inside an input"):
        check_output_folder(layer / "x", inputs=[layer])
    (tmp_path / "link").symlink_to(maps)
    with pytest.raises(OutputError, match="contains an input"):
        check_output_folder(tmp_path / "link", inputs=[layer])
    with pytest.raises(OutputError, match="contains an input"):
        check_output_folder(tmp_path / "other" / ".." / "maps", inputs=[layer])
    assert check_output_folder(maps / "run1", inputs=[layer]) == (maps / "run1").resolve()


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("mine")
    with pytest.raises(OutputError, match="it is a file, not a folder"):
        check_output_folder(report, force=True)


def test_a_parent_that_is_a_file_or_unwritable_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_output_folder(tmp_path / "file" / "out")
    read_only = pytest.raises(OutputError, match="cannot")  # even for root
    with read_only, atomic_folder("/proc/parksim-out"):
        pass


def test_stale_staging_of_a_dead_process_is_swept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    pid = dead_pid()
    dead = tmp_path / f".out.tmp-{pid}-abc"
    dead.mkdir()
    (dead / ".parksim-staging").touch()
    lookalike = tmp_path / f".out.tmp-{pid}-user"  # not parksim's: stays
    lookalike.mkdir()
    alive = tmp_path / f".out.tmp-{os.getpid()}-xyz"
    alive.mkdir()
    (alive / ".parksim-staging").touch()
    with atomic_folder(out) as staging:
        (staging / "new.txt").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", alive.name, lookalike.name])


def test_old_folder_left_aside_by_a_kill_is_restored(tmp_path: Path) -> None:
    kept = _outputs(tmp_path / "kept", {"old.txt": "old"})
    aside = tmp_path / f".out.old-{dead_pid()}"
    kept.rename(aside)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), atomic_folder(out):
        assert (out / "old.txt").read_text() == "old"
        raise RuntimeError("boom")
    assert (out / "old.txt").read_text() == "old"


def test_atomic_file_replaces_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "plan.toml"
    with atomic_file(target) as temporary:
        assert temporary.suffix == ".toml" and not temporary.exists()
        temporary.write_text("one")
    assert target.read_text() == "one"
    with pytest.raises(OutputError, match="the file exists"):
        check_output_file(target)
    with pytest.raises(RuntimeError), atomic_file(target, force=True) as temporary:
        temporary.write_text("two")
        raise RuntimeError("boom")
    assert target.read_text() == "one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.toml"]


def test_a_file_input_is_never_overwritten(tmp_path: Path) -> None:
    layer = tmp_path / "site.shp"
    layer.write_bytes(b"shp")
    (tmp_path / "site.dbf").write_bytes(b"dbf")
    inputs = layer_files(layer)
    assert (tmp_path / "site.dbf") in inputs
    for name in ("site.shp", "site.dbf"):
        with pytest.raises(OutputError, match="it is an input"):
            check_output_file(tmp_path / name, inputs=inputs, force=True)


def test_figure_mark_is_recognised(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    from sim.plot import save_figure

    fig, ax = plt.subplots()
    ax.plot([0, 1])
    for suffix in (".png", ".pdf", ".svg"):
        path = save_figure(fig, tmp_path / f"f{suffix}", dpi=30)
        assert figure_made_by_parksim(path)
        other = tmp_path / f"user{suffix}"
        fig.savefig(other, dpi=30)  # plain matplotlib: not parksim's
        assert not figure_made_by_parksim(other)
    plt.close(fig)
