"""``--fit-tail N``: size the long-tail mechanisms so the model's closure days match
the export's fitted part.

What is matched: the Kaplan-Meier first quartile, median, third quartile and share
within 7 days of the export's fitted part (before ``--holdout-from``), and its mean over
closed orders *under the model's follow-up* (below). The model is measured as the export
is (:func:`platform_closure`): residents' requests to the platform (hotline, app,
rider), from ``known_at`` to the platform's closing (``closed_at``), open ones censored
at the run's end, those known in the run's first tenth left out.

The mean over closed orders depends on how long orders were watched: a 2014 order had
years to close, a request in the model's last week days. The target is therefore the
fitted orders' mean re-weighted to the model's window — an order taking T days is
closed, in a window of W days with requests spread evenly over it, with chance
max(0, 1 - T / W) (:func:`mean_under_followup`). On Baltimore this turns the fitted
years' 16.9 days into 10.6 at the holdout's 408 days; the holdout's own is 10.8.

The search is scipy's differential evolution on a seeded objective with common random
numbers: every candidate runs on the same seeds, so two candidates differ by their
values, not by chance. Misfit is in the units of the check's bands: log(model / data) /
log(1.15) for the quartiles and mean (15% = 1), (model - data) / 0.05 for the 7-day
share (5 points = 1); the distance is the root of the sum of squares.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.orders.check import platform_closure
from sim.orders.fit import closure_summary, mean_under_followup
from sim.run import simulate
from sim.scenario import Scenario

STATS = ("q1", "median", "q3", "mean", "within7")
RELATIVE_BAND = 0.15  # quartiles and mean: within 15% of the data's
SHARE_BAND = 0.05  # the 7-day share: within 5 points
MISSING = 10.0  # misfit of a statistic the run cannot give (a quartile never reached)
# Apart from --check's seeds 1..N, so the check is on fresh runs. Four by default,
# because runs of one community differ by seed (its layout, staff, residents: medians
# 2.5-3.4 days at one setting over 8 seeds), and a fit to two would fit those two
# communities (--fit-seeds K takes 1001..1000+K).
FIT_SEEDS = tuple(range(1001, 1005))


def fit_seeds(k: int) -> tuple[int, ...]:
    return tuple(range(1001, 1001 + k))


@dataclass(frozen=True)
class TailParameter:
    """One dimension of the search: a key, or several keys that take one value."""

    keys: tuple[str, ...]
    low: float
    high: float
    why: str

    @property
    def name(self) -> str:
        return " = ".join(self.keys)


# The mechanisms that act on a 12345 / 311 stream's days from request to closing.
# Left out: holidays (a Chinese calendar; not a US city's), returns (they cost a triage
# and a re-dispatch: +0.03 days on the mean in the lever table), field crews (they act
# on department orders only, 5% of requests at community scale), callbacks, extensions
# and appraisal (they move the KPI clock and the need met, not the closing).
TAIL_PARAMETERS: tuple[TailParameter, ...] = (
    TailParameter(("platform.dispatch_delay_days",), 0.02, 1.0,
                  "days from a request to the unit receiving it (the platform's "
                  "dispatch): the quick end, the first quartile"),
    TailParameter(("staffing.grid_works_days",), 0.0, 20.0,
                  "follow-through after the desk work of grid-level orders"),
    TailParameter(("staffing.community_works_days",), 0.0, 40.0,
                  "follow-through of orders the community resolves (half the requests)"),
    TailParameter(("staffing.street_works_days", "staffing.department_works_days"), 0.0,
                  60.0, "follow-through of street offices' and departments' orders "
                  "(contractors, materials): one value, as an export cannot tell the two "
                  "levels apart and they take an eighth of the requests between them"),
    TailParameter(("staffing.works_cv",), 0.3, 6.0,
                  "spread of follow-through (lognormal): the length of the tail"),
    TailParameter(("work_orders.reply_days",), 0.0, 10.0,
                  "days from the unit's work done to its reply closing the order "
                  "(已转办待回复): the platform's closing, which the export records"),
)


def targets_from(data: Mapping[str, Any], days: np.ndarray, closed: np.ndarray,
                 window: float) -> dict[str, float]:
    """The fit's targets: the data's quartiles and 7-day share (Kaplan-Meier), and its
    mean of closed orders re-weighted to the model's window."""
    out = {k: float(data[k]) for k in ("q1", "median", "q3", "within7")
           if data.get(k) is not None}
    mean = mean_under_followup(days, closed, window)
    if mean is not None:
        out["mean"] = mean
    return out


