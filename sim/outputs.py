"""Where parksim may write: output folders it owns, files it made, never an input.

Every writer (``run``, ``compare``, ``map``, ``init`` and any later one) goes through
this module, so one set of rules decides what a path given as ``--out`` may replace:

- **A folder** is replaced as a whole (:func:`atomic_folder`) only when it does not
  exist, is empty, or is a folder parksim wrote: it holds the marker file
  :data:`MARKER` listing every file parksim put there with its size and SHA-256
  (a folder written before the marker existed is recognised by its ``run.json``
  listing the same). It is refused when it holds a file parksim did not write (never
  overridable), a file parksim wrote but someone changed since (``force=True``
  replaces those), or when it is a file, the empty path, ``/``, the home folder, the
  current folder or one of their parents, or when it contains or lies inside an
  input (the scenario, its ``extends`` parents, every layer file).
- **A file** (:func:`atomic_file`) is replaced only when it is new, carries
  parksim's mark (for figures: the ``Software``/``Creator`` metadata that
  :func:`sim.plot.save_figure` writes), or ``force=True``; an input never.

Paths are judged after resolving ``..`` and symbolic links. Refusals are
:class:`~sim.errors.OutputError`: one message naming the path, why, and what to do.
Writes are atomic: a temporary sibling is renamed into place only when complete, so
a failed or killed writer leaves earlier outputs byte for byte as they were.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from sim.errors import OutputError

__all__ = [
    "MARKER",
    "atomic_file",
    "atomic_folder",
    "atomic_member",
    "check_output_file",
    "check_output_folder",
    "figure_made_by_parksim",
    "file_sha256",
    "layer_files",
]

#: Marker file in every output folder: JSON ``{"generator": "parksim", "version": …,
#: "files": {relative path: {"size": bytes, "sha256": …}}}``.
MARKER = ".parksim-output"
#: Marker of a staging folder still being written (what a killed run leaves behind).
_STAGING = ".parksim-staging"
#: Creator string written into figures' metadata; :func:`figure_made_by_parksim` reads it.
FIGURE_CREATOR = "parksim"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> file_sha256(p)[:12]
    'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def layer_files(layer: Path) -> tuple[Path, ...]:
    """List the files a GIS layer consists of: itself, and a Shapefile's sidecars.

    Examples
    --------
    >>> layer_files(Path("site.gpkg"))
    (PosixPath('site.gpkg'),)
    """
    files = [layer]
    if layer.suffix.lower() == ".shp":
        files += sorted(layer.parent.glob(f"{glob.escape(layer.stem)}.*"))
    return tuple(dict.fromkeys(files))


# --- judging a path ---------------------------------------------------------------


def _resolve(path: str | os.PathLike[str], option: str) -> tuple[str, Path]:
    raw = os.fspath(path)
    if raw.strip() == "":
        raise OutputError(
            f"{option} names no path (an empty string); parksim would write into the "
            f"current folder; give a folder name, e.g. {option} out/run1"
        )
    try:
        return raw, Path(raw).expanduser().resolve()
    except (OSError, RuntimeError) as exc:  # symlink loops
        raise OutputError(
            f"{option} {raw}: cannot resolve the path ({exc}); give a plain folder name"
        ) from None


def _related(path: Path, other: Path) -> bool:
    """Tell whether ``path`` is ``other``, contains it or lies inside it."""
    return path == other or path in other.parents or other in path.parents


def _protected(raw: str, path: Path, option: str, inputs: Iterable[Path]) -> None:
    """Refuse the paths no writer may replace, whatever ``force`` says."""
    what = {
        Path(path.anchor): "the root of the file system",
        Path.cwd().resolve(): "the current folder",
        Path.home().resolve(): "your home folder",
    }
    for place, name in what.items():
        if path == place or path in place.parents:
            whose = name if path == place else f"a parent of {name} ({place})"
            raise OutputError(
                f"{option} {raw}: refused — it is {whose}, and writing there would replace "
                f"everything in it; name a new folder for the outputs, e.g. {option} "
                "out/run1"
            )
    for source in inputs:
        source = Path(source).resolve()
        if _related(path, source):
            how = (
                "is"
                if path == source
                else ("contains" if path in source.parents else "lies inside")
            )
            raise OutputError(
                f"{option} {raw}: refused — it {how} an input of this run ({source}); "
                f"parksim never replaces its inputs; write the outputs elsewhere, e.g. "
                f"{option} out/run1"
            )


def check_output_folder(
    path: str | os.PathLike[str],
    *,
    inputs: Iterable[Path] = (),
    force: bool = False,
    option: str = "--out",
) -> Path:
    """Check that ``path`` may become (or be replaced by) a parksim output folder.

    Parameters
    ----------
    path
        The folder as the user named it.
    inputs
        Files the run reads; the folder may neither be, contain nor lie inside one.
    force
        Also replace files parksim wrote there that were changed since.
    option
        How the user named the path, for messages.

    Returns
    -------
    pathlib.Path
        The folder, resolved.

    Raises
    ------
    OutputError
        When the folder may not be replaced; the message says why and what to do.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_folder(base / "new") == (base / "new").resolve()
    True
    >>> _ = (base / "thesis").mkdir(); _ = (base / "thesis" / "ch1.tex").write_text("…")
    >>> check_output_folder(base / "thesis")
    Traceback (most recent call last):
    ...
    sim.errors.OutputError: --out .../thesis: refused — it is a folder parksim did not write ...
    """
    raw, folder = _resolve(path, option)
    _protected(raw, folder, option, inputs)
    if not folder.exists():
        if folder.is_symlink():  # a dangling link: do not write where it points
            raise OutputError(
                f"{option} {raw}: refused — it is a symbolic link to a missing "
                f"{os.readlink(folder)}; remove the link or name another folder"
            )
        _check_parent(raw, folder, option)
        return folder
    if not folder.is_dir():
        raise OutputError(
            f"{option} {raw}: refused — it is a file, not a folder; parksim writes a "
            f"folder of outputs; name a folder, e.g. {option} {folder.with_suffix('')}_out"
        )
    _check_parent(raw, folder, option)
    _check_owned(raw, folder, option, force=force)
    return folder


def _check_parent(raw: str, folder: Path, option: str) -> None:
    parent = folder.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(
            f"{option} {raw}: cannot create it — {parent} is a file, not a folder; "
            "name a folder elsewhere"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(
            f"{option} {raw}: cannot write there — {parent} is not writable for you; "
            "name a folder you can write to"
        )


def _listing(folder: Path) -> dict[str, Path]:
    return {
        path.relative_to(folder).as_posix(): path
        for path in folder.rglob("*")
        if not path.is_dir() or path.is_symlink()
    }


def _recorded(folder: Path) -> dict[str, dict[str, object]] | None:
    """Read what the marker (or a legacy ``run.json``) says parksim wrote; None if neither."""
    marker = folder / MARKER
    if marker.is_file() and not marker.is_symlink():
        try:
            record = json.loads(marker.read_text(encoding="utf-8"))
            files = record["files"]
            if record.get("generator") == "parksim" and isinstance(files, dict):
                return {str(k): dict(v) for k, v in files.items()} | {MARKER: {}}
        except (ValueError, KeyError, TypeError, AttributeError, OSError):
            return None
        return None
    run = folder / "run.json"  # written by parksim 0.1 before the marker existed
    if run.is_file() and not run.is_symlink():
        try:
            record = json.loads(run.read_text(encoding="utf-8"))
            outputs = record["outputs"]
            if "scenario_sha256" in record and isinstance(outputs, dict):
                listed: dict[str, dict[str, object]] = {
                    str(k): {"sha256": str(v)} for k, v in outputs.items()
                }
                return listed | {"run.json": {}}
        except (ValueError, KeyError, TypeError, OSError):
            return None
    return None


def _changed(path: Path, entry: dict[str, object]) -> bool:
    if "sha256" not in entry:
        return False  # the marker itself, or run.json of a legacy folder
    if path.is_symlink() or not path.is_file():
        return True
    if "size" in entry and path.stat().st_size != entry["size"]:
        return True
    return file_sha256(path) != entry["sha256"]


def _check_owned(raw: str, folder: Path, option: str, *, force: bool) -> None:
    present = _listing(folder)
    if not present:
        return  # an empty folder: nothing to lose
    recorded = _recorded(folder)
    if recorded is None:
        shown = ", ".join(sorted(present)[:3]) + (", …" if len(present) > 3 else "")
        raise OutputError(
            f"{option} {raw}: refused — it is a folder parksim did not write (it holds "
            f"{len(present)} file(s): {shown}) and replacing it would delete them; name a "
            f"new or empty folder, e.g. {option} {Path(raw) / 'parksim'}"
        )
    foreign = sorted(name for name in present if name not in recorded)
    if foreign:
        shown = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
        raise OutputError(
            f"{option} {raw}: refused — this parksim output folder also holds "
            f"{len(foreign)} file(s) parksim did not write ({shown}), which replacing it "
            "would delete; move them out of the folder, or name another folder"
        )
    changed = sorted(name for name, entry in recorded.items() if name in present and
                     _changed(present[name], entry))  # fmt: skip
    if changed and not force:
        shown = ", ".join(changed[:3]) + (", …" if len(changed) > 3 else "")
        raise OutputError(
            f"{option} {raw}: refused — {len(changed)} output file(s) were changed since "
            f"parksim wrote them ({shown}); copy what you need elsewhere, then pass "
            "--force to replace them, or name another folder"
        )


def check_output_file(
    path: str | os.PathLike[str],
    *,
    inputs: Iterable[Path] = (),
    force: bool = False,
    option: str = "--out",
    made_by_parksim: Callable[[Path], bool] | None = None,
) -> Path:
    """Check that ``path`` may be written as one file (created, or replaced).

    Parameters
    ----------
    path
        The file as the user named it.
    inputs
        Files the command reads; ``path`` may be none of them nor lie inside one.
    force
        Replace an existing file that parksim did not make.
    option
        How the user named the path, for messages.
    made_by_parksim
        Tells whether an existing file is parksim's own (then it is replaced without
        ``force``); default: none is.

    Returns
    -------
    pathlib.Path
        The file, resolved.

    Raises
    ------
    OutputError
        When the file may not be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> mine = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = mine.write_text("mine")
    >>> check_output_file(mine)
    Traceback (most recent call last):
    ...
    sim.errors.OutputError: --out .../notes.txt: refused — the file exists ...
    >>> check_output_file(mine, force=True) == mine.resolve()
    True
    """
    raw, target = _resolve(path, option)
    for source in inputs:
        source = Path(source).resolve()
        if target == source or source in target.parents:
            raise OutputError(
                f"{option} {raw}: refused — it is an input of this command ({source}); "
                "parksim never overwrites its inputs; name another file"
            )
    if target.exists() or target.is_symlink():
        if target.is_dir():
            raise OutputError(
                f"{option} {raw}: refused — it is a folder; name a file inside it, e.g. "
                f"{option} {Path(raw) / target.name}{target.suffix or '.png'}"
            )
        if not target.is_file():
            raise OutputError(
                f"{option} {raw}: refused — it is not a regular file (a device, socket or "
                "pipe); name a file"
            )
        if not force and not (made_by_parksim is not None and made_by_parksim(target)):
            raise OutputError(
                f"{option} {raw}: refused — the file exists and parksim did not write it; "
                "choose another name, or pass --force to replace it"
            )
    _check_parent(raw, target, option)
    return target


def figure_made_by_parksim(path: Path) -> bool:
    r"""Whether a PNG, PDF or SVG carries the creator mark :func:`sim.plot.save_figure` writes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.png"
    >>> _ = p.write_bytes(b"\\x89PNG")
    >>> figure_made_by_parksim(p)
    False
    """
    creator = re.escape(FIGURE_CREATOR.encode())
    marks = {  # how matplotlib writes the metadata save_figure passes
        ".png": rb"tEXtSoftware\x00" + creator,
        ".pdf": rb"/Creator \(" + creator + rb"\)",
        ".svg": rb"<dc:creator>\s*<cc:Agent>\s*<dc:title>" + creator + rb"</dc:title>",
    }
    mark = marks.get(path.suffix.lower())
    if mark is None or not path.is_file() or path.stat().st_size > 512 << 20:
        return False
    with path.open("rb") as handle:
        return re.search(mark, handle.read()) is not None


# --- writing ------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_folder(
    destination: str | os.PathLike[str],
    *,
    inputs: Iterable[Path] = (),
    force: bool = False,
    option: str = "--out",
) -> Iterator[Path]:
    """Yield a fresh staging folder that replaces ``destination`` on success.

    ``destination`` is first checked with :func:`check_output_folder` (again just
    before the swap, in case files appeared meanwhile). The staging folder
    ``.<name>.tmp-<pid>-<random>`` is a sibling of ``destination`` (same file system,
    so renames are atomic). On an exception it is removed and ``destination`` is left
    untouched. On success the marker :data:`MARKER` is written and the two are
    exchanged in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere the
    old folder is first renamed aside to ``.<name>.old-<pid>``), and the old outputs
    are deleted.

    A run killed outright (SIGKILL, power loss) cannot clean up: it leaves at most a
    staging folder beside an intact ``destination``. The next run removes such folders
    of dead processes (only those marked as parksim's staging), and puts back an old
    folder that a kill between the two renames of the fallback left aside.

    Parameters
    ----------
    destination
        The output folder to create or replace.
    inputs, force, option
        As for :func:`check_output_folder`.

    Raises
    ------
    OutputError
        When ``destination`` may not be replaced, or cannot be created.
    """
    folder = check_output_folder(destination, inputs=inputs, force=force, option=option)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        _sweep(folder)
        staging = Path(
            tempfile.mkdtemp(prefix=f".{folder.name}.tmp-{os.getpid()}-", dir=folder.parent)
        )
    except OSError as exc:
        raise OutputError(
            f"{option} {os.fspath(destination)}: cannot create it ({exc.strerror or exc}); "
            "name a folder you can write to"
        ) from None
    (staging / _STAGING).touch()
    try:
        yield staging
        (staging / _STAGING).unlink()
        _write_marker(staging)
        if folder.exists():
            check_output_folder(destination, inputs=inputs, force=force, option=option)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if folder.exists() and _exchange(staging, folder):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the old outputs
        return
    backup = None
    if folder.exists():
        backup = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        folder.rename(backup)
    staging.rename(folder)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def _write_marker(staging: Path) -> None:
    from sim import __version__

    files = {
        name: {"size": path.stat().st_size, "sha256": file_sha256(path)}
        for name, path in sorted(_listing(staging).items())
    }
    record = {"generator": "parksim", "version": __version__, "files": files}
    (staging / MARKER).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


@contextlib.contextmanager
def atomic_file(
    destination: str | os.PathLike[str],
    *,
    inputs: Iterable[Path] = (),
    force: bool = False,
    option: str = "--out",
    made_by_parksim: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    """Yield a temporary sibling path that replaces ``destination`` on success.

    ``destination`` is checked with :func:`check_output_file` first; its folder is
    created. The temporary path has ``destination``'s suffix (writers pick formats by
    it) and does not exist yet. On an exception it is removed and ``destination`` left
    as it was.

    Parameters
    ----------
    destination
        The file to create or replace.
    inputs, force, option, made_by_parksim
        As for :func:`check_output_file`.
    """
    target = check_output_file(
        destination, inputs=inputs, force=force, option=option, made_by_parksim=made_by_parksim
    )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=f".{target.stem}.tmp-{os.getpid()}-", suffix=target.suffix, dir=target.parent
        )
    except OSError as exc:
        raise OutputError(
            f"{option} {os.fspath(destination)}: cannot create it ({exc.strerror or exc}); "
            "name a file in a folder you can write to"
        ) from None
    os.close(handle)
    temporary = Path(name)
    temporary.unlink()
    try:
        yield temporary
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_member(
    folder: str | os.PathLike[str],
    name: str,
    *,
    force: bool = False,
    option: str = "OUTDIR",
) -> Iterator[Path]:
    """Yield a temporary path that replaces the file ``name`` of a parksim folder.

    For commands that rebuild one output of an existing run (``parksim report``):
    ``folder`` must be a folder parksim wrote (:func:`check_output_folder`, so
    nothing foreign is in it and, without ``force``, nothing was edited). On success
    the file is renamed into place and the marker :data:`MARKER` records its new size
    and hash, so the folder stays parksim's own; on an exception nothing changes.

    Parameters
    ----------
    folder
        The output folder.
    name
        The file's name inside it (``report.html``).
    force, option
        As for :func:`check_output_folder`.

    Raises
    ------
    OutputError
        When ``folder`` is not an existing parksim output folder, or may not be
        replaced.
    """
    target = check_output_folder(folder, force=force, option=option)
    if _recorded(target) is None or not (target / MARKER).is_file():
        raise OutputError(
            f"{option} {os.fspath(folder)}: not a parksim output folder (no {MARKER}); "
            "name the folder of a parksim run, e.g. out/qingdao_2012"
        )
    handle, raw = tempfile.mkstemp(
        prefix=f".{Path(name).stem}.tmp-{os.getpid()}-", suffix=Path(name).suffix, dir=target
    )
    os.close(handle)
    temporary = Path(raw)
    temporary.unlink()
    try:
        yield temporary
        os.replace(temporary, target / name)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    record = json.loads((target / MARKER).read_text(encoding="utf-8"))
    record["files"][name] = {
        "size": (target / name).stat().st_size,
        "sha256": file_sha256(target / name),
    }
    marker = target / f".{MARKER}.tmp-{os.getpid()}"
    marker.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    os.replace(marker, target / MARKER)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically; False where the system cannot (then nothing changed)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:  # glibc < 2.28, musl
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return bool(done == 0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _sweep(destination: Path) -> None:
    """Remove what runs into ``destination`` that were killed left behind.

    Only parksim's own leftovers go: a staging folder carries :data:`_STAGING`, an old
    folder set aside carries :data:`MARKER`; anything else of a similar name stays.
    """
    pattern = re.compile(rf"^\.{re.escape(destination.name)}\.(tmp|old)-(\d+)(-.*)?$")
    for path in destination.parent.iterdir():
        match = pattern.match(path.name)
        if match is None or path.is_symlink() or not path.is_dir() or _alive(int(match[2])):
            continue
        if match[1] == "tmp" and (path / _STAGING).is_file():
            shutil.rmtree(path, ignore_errors=True)
        elif match[1] == "old" and _recorded(path) is not None:
            if not destination.exists():
                path.rename(destination)  # killed between the two renames: restore
            else:
                shutil.rmtree(path, ignore_errors=True)
