"""The scenario picker: lists the files in ``scenarios/`` and opens nothing outside it.

Every way a scenario reaches the page (the ``govsim viz`` argument, the page's
``?scenario=`` address, the picker) goes through :func:`resolve_scenario`, which
refuses ``..``, paths whose real location (after symlinks) is outside the folder, files
that are not ``.toml``, and a file whose ``extends`` chain leads outside the folder.
The page runs community or street scale only (:func:`check_page_scale`): a district or
city file (``pilot_f35.toml``: 9.5 M residents) is left out of the picker and refused,
and runs with ``govsim run`` / ``govsim batch``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from sim.errors import InputError
from sim.limits import MAX_EXTENDS

if TYPE_CHECKING:
    from sim.scenario import Scenario

ENV_DIR = "GOVSIM_SCENARIOS_DIR"
ENV_SCENARIO = "GOVSIM_VIZ_SCENARIO"  # the scenario `govsim viz` was given
SAVED_SUBDIR = "saved"  # scenarios saved from the page (see sim.viz.save)


class ScenarioRefused(InputError):
    """A scenario path outside ``scenarios/`` (or not a scenario file there)."""


class ScenarioTooLarge(ScenarioRefused):
    """A scenario above street scale: the page would take minutes a day to draw it."""


MAX_NAME = 200  # characters in a scenario reference (the page's address, the picker)
MAX_PART = 255  # bytes in one part of a path (most file systems' limit)
SHOWN = 60  # characters of a refused name shown back


def short(text: str) -> str:
    """A name as shown in a one-line message: at most ``SHOWN`` characters."""
    return text if len(text) <= SHOWN else text[:SHOWN - 1] + "…"


PAGE_SCALES: tuple[str, ...] = ("community", "street")
# The street preset's 12 communities (sim.scenario.SCALE_PRESETS, checked by a test):
# what the page can step and draw every frame. Not imported here, so that `govsim`
# starts without loading the scenario schema.
MAX_PAGE_COMMUNITIES = 12


def check_page_scale(scenario: Scenario, shown: str) -> None:
    """Refuse a scenario above street scale (by its preset or its community count)."""
    lay = scenario.layout
    if lay.scale in PAGE_SCALES and lay.communities <= MAX_PAGE_COMMUNITIES:
        return
    raise ScenarioTooLarge(
        f"{shown}: layout.scale = \"{lay.scale}\" ({lay.communities:,} communities, "
        f"{lay.residents:,} residents): the workshop page runs community or street scale "
        f"(up to {MAX_PAGE_COMMUNITIES} communities); use govsim run or govsim batch for "
        "this file")


def load_for_page(ref: str | os.PathLike[str], root: Path | None = None, *,
                  allow_outside_spelling: bool = False) -> tuple[Path, Scenario]:
    """Resolve ``ref`` (:func:`resolve_scenario`), load it and check it fits the page."""
    from sim.scenario import load_scenario

    real = resolve_scenario(ref, root, allow_outside_spelling=allow_outside_spelling)
    scenario = load_scenario(real)
    check_page_scale(scenario, os.fspath(ref).strip())
    return real, scenario


def scenarios_dir() -> Path:
    """The scenario folder: ``$GOVSIM_SCENARIOS_DIR``, else the repository's ``scenarios/``."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2] / "scenarios"
    return repo if repo.is_dir() else Path.cwd() / "scenarios"


def list_scenarios(root: Path | None = None) -> list[str]:
    """Names (relative to the folder) of the scenario files the picker offers: the
    folder's own files, then those saved from the page (``saved/NAME.toml``). Files
    above street scale are left out; a broken file stays (picked, it shows its error)."""
    root = scenarios_dir() if root is None else root
    if not root.is_dir():
        return []
    names = []
    paths = sorted(root.glob("*.toml")) + sorted((root / SAVED_SUBDIR).glob("*.toml"))
    for path in paths:
        name = path.relative_to(root).as_posix()
        try:
            load_for_page(name, root)
        except ScenarioRefused:
            continue
        except InputError:
            pass
        names.append(name)
    return names


def resolve_scenario(ref: str | os.PathLike[str], root: Path | None = None, *,
                     allow_outside_spelling: bool = False) -> Path:
    """The real path of scenario ``ref``, which must be a ``.toml`` file in ``root``.

    ``ref`` is a name relative to the folder (``staffing_22_per_10k.toml``, or without
    ``.toml``). With ``allow_outside_spelling`` (the command line), it may also be a path
    as typed in a shell (``scenarios/x.toml``, an absolute path) as long as the file it
    names really is in the folder.
    """
    root = scenarios_dir() if root is None else root
    raw = os.fspath(ref).strip()
    if not raw:
        raise ScenarioRefused("scenario: empty name; pick a file in scenarios/")
    if "\x00" in raw:
        raise ScenarioRefused("scenario: invalid name")
    shown = short(raw)
    if len(raw) > MAX_NAME or any(len(part.encode()) > MAX_PART for part in PurePath(raw).parts):
        # the OS would answer "File name too long" (an OSError, not a refusal)
        raise ScenarioRefused(f"{shown}: refused: a scenario name is at most {MAX_NAME} "
                              f"characters ({MAX_PART} bytes a part); pick a file in "
                              "scenarios/")
    pure = PurePath(raw)
    if ".." in pure.parts:
        raise ScenarioRefused(f"{shown}: refused: '..' is not allowed; pick a file in {root}/")
    if pure.is_absolute() and not allow_outside_spelling:
        raise ScenarioRefused(f"{shown}: refused: absolute paths are not allowed; "
                              f"pick a file in {root}/")
    if not pure.suffix:
        pure = pure.with_suffix(".toml")
    if pure.suffix != ".toml":
        raise ScenarioRefused(f"{shown}: refused: a scenario is a .toml file in {root}/")
    candidate = Path(pure)
    if not candidate.is_absolute():
        typed = Path.cwd() / candidate
        in_root = root / candidate
        candidate = typed if allow_outside_spelling and typed.exists() else in_root
    real_root = root.resolve()
    try:
        real = candidate.resolve()
        is_file = real.is_file()
    except OSError as exc:  # a loop of links, a name the OS refuses: a refusal, one line
        raise ScenarioRefused(f"{shown}: refused: {exc.strerror or 'cannot be opened'}; "
                              "pick a file in scenarios/") from None
    if not real.is_relative_to(real_root):
        raise ScenarioRefused(f"{shown}: refused: outside the scenarios folder {root}/")
    if not is_file:
        raise ScenarioRefused(f"{shown}: no such scenario file in {root}/")
    _check_extends(real, real_root, shown, seen=())
    return real


def _check_extends(path: Path, real_root: Path, shown: str, seen: tuple[Path, ...]) -> None:
    """Follow ``extends`` and refuse a parent outside the folder (the loader reports loops)."""
    if path in seen:
        return
    if len(seen) > MAX_EXTENDS:  # the loader gives the one-line error for a deep chain
        return
    try:
        parent = tomllib.loads(path.read_text(encoding="utf-8")).get("extends")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return  # the scenario loader gives the one-line error for a broken file
    if not isinstance(parent, str):
        return
    # A saved scenario extends "../file.toml": fine while its real target stays inside.
    target = (path.parent / parent).resolve()
    if PurePath(parent).is_absolute() or not target.is_relative_to(real_root):
        raise ScenarioRefused(f"{shown}: refused: extends {parent!r}, outside the scenarios "
                              "folder")
    _check_extends(target, real_root, shown, (*seen, path))