def misfit(model: Mapping[str, Any], targets: Mapping[str, float]) -> dict[str, float]:
    """Each target's misfit in band units (|z| <= 1: within the check's band)."""
    z = {}
    for k, want in targets.items():
        got = model.get(k)
        if got is None or not math.isfinite(got) or (k != "within7" and got <= 0):
            z[k] = MISSING
        elif k == "within7":
            z[k] = (got - want) / SHARE_BAND
        else:
            z[k] = math.log(got / want) / math.log1p(RELATIVE_BAND)
    return z


def distance(z: Mapping[str, float]) -> float:
    return math.sqrt(sum(v * v for v in z.values()))


def _one(job: tuple[Scenario, dict[str, float], int, int]) -> pd.DataFrame:
    """One run of a candidate on one seed: its requests' closure days."""
    scenario, overrides, days, seed = job
    sc = scenario.with_overrides(overrides, origin="fit-orders --fit-tail")
    return platform_closure(simulate(sc, days=days, seed=seed).issues, days)


@dataclass
class Search:
    """Candidates in (the unit cube), distance out; every candidate runs on the same
    seeds, through ``runs`` (``map`` or a process pool's); each distinct candidate once."""

    scenario: Scenario
    parameters: tuple[TailParameter, ...]
    targets: dict[str, float]
    days: int
    seeds: tuple[int, ...]
    runs: Callable[..., Any] = map
    trace: list[dict[str, Any]] = field(default_factory=list)
    _seen: dict[tuple[float, ...], float] = field(default_factory=dict)

    def values(self, u: np.ndarray) -> tuple[float, ...]:
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        return tuple(round(p.low + float(v) * (p.high - p.low), 4)
                     for p, v in zip(self.parameters, u, strict=True))

    def overrides(self, x: tuple[float, ...]) -> dict[str, float]:
        return {k: v for p, v in zip(self.parameters, x, strict=True) for k in p.keys}

    def many(self, us: list[np.ndarray]) -> list[float]:
        xs = [self.values(u) for u in us]
        new = list(dict.fromkeys(x for x in xs if x not in self._seen))
        jobs = [(self.scenario, self.overrides(x), self.days, s) for x in new
                for s in self.seeds]
        frames = list(self.runs(_one, jobs))
        k = len(self.seeds)
        for j, x in enumerate(new):
            pooled = pd.concat(frames[j * k:(j + 1) * k], ignore_index=True)
            summ = closure_summary(pooled["days"].to_numpy(), pooled["is_closed"].to_numpy())
            d = distance(misfit(summ, self.targets))
            self._seen[x] = d
            self.trace.append({"values": x, "summary": summ, "distance": d})
        return [self._seen[x] for x in xs]

    def __call__(self, u: np.ndarray) -> float:
        return self.many([u])[0]

    def best(self) -> dict[str, Any]:
        return min(self.trace, key=lambda r: r["distance"])


@dataclass
class TailFit:
    values: dict[str, float]
    reached: dict[str, Any]
    z: dict[str, float]
    record: dict[str, Any] = field(default_factory=dict)


