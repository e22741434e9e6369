"""One run, or a baseline and a changed run side by side: same seed, stepping together.

:class:`Workshop` is what the page holds: the model(s), built from scenarios, stepped
together one day at a time (a lock keeps the play loop and a button press from
stepping at once), with the outcomes of both runs and their difference.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.scenario import Scenario

# Headline outcomes the table shows, in order, from ``model.summary()``; shares are
# shown as percentages and their differences in percentage points.
OUTCOME_KEYS: tuple[str, ...] = (
    "raised", "resolved", "open_at_end", "on_time_share", "median_days_to_resolve",
    "p90_days_to_resolve", "resolved_at_grid_share", "escalation_share", "hazards_caught_share",
    "incidents", "admin_share", "mean_trust",
)
SHARE_KEYS: frozenset[str] = frozenset({
    "on_time_share", "admin_share", "resolved_at_grid_share", "escalation_share",
    "hazards_caught_share",
})
DECIMAL_KEYS: frozenset[str] = frozenset({
    "median_days_to_resolve", "p90_days_to_resolve", "mean_trust",
})
DAY_KEYS: frozenset[str] = frozenset({"median_days_to_resolve", "p90_days_to_resolve"})
# Which way is better for residents (a difference is coloured by it); absent: neither.
BETTER: dict[str, str] = {
    "resolved": "up", "open_at_end": "down", "on_time_share": "up",
    "median_days_to_resolve": "down", "p90_days_to_resolve": "down",
    "resolved_at_grid_share": "up", "escalation_share": "down",
    "hazards_caught_share": "up", "incidents": "down", "admin_share": "down",
    "mean_trust": "up",
}


def verdict(key: str, difference: float | None) -> str:
    """ "good", "bad" or "same" for a difference (changed minus baseline); a difference
    that the table shows as zero ("+0.0 pp") is "same"."""
    shown = 0.0005 if key in SHARE_KEYS else 0.005 if key in DECIMAL_KEYS else 0.5
    if difference is None or key not in BETTER or abs(difference) < shown:
        return "same"
    return "good" if (difference > 0) == (BETTER[key] == "up") else "bad"


def _model_class() -> Any:
    from sim.model import GovernanceModel

    return GovernanceModel


@dataclass(frozen=True)
class Run:
    role: str  # "run" (alone), "baseline" or "changed"
    scenario: Scenario
    model: Any


CHART_COLUMNS: tuple[str, ...] = (
    "day", "open", "on_time_share", "resolved_on_time", "resolved_late", "incidents",
    "admin_hours", "case_hours", "patrol_hours", "mean_trust")
_SETTLED = 2  # the last rows can still change (an incident is found at the next boundary)


class _ChartRows:
    """A run's chart columns, extended by the new days' rows (the last few re-read)."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {}
        self.n = 0  # settled rows held

    def frame(self, model: Any) -> pd.DataFrame:
        rows = getattr(getattr(model, "recorder", None), "window", None)
        if not isinstance(rows, list) or (rows and not set(CHART_COLUMNS) <= rows[0].keys()):
            full = model.daily_frame()  # another model: its own table
            return full[[c for c in CHART_COLUMNS if c in full.columns]]
        if len(rows) < self.n:  # a new run in the same place: start again
            self.columns, self.n = {}, 0
        settled = max(self.n, len(rows) - _SETTLED)
        for c in CHART_COLUMNS:
            col = self.columns.setdefault(c, [])
            del col[self.n:]
            col.extend(row[c] for row in rows[self.n:])
        self.n = settled
        data = {c: np.asarray(v, dtype=float if c in _FLOATS else np.int64)
                for c, v in self.columns.items()}
        return pd.DataFrame(data, columns=list(CHART_COLUMNS))


_FLOATS = frozenset({"on_time_share", "admin_hours", "case_hours", "patrol_hours",
                     "mean_trust"})


