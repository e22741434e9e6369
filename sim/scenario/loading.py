"""Loading scenario files: reading TOML, ``extends`` inheritance (a file states only
what differs from its parent), the ``[sources]`` a file cites, and ``--set`` overrides.

A scenario file is TOML. It states only what differs from the defaults (or from the file
it ``extends``), and may cite a source for each value it sets in a ``[sources]`` table
keyed by dotted parameter name. Any problem raises :class:`ScenarioError`, whose message
is one line naming the file, the key and what is allowed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.limits import MAX_EXTENDS
from sim.scenario.base import ScenarioError
from sim.scenario.keys import _deep_merge, _flatten, _nearest
from sim.scenario.root import Scenario
from sim.scenario.validation import _validate


def load_scenario(
    path: str | Path,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
) -> Scenario:
    """Read, resolve (``extends``), validate and apply overrides to a scenario file.

    ``overrides`` is either a mapping of dotted keys to values or a sequence of
    ``"dotted.key=value"`` strings (as given to ``--set``; the value is parsed as TOML,
    falling back to a bare string).
    """
    path = Path(path)
    data, sources = _read_chain(path, seen=())
    scenario = _validate(Scenario, data, str(path), sources)
    if overrides:
        mapping = parse_overrides(overrides) if not isinstance(overrides, Mapping) else overrides
        scenario = scenario.with_overrides(mapping, origin=f"{path} --set")
    return scenario


def scenario_from_dict(data: Mapping[str, Any], origin: str = "<dict>") -> Scenario:
    """Validate a scenario given as nested data (as a TOML file would hold it)."""
    return _validate(Scenario, dict(data), origin, {})


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """Parse ``key=value`` strings; values are TOML literals (``22``, ``true``, ``"x"``)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError(f"--set {item!r}: expected dotted.key=value")
        raw = raw.strip()
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        out[key] = value
    return out


def read_toml(path: Path, what: str, error: type[InputError] = InputError) -> dict[str, Any]:
    """A TOML file's data; a missing, unreadable or broken file raises ``error`` with one
    line naming the file."""
    if not path.is_file():
        raise error(f"{path}: no such {what}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None


def _read_chain(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """A file's data merged over its parents' (``extends``), and where each key it sets
    came from: its ``[sources]`` entry, the nearest cited table above it, or the file."""
    resolved = path.resolve()
    if resolved in seen:
        raise ScenarioError(f"{path}: extends: circular inheritance")
    if len(seen) >= MAX_EXTENDS:
        raise ScenarioError(f"{seen[0]}: extends: the chain is more than {MAX_EXTENDS} files "
                            f"deep (at {path}); allowed: at most {MAX_EXTENDS}")
    data = read_toml(path, "scenario file", ScenarioError)
    file_sources = data.pop("sources", {})
    if not isinstance(file_sources, dict) or not all(
        isinstance(v, str) for v in file_sources.values()
    ):
        raise ScenarioError(f"{path}: sources: must be a table of dotted key = \"source\"")
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        base: dict[str, Any] = {}
        sources: dict[str, str] = {}
    else:
        if not isinstance(parent_ref, str):
            raise ScenarioError(f"{path}: extends: must be a file name string")
        parent = path.parent / parent_ref
        if not parent.is_file():
            raise ScenarioError(f"{path}: extends: no such file {parent_ref!r} beside it")
        base, sources = _read_chain(parent, (*seen, resolved))
        base.pop("name", None)
        base.pop("description", None)
    layout = data.get("layout")
    if isinstance(layout, dict) and isinstance(layout.get("register_file"), str):
        # A register is named relative to the file that names it, as ``extends`` is.
        layout["register_file"] = str((path.parent / layout["register_file"]).resolve())
    name = path.stem
    for key, _ in _flatten(data):
        if key in {"name", "description"}:
            sources[key] = f"{name}.toml"
            continue
        sources[key] = file_sources.get(key) or _nearest(file_sources, key) or (
            f"{name}.toml (no source given)"
        )
    for key in file_sources:
        if key not in sources and not any(k.startswith(key + ".") for k in sources):
            raise ScenarioError(f"{path}: sources.{key}: cites a key the file does not set")
    merged = _deep_merge(base, data)
    merged.setdefault("name", name)
    return merged, sources
