"""The calibrated scenario's values: one point of the posterior.

``point = "median"`` takes each parameter's weighted posterior median. In many
dimensions with correlated parameters the medians can fall off the posterior's ridge
(each is typical, the combination is not), so ``point = "best"`` instead re-runs the
``point_candidates`` final particles with the smallest ABC distance on
``point_replicates`` fresh seeds each (the same seeds for every candidate: common
random numbers) and keeps the one whose worst fitted target is nearest its observation
— the largest |median - observed| / tolerance over the fitted targets, which is at most
1 exactly when every target is met — ties going to the smaller tolerance-scaled
distance. Minimising the worst misfit keeps a margin on every target, where the
smallest total distance could sit on an edge and fall off it on other seeds. The seeds
are drawn apart from the fit check's, so the check that follows is an out-of-sample
test of the chosen point.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.abc import SimModel
from sim.calibration.spec import Calibration

# spawn key of the selection seeds: the fit check uses SeedSequence(seed).spawn(...)
SELECTION_STREAM = 1


@dataclass(frozen=True)
class Point:
    values: dict[str, Any]  # scenario key -> value (rounded for whole-number keys)
    how: str  # how it was chosen, for the scenario's sources and the report
    candidates: pd.DataFrame  # "best": the ranking (misfits, medians, values); else empty


def choose_point(cal: Calibration, model: SimModel, posterior: pd.DataFrame,
                 distances: np.ndarray, table: pd.DataFrame, *, workers: int | None = None,
                 quiet: bool = False) -> Point:
    """The calibrated scenario's values by the spec's ``point`` rule."""
    if cal.spec.point == "median":
        values = {r.key: (round(r.median) if cal.kinds[r.key] is int else float(r.median))
                  for r in table.itertuples()}
        return Point(values, "posterior median", pd.DataFrame())
    n = min(cal.spec.point_candidates, len(posterior))
    order = np.argsort(np.asarray(distances, float), kind="stable")[:n]
    keys = [p.key for p in cal.spec.parameters]
    cands = [{k: _plain(posterior[k].iloc[i], cal.kinds[k]) for k in keys} for i in order]
    seeds = np.random.SeedSequence(cal.spec.seed,
                                   spawn_key=(SELECTION_STREAM,)).spawn(cal.spec.point_replicates)
    jobs = [(c, s) for c in cands for s in seeds]
    stats = _run_all(model, jobs, workers, quiet)
    rows = []
    per = len(seeds)
    for j, cand in enumerate(cands):
        frame = pd.DataFrame(stats[j * per:(j + 1) * per])
        missed, total, worst, meds = 0, 0.0, 0.0, {}
        for t in model.targets:
            x = frame[t.name].to_numpy(float)
            med = float(np.nanmedian(x)) if np.isfinite(x).any() else math.nan
            missed += not t.within(med)
            z = abs(med - t.value) / t.tolerance if math.isfinite(med) else 1e3
            total += z * z
            worst = max(worst, z)
            meds[t.name] = med
        rows.append({"candidate": j, "abc_distance": float(distances[order[j]]),
                     "worst_misfit": worst, "missed": missed, "distance": math.sqrt(total),
                     **meds, **cand})
    table_c = pd.DataFrame(rows).sort_values(["worst_misfit", "distance"], kind="stable")
    best = int(table_c["candidate"].iloc[0])
    how = (f"of the {n} final particles nearest the targets, each re-run on {per} fresh "
           "seeds, the one whose worst fitted target is nearest")
    return Point(cands[best], how, table_c.reset_index(drop=True))


def _plain(v: Any, kind: type) -> Any:
    return round(float(v)) if kind is int else float(v)


def _one(args: tuple[SimModel, dict[str, Any], np.random.SeedSequence]) -> dict[str, float]:
    model, overrides, seed = args
    return model.run(overrides, seed)


def _run_all(model: SimModel, jobs: list[tuple[dict[str, Any], np.random.SeedSequence]],
             workers: int | None, quiet: bool) -> list[dict[str, float]]:
    """Every (candidate, seed) run, in order; results do not depend on ``workers``."""
    from tqdm import tqdm

    args = [(model, c, s) for c, s in jobs]
    bar: dict[str, Any] = {"total": len(args), "desc": "best point", "unit": "run",
                           "disable": quiet, "leave": False}
    if workers == 1 or len(args) < 2:
        return [_one(a) for a in tqdm(args, **bar)]
    import multiprocessing

    # a fork server that has imported the model, as the experiment pool uses: this
    # process has threads (pyabc's, tqdm's) that a plain fork would copy mid-state
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["sim.calibration.point", "sim.run"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return list(tqdm(pool.map(_one, args, chunksize=1), **bar))
