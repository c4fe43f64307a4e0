"""Atomic output folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.export import atomic_folder


def test_success_replaces_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with atomic_folder(out) as staging:
        (staging / "new.txt").write_text("new")
        assert not (out / "new.txt").exists()
    assert (out / "new.txt").read_text() == "new"
    assert not (out / "old.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failure_leaves_folder_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(out) as staging:
        (staging / "partial.txt").write_text("partial")
        raise RuntimeError("boom")
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failure_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "fresh"
    with pytest.raises(RuntimeError), atomic_folder(out):
        raise RuntimeError("boom")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
