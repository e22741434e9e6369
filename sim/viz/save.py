""""Save as scenario": the picked file plus the moved levers, as a scenario file of its own.

The file goes to the user folder ``scenarios/saved/`` and nowhere else: the name is one
word (letters, digits, ``_`` or ``-``; Chinese letters are fine), an existing file is
never overwritten, and the file is written beside itself, validated by the same loader
as ``govsim run`` and only then renamed into place (atomic: a refused file leaves
nothing behind). It ``extends`` the picked file, so it states only what moved, and each
moved value says where it came from (the workshop page; an assumption, not a fact).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.scenario import Scenario, dump_toml, load_scenario
from sim.viz.picker import SAVED_SUBDIR, resolve_scenario, scenarios_dir

NAME = re.compile(r"[\w-]{1,60}")
# Names Windows keeps for devices: a file "CON.toml" cannot be opened there, and a
# workshop's saved scenarios travel between laptops.
RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                      *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10)),
                      "COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³"})


class SaveRefused(InputError):
    """A name or a place the page will not save to."""


def saved_dir(root: Path | None = None) -> Path:
    """The user folder saved scenarios go to (inside the scenario folder, so the picker,
    ``govsim run`` and ``govsim viz`` open them like any other scenario)."""
    return (scenarios_dir() if root is None else root) / SAVED_SUBDIR


def check_name(name: str) -> str:
    """The file stem for ``name``, or :class:`SaveRefused` saying what is allowed."""
    stem = name.strip().removesuffix(".toml")
    if not NAME.fullmatch(stem):
        raise SaveRefused(f"{name!r}: a saved scenario's name is one word of letters, digits, "
                          "'_' or '-' (at most 60), no '/', '.' or spaces")
    if stem.upper() in RESERVED:
        raise SaveRefused(f"{name!r}: a device name on Windows (CON, PRN, AUX, NUL, COM1-9, "
                          "LPT1-9); choose another name")
    return stem


def scenario_toml(picked_name: str, picked_path: Path, target_dir: Path, stem: str,
                  overrides: Mapping[str, Any], seed: int | None, description: str,
                  when: datetime | None = None) -> str:
    """The saved file's text: ``extends`` the picked file, then only what moved."""
    when = when or datetime.now(UTC)
    notes = [f"Saved from the workshop page {when:%Y-%m-%d %H:%M} UTC: {picked_name} with "
             f"{len(overrides)} lever(s) moved.",
             "Values set here are the facilitator's choices (assumptions), not facts; the rest "
             "comes from the file it extends."]
    data: dict[str, Any] = {
        "extends": os.path.relpath(picked_path, target_dir).replace(os.sep, "/"),
        "name": stem,
        "description": description or f"{picked_name} with levers moved on the page",
    }
    nested: dict[str, Any] = {}
    values = dict(overrides)
    if seed is not None:
        values["run.seed"] = int(seed)
    for key, value in values.items():  # dotted keys, any depth
        *parents, leaf = key.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    stamp = f"{when:%Y-%m-%d}"
    sources = {key: f"set on the workshop page {stamp} (assumption)" for key in values}
    return dump_toml({**data, **nested}, comments=notes, sources=sources)


def save_scenario(picked_name: str, overrides: Mapping[str, Any], name: str,
                  seed: int | None = None, description: str = "",
                  root: Path | None = None) -> tuple[Path, Scenario]:
    """Write ``saved/NAME.toml``; returns its path and the validated scenario.

    ``seed`` is written only when it differs from the picked file's. Raises
    :class:`SaveRefused` (bad or taken name) or the loader's error (invalid values);
    nothing is left behind then.
    """
    stem = check_name(name)
    root = scenarios_dir() if root is None else root
    picked_path = resolve_scenario(picked_name, root)
    picked = load_scenario(picked_path)
    folder = saved_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    real_folder = folder.resolve()
    if not real_folder.is_relative_to(root.resolve()):
        raise SaveRefused(f"{folder}: refused: the saved-scenario folder leads outside {root}/")
    target = real_folder / f"{stem}.toml"
    if target.parent != real_folder:
        raise SaveRefused(f"{name!r}: refused: outside {folder}/")
    if target.exists():
        raise SaveRefused(f"{SAVED_SUBDIR}/{stem}.toml already exists; choose another name")
    keep_seed = None if seed is None or int(seed) == int(picked.run.seed) else int(seed)
    text = scenario_toml(picked_name, picked_path, real_folder, stem, overrides, keep_seed,
                         description)
    tmp = real_folder / f".{stem}.toml.tmp"
    try:
        tmp.write_text(text, encoding="utf-8")
        scenario = load_scenario(tmp)  # the same validation as `govsim run`
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    resolve_scenario(f"{SAVED_SUBDIR}/{stem}.toml", root)  # the picker opens it
    return target, scenario
