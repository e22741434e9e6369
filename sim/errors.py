"""Errors the command line turns into exit codes, and values shown in their messages."""

from __future__ import annotations

import datetime as dt
import math
import types
import typing
from collections.abc import Mapping
from typing import Any


class InputError(ValueError):
    """Bad input from the user (a file, a key, a value, a flag): exit code 2.

    The message is one line that names the file, the key and what is allowed.
    """


def shown(value: Any, limit: int = 60) -> str:
    """A value as the user wrote it (TOML-like), never as a Python class: for messages."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and not math.isfinite(value):
        text = "nan" if value != value else ("inf" if value > 0 else "-inf")
    elif isinstance(value, int | float):
        text = repr(value)
    elif isinstance(value, str):  # escaped as TOML would, so a message stays one line
        text = '"' + "".join(
            c if c.isprintable() and c not in '"\\' else
            (f"\\{c}" if c in '"\\' else f"\\u{ord(c):04x}") for c in value) + '"'
    elif isinstance(value, dt.datetime | dt.date | dt.time):
        text = value.isoformat()
    elif isinstance(value, Mapping):
        text = "{ " + ", ".join(f"{k} = {shown(v, limit)}" for k, v in value.items()) + " }"
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(shown(v, limit) for v in value) + "]"
    elif value is None:
        text = "nothing"
    else:
        text = "a value of another kind"
    return text if len(text) <= limit else text[: limit - 3] + "..."


_TYPE_NAMES = {bool: "true or false", int: "a whole number", float: "a number",
               str: "a string", dict: "a table", list: "a list"}


def type_name(annotation: Any) -> str:
    """A type annotation in words (``int | None`` -> "a whole number")."""
    if annotation in _TYPE_NAMES:
        return _TYPE_NAMES[annotation]
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(shown(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in args)
    if origin is not None:
        return _TYPE_NAMES.get(origin, "a value")
    return "a table" if isinstance(annotation, type) else "a value"
