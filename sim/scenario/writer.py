"""The one TOML writer for scenarios (on tomlkit): the resolved scenario that ``govsim
show`` prints and each run keeps as ``scenario.toml``, the calibrated scenario, and the
workshop page's "save as scenario".

Each value may carry its source (a fact id, a public source or "assumption") as a comment
on its line; a file that ``extends`` another cites its values in a ``[sources]`` table
instead, which the loader reads back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import tomlkit
from tomlkit.items import Item, Table

from sim.scenario.keys import _LEAF_TABLES


def dump_toml(data: Mapping[str, Any], source_of: Callable[[str], str] | None = None, *,
              comments: Sequence[str] = (), sources: Mapping[str, str] | None = None) -> str:
    """Nested tables as TOML: ``comments`` first (one ``#`` line each), then the values,
    each with ``# source_of(dotted key)`` when given, then ``sources`` as a ``[sources]``
    table of dotted key = "source".

    A table is written as a header only where it holds values of its own (so
    ``[categories.repair.handling]``, not ``[categories]``); ``levels`` and ``overrides``
    are one value each and written inline; ``None`` and empty tables are left out (the
    loader's defaults fill them).
    """
    doc = tomlkit.document()
    for line in comments:
        doc.add(tomlkit.comment(line))
    _fill(doc, data, "", source_of)
    if sources is not None:
        cited = tomlkit.table()
        for key, source in sources.items():
            cited.add(key, source)
        doc.add("sources", cited)
    return tomlkit.dumps(doc).lstrip("\n")


def _fill(table: Any, data: Mapping[str, Any], path: str,
          source_of: Callable[[str], str] | None) -> None:
    # Values before subtables: in TOML a key after a table header belongs to that table.
    scalars = {k: v for k, v in data.items() if v is not None and not _is_table(k, v)}
    subtables = {k: v for k, v in data.items() if _is_table(k, v)}
    for key, value in scalars.items():
        item = _item(value)
        if source_of is not None:
            item.comment(" ".join(source_of(f"{path}{key}").splitlines()))  # one line
            item.trivia.comment_ws = "  "
        table.add(key, item)
    for key, value in subtables.items():
        if not _has_values(key, value):
            continue
        sub = _table(key, value)
        _fill(sub, value, f"{path}{key}.", source_of)
        table.add(key, sub)


def _is_table(key: str, value: Any) -> bool:
    return isinstance(value, Mapping) and key not in _LEAF_TABLES


def _has_values(key: str, value: Any) -> bool:
    if not _is_table(key, value):
        return value is not None
    return any(_has_values(k, v) for k, v in value.items())


def _table(key: str, value: Mapping[str, Any]) -> Table:
    # A table with no values of its own is only a path to its subtables: no header.
    own = any(v is not None and not _is_table(k, v) for k, v in value.items())
    return tomlkit.table(is_super_table=not own)


def _item(value: Any) -> Item:
    if isinstance(value, Mapping):
        inline = tomlkit.inline_table()
        for key, inner in value.items():
            inline.append(key, _item(inner))
        return inline
    if isinstance(value, list | tuple):
        array = tomlkit.array()
        array.extend(_item(v) for v in value)
        return array
    if value is None:
        raise TypeError("cannot write None inside a TOML value")
    return tomlkit.item(value)
