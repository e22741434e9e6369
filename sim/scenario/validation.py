"""Nested data (as a TOML file holds it) into a validated scenario, or one line that names
the file, the key and what is allowed.

The root model (:class:`~sim.scenario.root.Scenario`) is passed in as ``root``: its own
methods (``with_overrides``, ``pilot_view``) validate through here, so this module sits
below it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from sim.errors import InputError, shown, type_name
from sim.limits import check_run_memory
from sim.scenario.base import ScenarioError
from sim.scenario.categories import DEFAULT_CATEGORIES
from sim.scenario.keys import _allowed_keys, _deep_merge, _field_for
from sim.scenario.places import DEFAULT_NEIGHBOURHOOD_TYPES

if TYPE_CHECKING:
    from sim.scenario.root import Scenario


def _validate(root: type[Scenario], data: dict[str, Any], origin: str,
              sources: dict[str, str]) -> Scenario:
    """``data`` as a scenario whose values came from ``sources``; errors name ``origin``."""
    # A file may change one field of one category: merge over the default table.
    cats = data.get("categories", {})
    if not isinstance(cats, dict):
        raise ScenarioError(f"{origin}: categories: must be a table of category tables")
    data = {**data, "categories": _deep_merge(DEFAULT_CATEGORIES, cats)}
    hood = data.get("neighbourhoods", {})
    if isinstance(hood, dict) and isinstance(hood.get("types", {}), dict):
        types = hood.get("types", {})
        data["neighbourhoods"] = {**hood, "types": _deep_merge(DEFAULT_NEIGHBOURHOOD_TYPES,
                                                                types)}
    try:
        scenario = root.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_one_line(root, origin, exc)) from None
    try:  # validate checks what run would hit: the machine's memory (sim/limits.py)
        check_run_memory(scenario.layout.residents, scenario.run.days, origin)
    except InputError as exc:
        raise ScenarioError(str(exc)) from None
    object.__setattr__(scenario, "sources", sources)
    if scenario.pilot.overrides:
        try:
            scenario.pilot_view()
        except ScenarioError as exc:  # name the file and the pilot key at fault
            detail = str(exc).removeprefix("pilot.overrides: ")
            raise ScenarioError(f"{origin}: pilot.overrides: {detail}") from None
    return scenario


_BOUND_ERRORS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}


def _one_line(root: type[Scenario], origin: str, exc: ValidationError) -> str:
    """pydantic's first error as one line for the user (the count of the rest after)."""
    err = exc.errors(include_url=False)[0]
    key = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-after"))
    kind = err["type"]
    ctx = err.get("ctx", {}) or {}
    if kind == "extra_forbidden":
        parent = key.rpartition(".")[0]
        allowed = _allowed_keys(root, parent)
        msg = f"unknown key; allowed here: {', '.join(allowed)}" if allowed else "unknown key"
    elif kind == "literal_error":
        msg = f"must be one of {ctx.get('expected', '')} (got {shown(err.get('input'))})"
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        msg = f"must be a table of keys (got {shown(err.get('input'))})"
    elif kind in _BOUND_ERRORS or kind.endswith(("_type", "_parsing")):
        msg = f"{err['msg'].lower()} (got {shown(err.get('input'))}){_range_hint(root, key)}"
    else:
        msg = err["msg"].removeprefix("Value error, ")
    extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    where = f"{key}: " if key else ""
    return f"{origin}: {where}{msg}{extra}"


def _range_hint(root: type[Scenario], key: str) -> str:
    field = _field_for(root, key)
    if field is None:
        return ""
    lo = hi = None
    for meta in field.metadata:
        lo = getattr(meta, "ge", getattr(meta, "gt", lo)) if lo is None else lo
        hi = getattr(meta, "le", getattr(meta, "lt", hi)) if hi is None else hi
    if lo is None and hi is None:
        return f"; expected {type_name(field.annotation)}"
    return f"; allowed {lo if lo is not None else '-inf'} to {hi if hi is not None else 'inf'}"