class Workshop:
    """The run(s) on the page. ``baseline`` given: two runs stepping together."""

    def __init__(self, changed: Scenario, seed: int, baseline: Scenario | None = None,
                 model_class: Any = None, edits: dict[str, Any] | None = None) -> None:
        cls = model_class or _model_class()
        self.seed = seed
        self.edits = dict(edits or {})  # the levers moved away from the picked file
        self.draw_seconds = 0.0  # how long the page took to draw the last frame
        self.lock = threading.RLock()
        runs = []
        if baseline is not None:
            runs.append(Run("baseline", baseline, cls(baseline, rng=seed)))
            runs.append(Run("changed", changed, cls(changed, rng=seed)))
        else:
            runs.append(Run("run", changed, cls(changed, rng=seed)))
        self.runs: tuple[Run, ...] = tuple(runs)
        # Several views ask for the same day's tables; build them once per day.
        self._frames: tuple[int, list[tuple[Run, pd.DataFrame]]] | None = None
        self._summaries: tuple[int, list[tuple[Run, dict[str, Any]]]] | None = None
        self._chart_rows = [_ChartRows() for _ in self.runs]
        self.days = max(int(r.scenario.run.days) for r in self.runs)

    @property
    def comparing(self) -> bool:
        return len(self.runs) == 2

    @property
    def day(self) -> int:
        return int(self.runs[-1].model.day)

    @property
    def finished(self) -> bool:
        return self.day >= self.days

    def step(self, days: int = 1) -> int:
        """Advance every run by up to ``days`` days (never past the last); days advanced."""
        done = 0
        with self.lock:
            for _ in range(days):
                if self.finished:
                    break
                for run in self.runs:
                    run.model.step()
                done += 1
        return done

    def frames(self) -> list[tuple[Run, pd.DataFrame]]:
        """Each run's daily frame (shared between callers on the same day: do not modify)."""
        with self.lock:
            if self._frames is None or self._frames[0] != self.day:
                self._frames = (self.day, [(run, run.model.daily_frame())
                                           for run in self.runs])
            return list(self._frames[1])

    def chart_frames(self) -> list[tuple[Run, pd.DataFrame]]:
        """Each run's daily columns the charts draw (:data:`CHART_COLUMNS`), the same
        values as :meth:`frames`, kept up as the days pass instead of building the whole
        daily table each day (a table of 40 columns took ~10 ms of the server a frame)."""
        with self.lock:
            return [(run, rows.frame(run.model)) for run, rows in zip(self.runs,
                                                                      self._chart_rows,
                                                                      strict=True)]

    def summaries(self) -> list[tuple[Run, dict[str, Any]]]:
        with self.lock:
            if self._summaries is None or self._summaries[0] != self.day:
                self._summaries = (self.day, [(run, dict(run.model.summary()))
                                              for run in self.runs])
            return [(run, dict(s)) for run, s in self._summaries[1]]

    def outcome_rows(self, keys: Sequence[str] = OUTCOME_KEYS) -> list[dict[str, Any]]:
        """Per outcome: its value in each run (by role) and, comparing, the difference."""
        sums = self.summaries()
        rows = []
        for key in keys:
            if not all(key in s for _, s in sums):
                continue
            row: dict[str, Any] = {"key": key}
            for run, s in sums:
                row[run.role] = s[key]
            if self.comparing:
                row["difference"] = _difference(row["changed"], row["baseline"])
            rows.append(row)
        return rows


def _difference(a: Any, b: Any) -> float | None:
    try:
        fa, fb = float(a), float(b)
    except (TypeError, ValueError):
        return None
    if math.isnan(fa) or math.isnan(fb):
        return None
    return fa - fb


def format_value(key: str, value: Any) -> str:
    """A value as the table shows it."""
    if value is None:
        return "–"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "–"
    if key in SHARE_KEYS:
        return f"{100 * v:.1f}%"
    if key in DECIMAL_KEYS or not v.is_integer():
        return f"{v:.2f}"
    return f"{int(v):,}"


def format_difference(key: str, value: float | None, pp: str, days: str | None = None) -> str:
    """A difference with its sign (``pp`` is the percentage-point unit in the language;
    ``days`` a template like ``"{v} days"`` for the day-valued outcomes)."""
    if value is None:
        return "–"
    if key in SHARE_KEYS:
        return f"{round(100 * value, 1) + 0.0:+.1f} {pp}"  # + 0.0: no "-0.0"
    if key in DAY_KEYS and days:
        return days.format(v=f"{round(value, 2) + 0.0:+.2f}")
    if key in DECIMAL_KEYS or not float(value).is_integer():
        return f"{round(value, 2) + 0.0:+.2f}"
    return f"{int(value):+,}"
