"""Writing a scenario's data as TOML, each value's source as a comment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.scenario.keys import _LEAF_TABLES


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(data: Mapping[str, Any], source_of: Any = None) -> str:
    """Write nested tables as TOML, with ``# source`` comments when given."""
    lines: list[str] = []

    def emit(table: Mapping[str, Any], path: str) -> None:
        scalars = {k: v for k, v in table.items() if v is not None and not (
            isinstance(v, Mapping) and k not in _LEAF_TABLES)}
        subtables = {k: v for k, v in table.items()
                     if isinstance(v, Mapping) and k not in _LEAF_TABLES}
        if path and scalars:
            lines.append(f"\n[{path}]")
        for key, value in scalars.items():
            dotted = f"{path}.{key}" if path else key
            comment = f"  # {source_of(dotted)}" if source_of else ""
            lines.append(f"{key} = {_toml_value(value)}{comment}")
        for key, value in subtables.items():
            emit(value, f"{path}.{key}" if path else key)

    emit(data, "")
    return "\n".join(lines).lstrip("\n") + "\n"
