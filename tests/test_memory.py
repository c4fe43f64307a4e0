"""sim.memory: the huge-page switch the command line makes before it runs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from numpy._core import multiarray

from sim.memory import avoid_huge_page_stalls


@pytest.fixture
def numpy_pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Leave numpy's huge-page advice and the environment as they were."""
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    before = multiarray._get_madvise_hugepage()
    yield
    multiarray._set_madvise_hugepage(before)


def _defrag(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "defrag"
    path.write_text(text, encoding="ascii")
    return path


@pytest.mark.usefixtures("numpy_pages")
def test_switches_numpy_advice_off_where_the_kernel_compacts_on_demand(tmp_path: Path) -> None:
    multiarray._set_madvise_hugepage(True)
    setting = _defrag(tmp_path, "always defer defer+madvise [madvise] never\n")
    assert avoid_huge_page_stalls(defrag=setting)
    assert multiarray._get_madvise_hugepage() is False
    assert os.environ["NUMPY_MADVISE_HUGEPAGE"] == "0"  # Dask workers started from here


@pytest.mark.usefixtures("numpy_pages")
@pytest.mark.parametrize("text", ["always [defer] defer+madvise madvise never", "[never]", ""])
def test_keeps_huge_pages_where_the_kernel_does_not_stall(tmp_path: Path, text: str) -> None:
    multiarray._set_madvise_hugepage(True)
    assert not avoid_huge_page_stalls(defrag=_defrag(tmp_path, text))
    assert multiarray._get_madvise_hugepage() is True


@pytest.mark.usefixtures("numpy_pages")
def test_never_overrides_the_users_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    multiarray._set_madvise_hugepage(True)
    assert not avoid_huge_page_stalls(defrag=_defrag(tmp_path, "[always] madvise never"))
    assert multiarray._get_madvise_hugepage() is True


@pytest.mark.usefixtures("numpy_pages")
def test_no_setting_to_read_changes_nothing(tmp_path: Path) -> None:
    assert not avoid_huge_page_stalls(defrag=tmp_path / "missing")
