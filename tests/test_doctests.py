"""The doctests in sim/ run with the suite, and collecting them is safe.

``--doctest-modules`` (pyproject.toml) imports every module of sim/ to find its
Examples; so importing any of them must run nothing, print nothing and write nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_pytest_collects_the_doctests_of_sim() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_options = config["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in pytest_options["addopts"].split()
    assert "sim" in pytest_options["testpaths"]


def test_every_module_imports_without_side_effects(tmp_path: Path) -> None:
    code = (
        "import importlib, pkgutil, sim\n"
        "for module in pkgutil.walk_packages(sim.__path__, 'sim.'):\n"
        "    if module.name.rsplit('.', 1)[-1] != '__main__':  # pytest skips these too\n"
        "        importlib.import_module(module.name)\n"
    )
    env = {"HOME": str(tmp_path / "home"), "MPLCONFIGDIR": str(tmp_path / "mpl")}
    (tmp_path / "cwd").mkdir()
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path / "cwd",
        env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")
    assert list((tmp_path / "cwd").iterdir()) == []
    assert not (tmp_path / "home").exists()
