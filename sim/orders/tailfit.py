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

Recent orders count more (``half_life``): each fitted order is weighted by half for
every ``half_life`` days it lies before the holdout's start (weighted Kaplan-Meier,
statsmodels), since the months just before the holdout are the best guide to it; the
holdout itself is never looked at.

The search is a Latin hypercube, then Nelder-Mead, on a seeded objective with common
random numbers: every candidate runs on the same seeds, so two candidates differ by
their values, not by chance. The best few are then re-run on as many fresh seeds
(2001...) and the one nearest on both sets is chosen: the best of many candidates on
four communities is partly the best on *those* communities (the winner's curse).
Misfit is in the units of the check's bands: log(model / data) / log(1.15) for the
quartiles and mean (15% = 1), (model - data) / 0.05 for the 7-day share (5 points = 1);
the distance is the root of the sum of squares.
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
from sim.orders.fit import closure_summary, mean_under_followup, weighted_closure_summary
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
CONFIRM_FIRST_SEED = 2001  # the confirming runs: apart from the fit's and the check's
CONFIRM = 4  # best candidates re-run on fresh seeds before one is chosen
HALF_LIFE_DAYS = 365.0  # recency weighting of the fitted orders (0: every order alike)


def fit_seeds(k: int) -> tuple[int, ...]:
    return tuple(range(1001, 1001 + k))


def confirm_seeds(k: int) -> tuple[int, ...]:
    return tuple(range(CONFIRM_FIRST_SEED, CONFIRM_FIRST_SEED + k))


@dataclass(frozen=True)
class TailParameter:
    """One dimension of the search: a key, or several keys that take one value."""

    keys: tuple[str, ...]
    low: float
    high: float
    why: str
    scale: bool = False  # the value multiplies each key's base value (a factor)
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or " = ".join(self.keys)


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


def desk_hours(categories: list[str] | tuple[str, ...]) -> TailParameter:
    """A factor on every category's desk hours (``categories.*.handling.mean_hours``):
    with the dispatch delay, what sets the quick end (Q1) and the queues of the
    community office, which resolves half the requests."""
    return TailParameter(tuple(f"categories.{c}.handling.mean_hours" for c in categories),
                         0.25, 2.0, "a factor on every category's desk hours (the "
                         "unit's own work on an order): with the dispatch delay, the quick "
                         "end (Q1) and the community office's queue", scale=True,
                         label="categories.*.handling.mean_hours (factor)")


def tail_parameters(scenario: Scenario) -> tuple[TailParameter, ...]:
    """What ``--fit-tail`` searches: :data:`TAIL_PARAMETERS` and the desk-hours factor."""
    return (*TAIL_PARAMETERS, desk_hours(list(scenario.categories)))


def targets_from(data: Mapping[str, Any], days: np.ndarray, closed: np.ndarray,
                 window: float, weights: np.ndarray | None = None) -> dict[str, float]:
    """The fit's targets: the data's quartiles and 7-day share (Kaplan-Meier), and its
    mean of closed orders re-weighted to the model's window; with ``weights`` (e.g.
    :func:`sim.orders.fit.recency_weights`) all from the weighted Kaplan-Meier estimate
    of ``days``."""
    if weights is not None:
        data = weighted_closure_summary(days, closed, weights)
    out = {k: float(data[k]) for k in ("q1", "median", "q3", "within7")
           if data.get(k) is not None}
    mean = mean_under_followup(days, closed, window, weights)
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
    frames: dict[tuple[float, ...], pd.DataFrame] = field(default_factory=dict)
    _base: dict[str, Any] | None = None

    def values(self, u: np.ndarray) -> tuple[float, ...]:
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        return tuple(round(p.low + float(v) * (p.high - p.low), 4)
                     for p, v in zip(self.parameters, u, strict=True))

    def overrides(self, x: tuple[float, ...]) -> dict[str, float]:
        if self._base is None:
            self._base = self.scenario.flat()
        return {k: (round(float(self._base[k]) * v, 4) if p.scale else v)
                for p, v in zip(self.parameters, x, strict=True) for k in p.keys}

    def pooled(self, xs: list[tuple[float, ...]], seeds: tuple[int, ...]
               ) -> list[pd.DataFrame]:
        """Each candidate's requests on ``seeds``, pooled."""
        jobs = [(self.scenario, self.overrides(x), self.days, s) for x in xs for s in seeds]
        frames = list(self.runs(_one, jobs))
        k = len(seeds)
        return [pd.concat(frames[j * k:(j + 1) * k], ignore_index=True)
                for j in range(len(xs))]

    def many(self, us: list[np.ndarray]) -> list[float]:
        xs = [self.values(u) for u in us]
        new = list(dict.fromkeys(x for x in xs if x not in self._seen))
        for x, pooled in zip(new, self.pooled(new, self.seeds), strict=True):
            summ = closure_summary(pooled["days"].to_numpy(), pooled["is_closed"].to_numpy())
            d = distance(misfit(summ, self.targets))
            self._seen[x] = d
            self.frames[x] = pooled
            self.trace.append({"values": x, "summary": summ, "distance": d})
        return [self._seen[x] for x in xs]

    def confirm(self, k: int, seeds: tuple[int, ...]) -> list[dict[str, Any]]:
        """The ``k`` best candidates re-run on ``seeds`` (fresh ones); each with its
        distance on the fit's seeds and these together, nearest first."""
        top = sorted(self.trace, key=lambda r: r["distance"])[:k]
        xs = [r["values"] for r in top]
        out = []
        for r, extra in zip(top, self.pooled(xs, seeds), strict=True):
            both = pd.concat([self.frames[r["values"]], extra], ignore_index=True)
            summ = closure_summary(both["days"].to_numpy(), both["is_closed"].to_numpy())
            out.append({"values": r["values"], "summary": summ,
                        "distance_fit_seeds": r["distance"],
                        "distance": distance(misfit(summ, self.targets))})
        return sorted(out, key=lambda r: r["distance"])

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
             parameters: tuple[TailParameter, ...] | None = None,
             seeds: tuple[int, ...] = FIT_SEEDS, workers: int = 2, seed: int = 1,
             confirm: int = CONFIRM, say: Callable[[str], None] = lambda s: None,
             runs: Callable[..., Any] | None = None) -> TailFit:
    """A space-filling start (Latin hypercube, the base's values among them), then
    Nelder-Mead from the best, then the ``confirm`` best re-run on fresh seeds, within
    ``budget`` model runs (``runs``: a ``map``-like function, for tests)."""
    if parameters is None:
        parameters = tail_parameters(scenario)
    if runs is not None or workers <= 1:
        return _fit(scenario, targets, budget, days, parameters, seeds, runs or map, 1,
                    seed, confirm, say)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # a fork server that has imported the model, as the experiments' pool does: a plain
    # fork would copy this process's threads mid-state
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["sim.orders.tailfit", "sim.run"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return _fit(scenario, targets, budget, days, parameters, seeds, pool.map, workers,
                    seed, confirm, say)


def _fit(scenario: Scenario, targets: dict[str, float], budget: int, days: int,
         parameters: tuple[TailParameter, ...], seeds: tuple[int, ...],
         runs: Callable[..., Any], workers: int, seed: int, confirm: int,
         say: Callable[[str], None]) -> TailFit:
    from scipy.optimize import minimize
    from scipy.stats import qmc

    t0 = time.perf_counter()
    dim = len(parameters)
    search = Search(scenario, parameters, targets, days, seeds, runs)
    # The confirming runs come out of the budget (none if it is too small for them).
    confirm = confirm if budget // len(seeds) >= 3 * (dim + 2) + confirm else 0
    evaluations = max((budget - confirm * len(seeds)) // len(seeds), dim + 2)
    # A third of the budget spreads over the box (at least d + 1, at most 8 d points),
    # the rest refines the best of them.
    n_start = int(min(max(evaluations // 3, dim + 1), 8 * dim, evaluations - 1))
    flat = scenario.flat()

    def base_of(p: TailParameter) -> float:
        return 1.0 if p.scale else float(flat[p.keys[0]])

    base = np.array([(min(max(base_of(p), p.low), p.high) - p.low) / (p.high - p.low)
                     for p in parameters])
    start = [base, *qmc.LatinHypercube(d=dim, seed=seed).random(n_start - 1)]
    say(f"--fit-tail: {dim} parameters, {len(seeds)} seeds a candidate, at most "
        f"{evaluations * len(seeds) + confirm * len(seeds)} runs of {days} days on "
        f"{workers} process(es): {n_start} candidates over the box, then Nelder-Mead, "
        f"then the best {confirm} on {len(seeds)} fresh seeds")
    dist = search.many(list(start))
    u0 = start[int(np.argmin(dist))]
    say(f"--fit-tail: best of {n_start}: distance {min(dist):.3f} "
        f"({time.perf_counter() - t0:.0f} s)")
    def progress(intermediate_result: Any) -> None:
        n = len(search.trace)
        if n % 10 < 2:
            say(f"--fit-tail: {n * len(seeds)} runs, best distance "
                f"{search.best()['distance']:.3f} ({time.perf_counter() - t0:.0f} s)")

    # Nelder-Mead from the best start with 60% of what is left, then restarted from the
    # best point so far with a fresh simplex (its simplex shrinks along the directions it
    # has tried and stalls in a long valley; a fresh one looks round again).
    restarts = 0
    for share in (0.6, 1.0):
        left = evaluations - len(search.trace)
        fev = int(left * share) if share < 1 else left
        if fev <= dim:
            break
        if restarts:
            u0 = np.array([(v - p.low) / (p.high - p.low) for p, v in
                           zip(parameters, search.best()["values"], strict=True)])
        step = np.where(u0 + 0.15 <= 1.0, 0.15, -0.15)  # a simplex inside the box
        simplex = np.vstack([u0, u0 + np.diag(step)])
        minimize(search, u0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * dim,
                 callback=progress,
                 options={"maxfev": fev, "initial_simplex": simplex, "xatol": 1e-3,
                          "fatol": 1e-3})
        restarts += 1
    confirmed: list[dict[str, Any]] = []
    if confirm:
        more = confirm_seeds(len(seeds))
        confirmed = search.confirm(confirm, more)
        best = confirmed[0]
        say(f"--fit-tail: the best {confirm} re-run on seeds {more[0]}-{more[-1]}: "
            f"chosen distance {best['distance']:.3f} on both sets "
            f"({best['distance_fit_seeds']:.3f} on the fit's seeds)")
    else:
        best = search.best()
    values = search.overrides(best["values"])
    reached = best["summary"]
    z = misfit(reached, targets)
    n_runs = (len(search.trace) + len(confirmed)) * len(seeds)

    def param(p: TailParameter, v: float) -> dict[str, Any]:
        return {"keys": list(p.keys), "name": p.name, "bounds": [p.low, p.high],
                "why": p.why, "scale": p.scale, "base": base_of(p), "fitted": v,
                "set": {k: values[k] for k in p.keys}}

    record = {
        "method": ("a Latin hypercube over the box (scipy.stats.qmc, the base's values "
                   "among the points), then scipy.optimize.minimize Nelder-Mead from the "
                   "best, restarted once from the best so far with a fresh simplex, on a "
                   "seeded objective with common random numbers: every "
                   "candidate runs on the same seeds; then the best few re-run on as many "
                   "fresh seeds, and the one nearest on both sets chosen"),
        "objective": ("sqrt(sum z^2): z = log(model / data) / log(1.15) for q1, median, q3 "
                      "and mean; (model - data) / 0.05 for within7"),
        "measured": ("requests to the platform (hotline, app, rider) from known_at to "
                     "closed_at, open ones censored at the run's end, those known in the "
                     "first tenth left out"),
        "budget_runs": budget, "runs": n_runs,
        "evaluations": len(search.trace), "start_points": n_start,
        "nelder_mead_starts": restarts,
        "seeds": list(seeds), "days": days, "workers": workers, "lhs_seed": seed,
        "confirm": {"candidates": len(confirmed),
                    "seeds": list(confirm_seeds(len(seeds))) if confirmed else [],
                    "rows": [{"values": list(r["values"]),
                              "distance_fit_seeds": round(r["distance_fit_seeds"], 4),
                              "distance_both": round(r["distance"], 4)}
                             for r in confirmed]},
        "parameters": [param(p, v) for p, v in zip(parameters, best["values"], strict=True)],
        "targets": targets, "reached": {k: reached.get(k) for k in STATS},
        "reached_on": "fit and confirming seeds" if confirmed else "fit seeds",
        "z": {k: round(v, 3) for k, v in z.items()},
        "distance": round(distance(z), 4),
        "within_bands": sorted(k for k, v in z.items() if abs(v) <= 1),
        "path": [round(min(r["distance"] for r in search.trace[:i + 1]), 4)
                 for i in range(0, len(search.trace), max(1, len(search.trace) // 20))],
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return TailFit(values, reached, z, record)