def fit_tail(scenario: Scenario, targets: dict[str, float], *, budget: int, days: int,
             parameters: tuple[TailParameter, ...] = TAIL_PARAMETERS,
             seeds: tuple[int, ...] = FIT_SEEDS, workers: int = 2, seed: int = 1,
             say: Callable[[str], None] = lambda s: None) -> TailFit:
    """A space-filling start (Latin hypercube, the base's values among them), then
    Nelder-Mead from the best, within ``budget`` model runs."""
    if workers <= 1:
        return _fit(scenario, targets, budget, days, parameters, seeds, map, 1, seed, say)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # a fork server that has imported the model, as the experiments' pool does: a plain
    # fork would copy this process's threads mid-state
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["sim.orders.tailfit", "sim.run"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return _fit(scenario, targets, budget, days, parameters, seeds, pool.map, workers,
                    seed, say)


def _fit(scenario: Scenario, targets: dict[str, float], budget: int, days: int,
         parameters: tuple[TailParameter, ...], seeds: tuple[int, ...],
         runs: Callable[..., Any], workers: int, seed: int,
         say: Callable[[str], None]) -> TailFit:
    from scipy.optimize import minimize
    from scipy.stats import qmc

    t0 = time.perf_counter()
    dim = len(parameters)
    search = Search(scenario, parameters, targets, days, seeds, runs)
    evaluations = max(budget // len(seeds), dim + 2)
    # A third of the budget spreads over the box (at least d + 1, at most 8 d points),
    # the rest refines the best of them.
    n_start = int(min(max(evaluations // 3, dim + 1), 8 * dim, evaluations - 1))
    flat = scenario.flat()
    base = np.array([(min(max(float(flat[p.keys[0]]), p.low), p.high) - p.low)
                     / (p.high - p.low) for p in parameters])
    start = [base, *qmc.LatinHypercube(d=dim, seed=seed).random(n_start - 1)]
    say(f"--fit-tail: {dim} parameters, {len(seeds)} seeds a candidate, at most "
        f"{evaluations * len(seeds)} runs of {days} days on {workers} process(es): "
        f"{n_start} candidates over the box, then Nelder-Mead")
    dist = search.many(list(start))
    u0 = start[int(np.argmin(dist))]
    say(f"--fit-tail: best of {n_start}: distance {min(dist):.3f} "
        f"({time.perf_counter() - t0:.0f} s)")
    left = evaluations - len(search.trace)
    if left > dim:
        step = np.where(u0 + 0.15 <= 1.0, 0.15, -0.15)  # a simplex inside the box
        simplex = np.vstack([u0, u0 + np.diag(step)])

        def progress(intermediate_result: Any) -> None:
            n = len(search.trace)
            if n % 10 < 2:
                say(f"--fit-tail: {n * len(seeds)} runs, best distance "
                    f"{search.best()['distance']:.3f} ({time.perf_counter() - t0:.0f} s)")

        minimize(search, u0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * dim,
                 callback=progress,
                 options={"maxfev": left, "initial_simplex": simplex, "xatol": 1e-3,
                          "fatol": 1e-3})
    best = search.best()
    values = search.overrides(best["values"])
    reached = best["summary"]
    z = misfit(reached, targets)
    record = {
        "method": ("a Latin hypercube over the box (scipy.stats.qmc, the base's values "
                   "among the points), then scipy.optimize.minimize Nelder-Mead from the "
                   "best, on a seeded objective with common random numbers: every "
                   "candidate runs on the same seeds"),
        "objective": ("sqrt(sum z^2): z = log(model / data) / log(1.15) for q1, median, q3 "
                      "and mean; (model - data) / 0.05 for within7"),
        "measured": ("requests to the platform (hotline, app, rider) from known_at to "
                     "closed_at, open ones censored at the run's end, those known in the "
                     "first tenth left out"),
        "budget_runs": budget, "runs": len(search.trace) * len(seeds),
        "evaluations": len(search.trace), "start_points": n_start,
        "seeds": list(seeds), "days": days, "workers": workers, "lhs_seed": seed,
        "parameters": [{"keys": list(p.keys), "bounds": [p.low, p.high], "why": p.why,
                        "base": float(flat[p.keys[0]]), "fitted": v}
                       for p, v in zip(parameters, best["values"], strict=True)],
        "targets": targets, "reached": {k: reached.get(k) for k in STATS},
        "z": {k: round(v, 3) for k, v in z.items()},
        "distance": round(distance(z), 4),
        "within_bands": sorted(k for k, v in z.items() if abs(v) <= 1),
        "path": [round(min(r["distance"] for r in search.trace[:i + 1]), 4)
                 for i in range(0, len(search.trace), max(1, len(search.trace) // 20))],
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return TailFit(values, reached, z, record)
