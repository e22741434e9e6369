"""Issues (诉求 / 问题) are records, not agents: a columnar log that grows in place.

One row per issue; the model appends the day's arrivals in bulk and updates rows as
issues move. Times are in days since the start (floats); NaN means "not yet".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import ndtri

from sim.scenario import LEVELS, Handling, Scenario

CHANNELS: tuple[str, ...] = (
    "grid_worker", "micro_grid_worker", "hotline", "app", "patrol", "micro_grid_patrol",
    "rider", "incident", "home_visit",
)
CH = {name: i for i, name in enumerate(CHANNELS)}
# Where issues are resolved: micro_grid (on the spot) below the four levels of routing.
RESOLVED_LEVELS: tuple[str, ...] = ("micro_grid", *LEVELS)
RL = {name: i for i, name in enumerate(RESOLVED_LEVELS)}
LV = {name: i for i, name in enumerate(LEVELS)}
RESOLVERS: tuple[str, ...] = (
    "micro_grid_worker", "grid_worker", "utility_staff", "volunteer", "social_organisation",
    "community_committee", "consultation", "street_office", "department", "property_company",
)
BY = {name: i for i, name in enumerate(RESOLVERS)}

_COLUMNS: dict[str, tuple[np.dtype, object]] = {
    "category": (np.dtype(np.int16), 0),
    "micro_grid": (np.dtype(np.int32), 0),
    "grid": (np.dtype(np.int32), 0),
    "community": (np.dtype(np.int32), 0),
    "resident": (np.dtype(np.int64), 0),
    "raised_at": (np.dtype(np.float64), np.nan),
    "known_at": (np.dtype(np.float64), np.nan),
    "channel": (np.dtype(np.int8), -1),
    "started_at": (np.dtype(np.float64), np.nan),
    "resolved_at": (np.dtype(np.float64), np.nan),
    "resolved_level": (np.dtype(np.int8), -1),
    "resolved_by": (np.dtype(np.int8), -1),
    "deadline_at": (np.dtype(np.float64), np.nan),
    "escalations": (np.dtype(np.int16), 0),
    "became_incident": (np.dtype(np.bool_), False),
    "level_needed": (np.dtype(np.int8), 0),
    "work_hours": (np.dtype(np.float64), 0.0),  # handling work at the competent level
    "work_left": (np.dtype(np.float64), 0.0),  # of the current step (triage or handling)
    "level": (np.dtype(np.int8), -1),  # level currently holding it
    "collective": (np.dtype(np.bool_), False),
    "incident_at": (np.dtype(np.float64), np.inf),
    "dispatched_at": (np.dtype(np.float64), np.nan),  # first reached a handling team
    "need": (np.dtype(np.int8), 0),  # the care skill it needs (volunteer matching)
    "joint": (np.dtype(np.bool_), False),  # needs more than one department [F32]
    "next_hop": (np.dtype(np.int8), 0),  # where the platform sends it once dispatched
    "u_route": (np.dtype(np.float32), 0.0),  # a uniform for routing choices (paired draws)
    # Finding a hidden issue: found once the accumulated finding rate passes an Exp(1)
    # threshold drawn when it arises (paired across scenarios, whatever else is hidden);
    # two uniforms say who found it and which passing rider.
    "find_threshold": (np.dtype(np.float64), np.inf),
    "find_acc": (np.dtype(np.float64), 0.0),
    "find_u": (np.dtype(np.float32), 0.0),
    "find_v": (np.dtype(np.float32), 0.0),
    # Quantile of the time an on-the-spot fix or an upper level's works take (its own
    # stream, so these times are paired across scenarios).
    "u_works": (np.dtype(np.float32), 0.5),
}

# Kept only when a work-order flow mechanism is on (sim/tail.py), so that runs without
# them carry no extra memory: the platform's closing (办结, which may come before the
# need is met, or after it on a reply), its KPI deadline (extended, or restarted when an
# order is returned or reopened), counts of returns, reopenings, extensions and closings
# on paper, the last callback's verdict, and the order's own uniforms for each decision
# (drawn at arrival from a stream of their own: paired across scenarios).
FLOW_COLUMNS: dict[str, tuple[np.dtype, object]] = {
    "closed_at": (np.dtype(np.float64), np.nan),
    "kpi_deadline_at": (np.dtype(np.float64), np.nan),
    "returns": (np.dtype(np.int8), 0),
    "reopens": (np.dtype(np.int8), 0),
    "extended": (np.dtype(np.int8), 0),  # 1 applied and refused, 2 granted
    "paper_closings": (np.dtype(np.int8), 0),
    "satisfied": (np.dtype(np.int8), -1),  # last callback: 1 satisfied, 0 not, -1 none
    **{f"u_{what}": (np.dtype(np.float32), 0.5)
       for what in ("return", "unmet", "extend", "satisfied", "reply", "paper")},
}


class IssueLog:
    """Columnar store of every issue raised so far (row index = issue id)."""

    def __init__(self, capacity: int = 1024, *, flow: bool = False) -> None:
        self.n = 0
        self._cap = max(16, capacity)
        self.flow = flow  # the work-order flow's columns are kept (FLOW_COLUMNS)
        self._columns = {**_COLUMNS, **FLOW_COLUMNS} if flow else _COLUMNS
        # Columns are plain attributes (log.raised_at[i]); they are replaced when the
        # log grows, so hold the log, never a column.
        for name, (dtype, fill) in self._columns.items():
            setattr(self, name, np.full(self._cap, fill, dtype=dtype))

    @property
    def cols(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self._columns}

    def __len__(self) -> int:
        return self.n

    def append(self, **values: np.ndarray) -> np.ndarray:
        """Append rows (arrays of equal length); returns their ids."""
        k = len(next(iter(values.values())))
        need = self.n + k
        if need > self._cap:
            new_cap = max(need, 2 * self._cap)
            for name, (dtype, fill) in self._columns.items():
                grown = np.full(new_cap, fill, dtype=dtype)
                grown[: self.n] = getattr(self, name)[: self.n]
                setattr(self, name, grown)
            self._cap = new_cap
        for name, arr in values.items():
            getattr(self, name)[self.n : need] = arr
        ids = np.arange(self.n, need)
        self.n = need
        return ids

    def as_of(self, until: float) -> dict[str, np.ndarray]:
        """The log's columns as they stood just before ``until``: what happened at or
        after it (a consultation at the next day's start, an incident made known at the
        day boundary) is not yet known, dispatched, started or resolved. Copies."""
        n = self.n
        c = {name: arr[:n].copy() for name, arr in self.cols.items()}
        times = ("known_at", "dispatched_at", "started_at", "resolved_at")
        for when in (*times, "closed_at") if self.flow else times:
            later = c[when] >= until
            c[when][later] = np.nan
            if when == "known_at":
                c["channel"][later] = -1
            elif when == "resolved_at":
                c["resolved_level"][later] = -1
                c["resolved_by"][later] = -1
        return c

    def frame(self, category_names: list[str], until: float = np.inf) -> pd.DataFrame:
        """The public issues table as it stood just before ``until`` (docs/outputs.md)."""
        n = self.n
        c = self.as_of(until)
        resolved = ~np.isnan(c["resolved_at"])
        on_time = pd.array(np.where(resolved, c["resolved_at"] <= c["deadline_at"], False),
                           dtype="boolean")
        on_time[~resolved] = pd.NA
        return pd.DataFrame({
            "issue_id": np.arange(n, dtype=np.int64),
            "category": pd.Categorical.from_codes(c["category"], categories=category_names),
            "community": c["community"],
            "grid": c["grid"],
            "micro_grid": c["micro_grid"],
            "raised_at": c["raised_at"],
            "known_at": c["known_at"],
            "dispatched_at": c["dispatched_at"],
            "channel": _codes(c["channel"], CHANNELS),
            "started_at": c["started_at"],
            "resolved_at": c["resolved_at"],
            "resolved_level": _codes(c["resolved_level"], RESOLVED_LEVELS),
            "resolved_by": _codes(c["resolved_by"], RESOLVERS),
            "deadline_at": c["deadline_at"],
            "on_time": on_time,
            "escalations": c["escalations"].astype(np.int16),
            "became_incident": c["became_incident"],
            "level_needed": pd.Categorical.from_codes(c["level_needed"], categories=list(LEVELS)),
            "collective": c["collective"],
            **self._flow_frame(c, resolved),
        })

    def _flow_frame(self, c: dict[str, np.ndarray], resolved: np.ndarray) -> dict[str, object]:
        """The platform's side of each order (docs/outputs.md): without the work-order
        flow it closes an order when its need is met, by the first deadline."""
        n = self.n
        via = np.isin(c["channel"], (CH["hotline"], CH["app"], CH["rider"])) | (
            c["escalations"] > 0)
        if self.flow:
            closed_at, kpi = c["closed_at"], c["kpi_deadline_at"]
            counts = {k: c[k].astype(np.int16) for k in ("returns", "reopens", "paper_closings")}
            extended, sat = c["extended"] == 2, c["satisfied"]
        else:
            closed_at, kpi = c["resolved_at"], c["deadline_at"]
            counts = {k: np.zeros(n, np.int16) for k in ("returns", "reopens", "paper_closings")}
            extended, sat = np.zeros(n, bool), np.full(n, -1, np.int8)
        closed = ~np.isnan(closed_at)
        kpi_on_time = pd.array(np.where(closed, closed_at <= kpi, False), dtype="boolean")
        kpi_on_time[~closed] = pd.NA
        satisfied = pd.array(sat == 1, dtype="boolean")
        satisfied[sat < 0] = pd.NA
        return {"via_platform": via, "closed_at": closed_at, "kpi_deadline_at": kpi,
                "kpi_on_time": kpi_on_time, **counts, "extended": extended,
                "satisfied": satisfied, "incident_at": np.where(
                    c["became_incident"], c["incident_at"], np.nan)}


def _codes(codes: np.ndarray, names: tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int16), categories=list(names))


class CategoryTable:
    """The scenario's issue categories as arrays, for drawing in bulk."""

    def __init__(self, scenario: Scenario) -> None:
        cats = scenario.categories
        self.names = list(cats)
        self.rate = np.array([c.rate_per_1000_per_year for c in cats.values()]) / 1000.0 / 365.0
        self.hidden_share = np.array([c.hidden_share for c in cats.values()])
        self.deadline = np.array([c.deadline_days for c in cats.values()])
        self.urgent = np.array([c.urgent for c in cats.values()])
        self.hazard = np.array([c.hazard for c in cats.values()])
        self.incident_after = np.array([c.incident_after_days for c in cats.values()])
        self.collective_share = np.array([c.collective_share for c in cats.values()])
        self.service = [c.service for c in cats.values()]
        self.utility = np.array([c.utility for c in cats.values()])
        self.street_visible = np.array([c.street_visible for c in cats.values()])
        self.social_work = np.array([c.social_work for c in cats.values()])
        self.by_riders = np.array([c.raised_by == "riders" for c in cats.values()])
        self.property_managed = np.array([c.property_managed for c in cats.values()])
        self.level_cdf = np.array(
            [np.cumsum([c.levels.get(lv, 0.0) for lv in LEVELS]) for c in cats.values()]
        )
        self.handling = [c.handling for c in cats.values()]

    def __len__(self) -> int:
        return len(self.names)

    def draw_levels(self, cat: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Lowest level able to resolve each issue (inverse CDF on uniforms ``u``)."""
        cdf = self.level_cdf[cat]
        return np.minimum((u[:, None] > cdf).sum(axis=1), len(LEVELS) - 1).astype(np.int8)

    def draw_work(self, cat: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Handling hours at the competent level, by each category's distribution."""
        out = np.empty(len(cat))
        for k, spec in enumerate(self.handling):
            sel = np.flatnonzero(cat == k)
            if len(sel):
                out[sel] = sample_hours(spec, len(sel), rng)
        return out


def sample_hours(spec: Handling, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` handling times (hours) with the given mean and coefficient of variation."""
    mean, cv = spec.mean_hours, spec.cv
    if spec.dist == "deterministic" or (cv == 0 and spec.dist != "exponential"):
        return np.full(n, mean)
    if spec.dist == "exponential":
        return rng.exponential(mean, n)
    if spec.dist == "gamma":
        shape = 1.0 / cv**2
        return rng.gamma(shape, mean / shape, n)
    sigma2 = np.log1p(cv**2)  # lognormal with the given mean and cv
    return rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), n)


# The waking day, in hours: issues that arise outside it arise "at night".
WAKING_HOURS: tuple[float, float] = (7.0, 22.0)


def time_of_day(u: np.ndarray, night_share: float) -> np.ndarray:
    """Times of day (fractions of a day) for uniforms ``u``: a share ``night_share`` falls
    evenly between 22:00 and 07:00, the rest evenly in the waking hours. Monotone in
    ``u``, so the order of the day's arrivals (and their pairing across scenarios) is
    kept; 0.375 (9 of 24 hours) is even round the clock."""
    wake, sleep = WAKING_HOURS[0] / 24.0, WAKING_HOURS[1] / 24.0
    night = 1.0 - (sleep - wake)
    if math.isclose(night_share, night, rel_tol=0, abs_tol=1e-12):
        return u  # even round the clock: the uniforms themselves
    early = night_share * wake / night  # mass before 07:00
    day_mass = 1.0 - night_share
    late = early + day_mass  # mass before 22:00
    out = np.empty_like(u)
    a, b = u < early, u >= late
    m = ~(a | b)
    out[a] = u[a] / early * wake if early > 0 else 0.0
    out[m] = wake + (u[m] - early) / day_mass * (sleep - wake) if day_mass > 0 else wake
    out[b] = sleep + (u[b] - late) / (1.0 - late) * (1.0 - sleep) if late < 1 else sleep
    return out


def exponential_days(u: float, mean: float) -> float:
    """The ``u`` quantile of an exponential time with the given mean."""
    return -mean * math.log1p(-min(float(u), 1.0 - 1e-7))


def lognormal_days(u: float, mean: float, cv: float = 1.0) -> float:
    """The ``u`` quantile of a lognormal time with the given mean and cv."""
    if mean <= 0:
        return 0.0
    sigma2 = math.log1p(cv * cv)
    z = float(ndtri(min(max(float(u), 1e-7), 1.0 - 1e-7)))
    return math.exp(math.log(mean) - sigma2 / 2 + math.sqrt(sigma2) * z)
