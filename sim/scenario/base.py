"""What every scenario section shares: the error type, cited defaults, strict sections.

A section is one table of a scenario file (``[staffing]``, ``[burden]`` ...). Each field's
default carries its source (a fact id such as ``F16`` or ``P2``, see ``docs/model.md``, a
public source, or "assumption") in its JSON-schema extra, so ``govsim show`` can print it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sim.errors import InputError

# The levels a work order can be resolved at: grid (网格), community (社区), street
# office (街道), district department (区级部门).
Level = Literal["grid", "community", "street", "department"]
LEVELS: tuple[str, ...] = ("grid", "community", "street", "department")


class ScenarioError(InputError):
    """A scenario file or override is wrong; the message is one line for the user."""


def cited(default: Any, source: str, **constraints: Any) -> Any:
    """A pydantic field whose default carries its source (a fact id or 'assumption')."""
    return Field(default, json_schema_extra={"source": source}, **constraints)


class _Section(BaseModel):
    # Unknown keys are errors, types are not coerced (a string is not a number) and
    # assignments are re-validated: a typo must never silently fall back to a default.
    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)

