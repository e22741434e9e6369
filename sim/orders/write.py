"""Writing a fit's folder atomically: everything into a temporary sibling, then rename.

A folder that exists is replaced only if it is empty or an earlier ``fit-orders``
output (its ``fit.json`` says so and it holds nothing else); anything else is refused
before any work starts (:func:`check_out`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim.outputs import OutputError, staged_folder

KIND = "fit-orders"
FILES = frozenset({"scenario.toml", "fit.json", "cleaning.csv", "report.html", "report.md",
                   "figures"})


def check_out(out: str) -> Path:
    """The output folder, refused (exit 2, one line) if it is not ours to write."""
    if not out.strip():
        raise OutputError("--out '': empty path; give a folder")
    place = Path(out)
    if place.exists() and not place.is_dir():
        raise OutputError(f"--out {out}: exists and is not a folder; nothing was changed")
    if place.is_dir():
        entries = {p.name for p in place.iterdir()}
        if entries and not (entries <= FILES and _is_ours(place / "fit.json")):
            raise OutputError(f"--out {out}: exists and is not a fit-orders folder; nothing "
                              "was changed; choose another place (--out DIR)")
    for parent in Path(os.path.abspath(place)).parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"--out {out}: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise OutputError(f"--out {out}: cannot write in {parent} (permission "
                                  "denied)")
            break
    return place


def _is_ours(path: Path) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("kind") == KIND
    except (OSError, ValueError, AttributeError):
        return False


def write_folder(out: Path, files: Mapping[str, str | bytes | pd.DataFrame],
                 check: Callable[[Path], None] | None = None) -> Path:
    """Write ``files`` (name -> text, bytes or a table for CSV) as the folder ``out``.

    ``check`` runs on the staged folder before it is renamed into place (e.g. that the
    scenario loads); if it raises, nothing is left behind.
    """
    with staged_folder(out) as tmp:
        for name, content in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, pd.DataFrame):
                content.to_csv(path, index=False, encoding="utf-8")
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        if check is not None:
            check(tmp)
    return out


def to_json(data: Any) -> str:
    """JSON with NaN written as null (fit.json is read by other tools)."""
    return json.dumps(_clean(data), indent=2, ensure_ascii=False)


def _clean(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    if isinstance(v, float) and v != v:
        return None
    if hasattr(v, "item") and not isinstance(v, str):  # numpy scalars
        return _clean(v.item())
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v
