"""A sweep's result store: one Parquet file per finished variant, and a manifest.

``DIR/variants/<key>.parquet`` holds a finished variant's target table (the key is
:func:`sim.sweep.run.variant_key`: the variant's resolved scenario, seed and draws);
``DIR/manifest.parquet`` lists every variant's status (``ok`` or ``failed`` with its
message), time and the session that computed it. Each file is written atomically
(:func:`sim.outputs.atomic_file`) the moment its variant finishes, so a killed sweep
loses at most the variants then running; on reopening, the variant files are the truth
(a manifest that lags is completed from them) and finished variants are never computed
again. The folder is marked ``.parksim-sweep``: a folder without the mark is taken only
when :func:`sim.outputs.check_output_folder` allows it (new, empty or parksim's own).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.outputs import atomic_file, check_output_folder

__all__ = ["MANIFEST_COLUMNS", "SWEEP_MARK", "Store"]

#: The mark of a sweep's folder (JSON: the sweep file and its name).
SWEEP_MARK = ".parksim-sweep"
#: Columns of ``manifest.parquet``.
MANIFEST_COLUMNS = ("key", "variant", "status", "message", "seconds", "session", "finished")


class Store:
    """The results of one sweep's variants in a folder (see the module docstring).

    Use :meth:`open`.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.variants = folder / "variants"
        self._manifest: dict[str, dict[str, Any]] = {}
        self._flushed = 0.0

    @classmethod
    def open(cls, folder: str | Path, *, sweep: Path, inputs: Iterable[Path] = ()) -> Store:
        """Open a sweep's folder, creating it (and its mark) when new.

        Raises
        ------
        OutputError
            When ``folder`` is not a sweep folder and may not become one.
        """
        folder = Path(folder)
        if not (folder / SWEEP_MARK).is_file():
            folder = check_output_folder(folder, inputs=inputs)
            (folder / "variants").mkdir(parents=True, exist_ok=True)
            mark = {"generator": "parksim", "sweep": str(sweep)}
            (folder / SWEEP_MARK).write_text(json.dumps(mark) + "\n", encoding="utf-8")
        store = cls(folder.resolve())
        store.variants.mkdir(exist_ok=True)
        store._load()
        return store

    def _write(self, path: Path) -> Any:
        return atomic_file(path, made_by_parksim=lambda p: p.parent in (self.folder, self.variants))

    def _load(self) -> None:
        path = self.folder / "manifest.parquet"
        if path.is_file():
            table = pd.read_parquet(path)
            self._manifest = {
                str(r["key"]): {str(k): v for k, v in r.items()} for r in table.to_dict("records")
            }
        for key in self.done():
            row = self._manifest.get(key)
            if row is None or row["status"] != "ok":  # the manifest lagged behind a kill
                first = pd.read_parquet(self._file(key)).iloc[0]
                self._manifest[key] = {
                    "key": key,
                    "variant": str(first["variant"]),
                    "status": "ok",
                    "message": "",
                    "seconds": float(first["seconds"]),
                    "session": str(first["session"]),
                    "finished": str(first["finished"]),
                }

    def _file(self, key: str) -> Path:
        return self.variants / f"{key}.parquet"

    def done(self) -> set[str]:
        """Keys of the variants finished (their result file exists)."""
        return {p.stem for p in self.variants.glob("*.parquet") if not p.name.startswith(".")}

    def put(
        self, key: str, variant: str, table: pd.DataFrame, *, seconds: float, session: str
    ) -> None:
        """Store a finished variant's table (and note it in the manifest)."""
        finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        stamped = table.assign(
            key=key, variant=variant, seconds=seconds, session=session, finished=finished
        )
        with self._write(self._file(key)) as temporary:
            stamped.to_parquet(temporary, engine="pyarrow", index=False)
        self._note(key, variant, "ok", "", seconds, session, finished)

    def fail(self, key: str, variant: str, message: str, *, seconds: float, session: str) -> None:
        """Note a failed variant in the manifest."""
        finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self._note(key, variant, "failed", message, seconds, session, finished)

    def _note(self, key: str, *fields: Any) -> None:
        self._manifest[key] = dict(zip(MANIFEST_COLUMNS, (key, *fields), strict=True))
        if time.monotonic() - self._flushed > 1.0:
            self.flush()

    def flush(self) -> None:
        """Write ``manifest.parquet`` now."""
        rows = [self._manifest[k] for k in sorted(self._manifest)]
        table = pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))
        with self._write(self.folder / "manifest.parquet") as temporary:
            table.to_parquet(temporary, engine="pyarrow", index=False)
        self._flushed = time.monotonic()

    def manifest(self) -> pd.DataFrame:
        """Every variant noted so far: :data:`MANIFEST_COLUMNS`."""
        rows = [self._manifest[k] for k in sorted(self._manifest)]
        return pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))

    def read(self, key: str) -> pd.DataFrame:
        """Read a finished variant's stored table."""
        return pd.read_parquet(self._file(key))
