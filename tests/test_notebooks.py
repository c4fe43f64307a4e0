"""Every notebook runs top to bottom in a fresh kernel, so none can rot unnoticed.

Notebooks may use only the public API: ``import sim`` names and ``sim.plot``.
"""

from __future__ import annotations

import ast
import queue
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PUBLIC = {"sim", "sim.plot"}


def _client_class() -> type:
    from nbclient import NotebookClient

    class Client(NotebookClient):  # type: ignore[misc]
        """nbclient that polls for the kernel's replies in short slices.

        nbclient can miss the reply to a cell that shows ipywidgets and wait for the
        whole cell timeout before it sees it (jupyter/nbclient#312); polling again every
        half second finds it at once.
        """

        async def async_start_new_kernel_client(self) -> Any:
            client = await super().async_start_new_kernel_client()
            channel = client.shell_channel
            get_msg = channel.get_msg

            async def sliced(timeout: float | None = None) -> Any:
                deadline = None if timeout is None else time.monotonic() + timeout
                while True:
                    left = 0.5 if deadline is None else deadline - time.monotonic()
                    try:
                        return await get_msg(timeout=max(0.0, min(0.5, left)))
                    except queue.Empty:
                        if deadline is not None and time.monotonic() >= deadline:
                            raise

            channel.get_msg = sliced
            return client

    return Client


def _code(path: Path) -> list[str]:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def test_there_are_notebooks() -> None:
    assert {p.name for p in NOTEBOOKS} >= {"buildout_explorer.ipynb", "report_figures.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_public_api_only(path: Path) -> None:
    for source in _code(path):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim"):
                assert node.module in PUBLIC, f"{path.name}: from {node.module} import …"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("sim"):
                        assert alias.name in PUBLIC, f"{path.name}: import {alias.name}"
            is_name = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            if is_name and node.value.id == "sim":  # type: ignore[attr-defined]
                import sim

                attr = node.attr  # type: ignore[attr-defined]
                assert attr in sim.__all__ or attr == "plot", f"{path.name}: sim.{attr} is private"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat

    client_class = _client_class()
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend, as in Jupyter
    monkeypatch.setenv("PARKSIM_FIGURES", str(tmp_path / "figures"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # silences jupyter_core's migration notice
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    notebook = nbformat.read(path, as_version=4)
    client = client_class(
        notebook,
        timeout=120,  # per cell
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    images = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert images, "no figure was shown"
    if path.name == "report_figures.ipynb":
        assert len(list((tmp_path / "figures").glob("*.png"))) >= 4
