"""Where commands write, and what they may replace: one rule for every output place.

Every command that writes (``run``, ``batch``, ``sweep``, ``report``) resolves its output
place here before any work starts:

* a name that becomes a folder (a scenario's or a spec's ``name``) must be a plain name:
  not empty, not ``.`` or ``..``, no path separators; its folder must stay inside
  ``results/``;
* a path given with ``--out`` must not be empty, must not lie under a regular file, and
  its place must be writable;
* an existing output is reused or replaced only if it is this command's own kind (a run
  folder for ``run``, a results folder of the same experiment for ``batch``/``sweep``
  (``--force`` allows another experiment's), a report folder for ``report``), judged
  from what the tool itself writes there (its manifest, its file names). An empty folder
  is fine. Anything else is refused and left untouched.

A refusal is an :class:`OutputError` (exit code 2, one line naming the place).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from sim.errors import InputError

RESULTS_DIR = Path("results")  # the documented default place, relative to the current folder
Kind = Literal["run", "results", "report"]

KIND_NAMES: dict[str, str] = {
    "run": "a run folder (`govsim run`)",
    "results": "a batch, sweep, optimise or discover results folder",
    "report": "a report folder (`govsim report`)",
    "other": "a folder govsim did not write",
}
# What the tool writes into each kind of folder (hidden staging names aside).
RUN_FILES = frozenset({"daily.parquet", "issues.parquet", "summary.json", "scenario.toml",
                       "manifest.json", "task.json"})
REPORT_FILES = frozenset({"report.html", "report.md", "figures", "tables"})
MAX_NAME = 200  # bytes; file systems allow 255 per name, staging adds a prefix and suffix


class OutputError(InputError):
    """An output place that is unsafe, impossible or holds something else."""


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a folder under ``results/`` (``None`` if it can)."""
    if not isinstance(name, str) or not name.strip():
        return "must not be empty"
    if name != name.strip():
        return "must not start or end with a space"
    if name in (".", ".."):
        return f"{name!r} is not a name"
    if "/" in name or "\\" in name:
        return "must be a plain name, not a path (no '/' or '\\')"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "must not contain control characters"
    if len(name.encode("utf-8")) > MAX_NAME:
        return f"too long for a folder name (at most {MAX_NAME} bytes)"
    return None


def default_place(name: str, origin: str, key: str = "name") -> Path:
    """``results/<name>``, refusing a name that is empty, a path or leaves ``results/``."""
    problem = name_problem(name)
    if problem is None:
        place = RESULTS_DIR / name
        base = RESULTS_DIR.resolve()
        if not (base / name).resolve().is_relative_to(base) or (base / name).resolve() == base:
            problem = "leaves the results folder"
        else:
            return place
    raise OutputError(f"{origin}: {key}: {problem} (it names the output folder "
                      f"{RESULTS_DIR}/<{key}>); change it or pass --out DIR")


def kind_of(folder: Path) -> str:
    """What an existing folder holds: ``empty``, ``run``, ``results``, ``report``, ``other``."""
    try:
        entries = {p.name for p in folder.iterdir()}
    except OSError:
        return "other"
    visible = {e for e in entries if not (e.startswith(".") and e.endswith((".tmp", ".old")))}
    if not visible:
        return "empty"
    manifest = _manifest(folder / "manifest.json")
    if visible <= RUN_FILES and {"scenario", "seed", "days"} <= manifest.keys():
        return "run"
    # A batch or sweep only adds to its folder (a user's notes beside the runs stay).
    if manifest.get("kind") in ("batch", "sweep", "optimise", "discover") \
            and "experiment" in manifest:
        return "results"
    if not manifest and visible <= {"runs", ".lock", ".tmp"}:  # interrupted at start
        return "results"
    if visible <= REPORT_FILES and {"report.html", "report.md"} <= visible:
        return "report"
    return "other"


def _manifest(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def resolve_output(
    out: str | os.PathLike[str] | None,
    kind: Kind,
    *,
    default: Path | None,
    origin: str,
    flag: str = "--out",
    experiment: tuple[str, str] | None = None,
    force: bool = False,
) -> Path:
    """The folder a command will write, checked before any work starts.

    ``out`` is the user's ``--out``; without it, ``default`` (already checked with
    :func:`default_place`) is used. ``experiment`` is ``(name, kind)`` of a batch or
    sweep, whose results folder may be resumed; another experiment's is refused unless
    ``force``.
    Raises :class:`OutputError`; writes nothing.
    """
    if out is None:
        if default is None:
            raise OutputError(f"{origin}: no output place given")
        place, shown = Path(default), f"{default}"
    else:
        text = os.fspath(out)
        if not text.strip():
            raise OutputError(f"{flag} {text!r}: empty path; give a folder"
                              f"{f', e.g. {default}' if default else ''}")
        if "\x00" in text:
            raise OutputError(f"{flag}: a path cannot contain a NUL character")
        place, shown = Path(text), f"{flag} {text}"
    if place.exists() or place.is_symlink():
        _check_existing(place, kind, shown, origin, experiment, force)
    _check_writable(place, shown)
    return place


def _check_existing(place: Path, kind: Kind, shown: str, origin: str,
                    experiment: tuple[str, str] | None, force: bool) -> None:
    if not place.is_dir():
        raise OutputError(f"{shown}: exists and is not a folder; nothing was changed; "
                          "choose another place (--out DIR)")
    found = kind_of(place)
    if found == "empty" or (found == kind and kind != "results"):
        return
    if found == kind:  # a results folder: resume it if it is this experiment's
        manifest = _manifest(place / "manifest.json")
        if experiment is None or not manifest:
            return
        name, exp_kind = experiment
        theirs = (manifest.get("experiment"), manifest.get("kind"))
        if theirs == (name, exp_kind) or force:
            return
        raise OutputError(f"{shown}: holds the results of {theirs[1]} {theirs[0]!r}, not of "
                          f"{exp_kind} {name!r}; nothing was changed; choose another --out, "
                          "or pass --force to replace them")
    raise OutputError(f"{shown}: exists and is {KIND_NAMES[found]}, not "
                      f"{KIND_NAMES[kind]}; nothing was changed; choose another place "
                      "(--out DIR); --force never replaces what govsim did not write")


def _check_writable(place: Path, shown: str) -> None:
    """Refuse a place under a regular file, or whose nearest existing folder is read-only."""
    absolute = Path(os.path.abspath(place))
    for parent in absolute.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{shown}: {parent} is a file, not a folder; "
                                  "choose another place (--out DIR)")
            anchor = absolute if absolute.is_dir() else parent
            break
    else:  # pragma: no cover - the root always exists
        anchor = Path(absolute.anchor)
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise OutputError(f"{shown}: cannot write in {anchor} (permission denied); "
                          "choose another place (--out DIR)")
    try:  # access() says yes to root everywhere; a real folder creation tells the truth
        probe = tempfile.mkdtemp(prefix=".govsim-probe-", dir=anchor)
        os.rmdir(probe)
    except OSError as exc:
        raise OutputError(f"{shown}: cannot write in {anchor} ({exc.strerror or exc}); "
                          "choose another place (--out DIR)") from None


@contextlib.contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A fresh hidden folder beside ``target`` to write into; when the block finishes it
    replaces ``target`` (all files or none: readers see the old folder or the new one),
    and if the block raises it is removed and ``target`` is left as it was. Every command
    writes its folder this way (a run, a report, a fit of work orders)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield staging
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
