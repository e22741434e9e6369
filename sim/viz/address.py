"""The page's address: scenario, levers, seed, compare, view and language in the query.

``?scenario=nanjing_baseline.toml&lang=zh&seed=7&staffing.workers_per_10k=30&compare=
nanjing_baseline.toml&view=present`` reopens that view: a reload or a shared link shows
the same run. ``table=3`` names the device's table in a room (:mod:`sim.viz.room_state`).
Levers are named by their scenario keys (any lever in :data:`sim.viz.levers.LEVERS`, so
a new lever is carried without touching this file).
Anything the page cannot use is listed in ``ignored`` (and shown), never guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sim.viz.labels import LANGS, t
from sim.viz.levers import LEVER_BY_KEY, Refused, number
from sim.viz.room_state import TableRefused, check_table

VIEWS: tuple[str, ...] = ("page", "present")


@dataclass(frozen=True)
class Address:
    scenario: str | None = None
    lang: str | None = None
    seed: int | None = None
    levers: dict[str, int | float] = field(default_factory=dict)
    baseline: str | None = None  # comparing with this file when set
    view: str = "page"
    table: str | None = None  # the table this device sits at (a room's workshop)
    ignored: tuple[str, ...] = ()  # "key=value" items that were not understood
    # one line per known key whose value was refused: the key and what is allowed
    refused: tuple[Refused, ...] = ()


MAX_SEED = 2**32 - 1  # numpy's legacy seeding and most tools accept this range


def check_seed(text: str) -> int:
    """A seed as typed: a whole number from 0 to 2^32 - 1, else :class:`Refused` (never
    clamped: ``-7`` is refused, not run as 0)."""
    value = str(text).strip()
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_SEED:
        raise Refused("seed", value, 0, MAX_SEED, True)
    return int(value)


def refusal_text(r: Refused, lang: str) -> str:
    """One line: the key, the value and what is allowed, in the page's language."""
    allowed = t("allowed_whole" if r.whole else "allowed_range", lang,
                lo=number(r.lo), hi=number(r.hi))
    return t("value_refused", lang, name=r.key, value=r.value, allowed=allowed)


def parse_address(search: str | None) -> Address:
    """Read the query string (with or without the leading ``?``)."""
    items = parse_qsl((search or "").lstrip("?"), keep_blank_values=True)
    out: dict[str, Any] = {"levers": {}}
    ignored: list[str] = []
    refused: list[str] = []
    for key, value in items:
        if key == "scenario" and value:
            out["scenario"] = value
        elif key == "lang" and value in LANGS:
            out["lang"] = value
        elif key == "seed":
            try:
                out["seed"] = check_seed(value)
            except Refused as exc:
                refused.append(exc)
        elif key == "compare" and value:
            out["baseline"] = value
        elif key == "view" and value in VIEWS:
            out["view"] = value
        elif key == "table" and value:
            try:
                out["table"] = check_table(value)
            except TableRefused:
                ignored.append(f"{key}={value[:40]}")
        elif key in LEVER_BY_KEY:
            try:
                out["levers"][key] = LEVER_BY_KEY[key].check(value)
            except Refused as exc:
                refused.append(exc)
        else:
            ignored.append(f"{key[:40]}={value[:40]}")
    return Address(**out, ignored=tuple(ignored), refused=tuple(refused))


def make_query(scenario: str | None, lang: str, seed: int | None,
               levers: Mapping[str, Any], baseline: str | None, view: str = "page",
               table: str | None = None) -> str:
    """The query string (no ``?``) for a view; levers in the order :data:`LEVERS` lists."""
    pairs: list[tuple[str, str]] = []
    if scenario:
        pairs.append(("scenario", scenario))
    pairs.append(("lang", lang))
    if seed is not None:
        pairs.append(("seed", str(int(seed))))
    for key in LEVER_BY_KEY:
        if key in levers:
            pairs.append((key, format(levers[key], ".10g")))
    if baseline:
        pairs.append(("compare", baseline))
    if view != "page":
        pairs.append(("view", view))
    if table:
        pairs.append(("table", table))
    return urlencode(pairs, safe="/.")
