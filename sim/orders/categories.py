"""Export categories -> the scenario's categories, through a mapping file.

The shipped defaults are ``sim/orders/mappings/311.toml`` and ``12345.toml``. A mapping
file holds ordered ``[[rule]]`` tables (``match`` a case-insensitive regular expression,
``category`` a scenario category), ``closed_status`` (statuses meaning closed) and
``[drop.<reason>]`` tables of rows not to use. Unmatched export categories are reported
with their counts, never silently folded into another.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import InputError

MAPPINGS_DIR = Path(__file__).with_name("mappings")
DROP_REASONS: tuple[str, ...] = ("invalid", "internal")
DROP_KEYS: tuple[str, ...] = ("status", "channel", "call_type", "category")


@dataclass
class Mapping_:
    """A loaded mapping file."""

    path: Path
    rules: list[tuple[re.Pattern[str], str, str]]  # (regex, category, its text)
    closed_status: frozenset[str]
    settled_unit: frozenset[str] = frozenset()  # units that settle orders on the call
    # reason -> field -> exact values (regexes for category)
    drop: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def mapping_path(name: str, base_dir: Path | None = None) -> Path:
    """A shipped mapping by shape name, or a file (relative to ``base_dir``)."""
    if name in ("311", "12345"):
        return MAPPINGS_DIR / f"{name}.toml"
    path = Path(name)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def load_mapping(path: Path, categories: Iterable[str]) -> Mapping_:
    """Read and check a mapping file against the scenario's category names."""
    known = list(categories)
    if not path.is_file():
        raise InputError(f"{path}: no such mapping file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    rules = []
    for i, rule in enumerate(data.get("rule", [])):
        where = f"{path}: rule {i + 1}"
        if not isinstance(rule, dict) or not isinstance(rule.get("match"), str) \
                or not isinstance(rule.get("category"), str):
            raise InputError(f"{where}: needs match = \"regex\" and category = \"name\"")
        if rule["category"] not in known:
            raise InputError(f"{where}: category {rule['category']!r} is not a scenario "
                             f"category; allowed: {', '.join(known)}")
        rules.append((_regex(rule["match"], where), rule["category"], rule["match"]))
    drop: dict[str, dict[str, list[str]]] = {}
    for reason, table in data.get("drop", {}).items():
        if reason not in DROP_REASONS or not isinstance(table, dict):
            raise InputError(f"{path}: drop.{reason}: unknown reason; allowed: "
                             f"{', '.join(DROP_REASONS)}")
        for key, values in table.items():
            if key not in DROP_KEYS or not isinstance(values, list):
                raise InputError(f"{path}: drop.{reason}.{key}: allowed keys "
                                 f"{', '.join(DROP_KEYS)}, each a list of strings")
            if key == "category":
                for v in values:
                    _regex(v, f"{path}: drop.{reason}.category")
        drop[reason] = {k: [str(v) for v in vs] for k, vs in table.items()}
    closed = data.get("closed_status", [])
    settled = data.get("settled_unit", [])
    return Mapping_(path=path, rules=rules, closed_status=frozenset(map(str, closed)),
                    settled_unit=frozenset(map(str, settled)), drop=drop)


def _regex(text: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise InputError(f"{where}: not a regular expression: {exc}") from None


def map_categories(values: pd.Series, mapping: Mapping_) -> pd.Series:
    """Each row's scenario category (missing where no rule matches).

    Rules run once per distinct export category, not per row: an export has hundreds of
    categories and maybe a million rows.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = [_first(str(u), mapping) for u in uniques]
    order = sorted({m for m in mapped if m})
    cats = pd.Categorical.from_codes(codes=_remap(codes, mapped, order), categories=order)
    return pd.Series(cats, index=values.index)


def _remap(codes: Any, mapped: list[str | None], order: list[str]) -> Any:
    import numpy as np

    pos = {c: i for i, c in enumerate(order)}
    lut = np.array([pos[m] if m else -1 for m in mapped] + [-1], dtype=np.int64)
    return lut[codes]  # a missing value (-1) indexes the trailing -1


def _first(text: str, mapping: Mapping_) -> str | None:
    for regex, cat, _ in mapping.rules:
        if regex.search(text):
            return cat
    return None


def unmapped_report(export_cats: pd.Series, mapped: pd.Series,
                    limit: int = 50) -> dict[str, Any]:
    """The export categories no rule maps, with their counts (largest first)."""
    miss = export_cats[mapped.isna()]
    counts = miss.value_counts()
    return {
        "rows": int(miss.size),
        "share": float(miss.size / max(1, export_cats.size)),
        "categories": {str(k): int(v) for k, v in counts.head(limit).items()},
        "more_categories": int(max(0, counts.size - limit)),
    }


def mapping_table(export_cats: pd.Series, mapped: pd.Series) -> dict[str, dict[str, int]]:
    """Scenario category -> export category -> rows (what each scenario category holds)."""
    frame = pd.DataFrame({"export": export_cats.to_numpy(), "scenario": mapped.to_numpy()})
    frame = frame.dropna()
    out: dict[str, dict[str, int]] = {}
    for (scen, exp), n in frame.groupby(["scenario", "export"], observed=True).size().items():
        out.setdefault(str(scen), {})[str(exp)] = int(n)
    return {k: dict(sorted(v.items(), key=lambda kv: -kv[1])) for k, v in sorted(out.items())}


def drop_mask(frame: pd.DataFrame, table: Mapping[str, list[str]],
              mapping: Mapping_) -> tuple[pd.Series, pd.Series]:
    """(rows a drop table matches, which rule matched) on the canonical frame."""
    hit = pd.Series(False, index=frame.index)
    why = pd.Series(None, index=frame.index, dtype=object)
    for key, values in table.items():
        if key not in frame.columns:
            continue
        col = frame[key]
        if key == "category":
            for pattern in values:
                codes, uniques = pd.factorize(col)
                rx = re.compile(pattern, re.IGNORECASE)
                good = [i for i, u in enumerate(uniques) if rx.search(str(u))]
                m = pd.Series(pd.Index(codes).isin(good), index=frame.index)
                why = why.where(~(m & ~hit), f"category matches {pattern!r}")
                hit |= m
        else:
            m = col.isin(values).fillna(False).astype(bool)
            why = why.where(~(m & ~hit), key + " is " + col.astype(object).astype(str))
            hit |= m
    return hit, why
