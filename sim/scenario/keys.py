"""Dotted keys (``staffing.workers_per_10k``) over the scenario schema: which field a key
names, which keys are allowed beside it, the source its default cites, and setting one in
nested data; plus the merging and flattening that files and ``--set`` share.

The functions that walk the schema take its root model (:class:`~sim.scenario.root.Scenario`)
as ``root``, so this module sits below the root and the root's methods can use it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from sim.scenario.base import LEVELS, ScenarioError
from sim.scenario.categories import CATEGORIES_SOURCE, DEFAULT_CATEGORIES, Category
from sim.scenario.places import NEIGHBOURHOOD_TYPES_SOURCE, Neighbourhoods, NeighbourhoodType

_LEAF_TABLES = {"levels", "overrides"}  # tables that are one value (written inline)


def _field_for(root: type[BaseModel], key: str) -> Any:
    """The field a dotted key names, or None; a category's or type's name is skipped."""
    model: Any = root
    field = None
    parts = key.split(".")
    i = 0
    while i < len(parts):
        part = parts[i]
        if model is None or part not in getattr(model, "model_fields", {}):
            return None
        field = model.model_fields[part]
        ann = field.annotation
        if part == "categories" or (part == "types" and model is Neighbourhoods):
            model = Category if part == "categories" else NeighbourhoodType
            i += 2  # skip the category's or type's name
            continue
        model = ann if _is_section(ann) else None
        i += 1
    return field


def _allowed_keys(root: type[BaseModel], parent: str) -> list[str]:
    """The keys a file may set under dotted ``parent`` (for "allowed here: ...")."""
    if not parent:
        return [k for k in root.model_fields if k != "sources"] + ["extends", "sources"]
    field = _field_for(root, parent)
    if parent.startswith("categories.") and parent.count(".") == 1:
        return list(Category.model_fields)
    if parent.startswith("neighbourhoods.types.") and parent.count(".") == 2:
        return list(NeighbourhoodType.model_fields)
    if field is None:
        return []
    ann = field.annotation
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return list(ann.model_fields)
    return []


@functools.cache
def _default_source(root: type[BaseModel], key: str) -> str:
    """The source a default cites, for a key no file or override set."""
    if key.startswith("categories."):
        return CATEGORIES_SOURCE
    if key.startswith("neighbourhoods.types."):
        return NEIGHBOURHOOD_TYPES_SOURCE
    field = _field_for(root, key)
    extra = getattr(field, "json_schema_extra", None) if field is not None else None
    if isinstance(extra, dict) and "source" in extra:
        return str(extra["source"])
    return "assumption"


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on ``base``, table by table (a file changes one key, not its section)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _set_dotted(root: type[BaseModel], data: dict[str, Any], key: str, value: Any,
                origin: str) -> None:
    """Set dotted ``key`` in nested ``data``, refusing (one line) a key the schema lacks."""
    parts = key.split(".")
    if parts[0] == "categories" and len(parts) >= 2:
        known = data.get("categories", {})
        if parts[1] not in known:
            raise ScenarioError(
                f"{origin}: {key}: unknown category; allowed: {', '.join(known)}"
            )
    is_level = len(parts) == 4 and parts[0] == "categories" and parts[2] == "levels"
    if is_level and parts[3] not in LEVELS:
        raise ScenarioError(f"{origin}: {key}: unknown level; allowed: {', '.join(LEVELS)}")
    is_rate = len(parts) == 5 and parts[:2] == ["neighbourhoods", "types"] \
        and parts[3] == "issue_rates"
    if is_rate and parts[4] not in data.get("categories", DEFAULT_CATEGORIES):
        raise ScenarioError(f"{origin}: {key}: unknown category; allowed: "
                            f"{', '.join(data.get('categories', DEFAULT_CATEGORIES))}")
    is_level = is_level or is_rate
    field = _field_for(root, key)
    if field is None and not is_level:
        allowed = _allowed_keys(root, ".".join(parts[:-1]))
        hint = f"; allowed here: {', '.join(allowed)}" if allowed else ""
        raise ScenarioError(f"{origin}: {key}: unknown key{hint}")
    if (field is not None and _is_section(field.annotation)) or key == "categories":
        raise ScenarioError(f"{origin}: {key}: is a section; set one of its keys")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) for every leaf; ``levels`` and ``overrides`` are one leaf each."""
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and key not in _LEAF_TABLES:
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def _prefixes(key: str) -> Iterator[str]:
    """The tables above a dotted key, nearest first."""
    parts = key.split(".")
    for i in range(len(parts) - 1, 0, -1):
        yield ".".join(parts[:i])


def _nearest(sources: Mapping[str, str], key: str) -> str | None:
    """The source cited for the nearest table above ``key``, if any."""
    for prefix in _prefixes(key):
        if prefix in sources:
            return sources[prefix]
    return None
