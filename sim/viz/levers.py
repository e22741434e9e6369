"""The levers a facilitator can move, as slider specifications over scenario keys.

Each lever is a dotted scenario key (``staffing.workers_per_10k``) with a range and a
step; its label and tooltip (with the fact it rests on) are ``lever_<key>`` and
``tip_<key>`` in :mod:`sim.viz.labels`. Integer levers hand the scenario Python ints
(the schema is strict). The reform presets are scenario files, not levers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.scenario import Scenario


class Refused(ValueError):
    """A value the page will not use: the key, the value as typed and what is allowed
    (the slider's range), so the page can say it in one line in either language."""

    def __init__(self, key: str, value: str, lo: float, hi: float, whole: bool) -> None:
        self.key, self.value, self.lo, self.hi, self.whole = key, value[:40], lo, hi, whole
        kind = " (whole numbers)" if whole else ""
        super().__init__(f"{key}={self.value}: allowed {number(lo)} to {number(hi)}{kind}")


def number(x: float) -> str:
    """A bound as a person reads it: ``40``, ``0.3``, ``4,294,967,295``."""
    return f"{x:,.12g}"


@dataclass(frozen=True)
class Lever:
    key: str
    min: float
    max: float
    step: float
    integer: bool = False

    @property
    def label_key(self) -> str:
        return f"lever_{self.key}"

    @property
    def tip_key(self) -> str:
        return f"tip_{self.key}"

    def coerce(self, value: Any) -> int | float:
        """The value as the scenario wants it, clipped to the slider's range."""
        v = min(max(float(value), self.min), self.max)
        return round(v) if self.integer else round(v, 6)

    def check(self, text: str) -> int | float:
        """A value typed in an address, as the scenario wants it; :class:`Refused` (naming
        the key and the slider's range) for anything the slider could not show:
        not a number, NaN, infinite, outside the range, a fraction for a whole-number
        lever. Never clamped or rounded: the page does not guess."""
        try:
            v = float(text)
        except ValueError:
            v = math.nan
        ok = math.isfinite(v) and self.min <= v <= self.max and \
            (not self.integer or v.is_integer())
        if not ok:
            raise Refused(self.key, text, self.min, self.max, self.integer)
        return int(v) if self.integer else v

    def value_in(self, scenario: Scenario) -> int | float:
        """The lever's current value in a scenario."""
        node: Any = scenario
        for part in self.key.split("."):
            node = getattr(node, part)
        return int(node) if self.integer else float(node)


LEVERS: tuple[Lever, ...] = (
    Lever("staffing.workers_per_10k", 0.0, 40.0, 0.5),                 # F30: 18; P8: some 25
    Lever("burden.ledgers", 0, 40, 1, integer=True),                     # P3: 4; P2: 30+
    Lever("burden.certificate_items_removed", 0, 76, 1, integer=True),   # F12: 56 of ~76
    Lever("burden.inspection_cut", 0.0, 1.0, 0.01),                     # F12: 0.57
    Lever("burden.meeting_hours", 0.0, 4.0, 0.1),
    Lever("micro_grid.coverage", 0.0, 1.0, 0.01),                       # F16: 1.0
    Lever("mobile_grid.mobile_grid_workers_per_10k", 0.0, 40.0, 0.1),  # F25: 6.3
    Lever("mobile_grid.incentive", 0.0, 1.0, 0.05),                     # F26
    Lever("volunteers.rate", 0.0, 0.3, 0.005),                          # F23
    Lever("social_orgs.hours_per_week_per_10k", 0.0, 400.0, 5.0),      # F22
    Lever("platform.dispatch_delay_days", 0.0, 10.0, 0.05),             # F32; the baseline 0.25
)
LEVER_BY_KEY: dict[str, Lever] = {lever.key: lever for lever in LEVERS}


def lever_values(scenario: Scenario) -> dict[str, int | float]:
    """Every lever's value in a scenario."""
    return {lever.key: lever.value_in(scenario) for lever in LEVERS}


def changed_levers(scenario: Scenario, values: Mapping[str, Any]) -> dict[str, int | float]:
    """The overrides ``values`` makes to ``scenario`` (only levers that differ)."""
    out: dict[str, int | float] = {}
    for key, value in values.items():
        lever = LEVER_BY_KEY[key]
        v = lever.coerce(value)
        # Compare as the slider sees them: a file's value with more digits than the
        # slider keeps (a calibrated 0.40923582…) is not a change.
        if v != lever.coerce(lever.value_in(scenario)):
            out[key] = v
    return out
