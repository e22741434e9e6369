"""``govsim optimise SPEC``: many-objective policy search with the EMA Workbench.

The search is EMA's ``optimize`` (epsilon-NSGA-II from platypus-opt) over the spec's
levers; each evaluation runs govsim through the connector in :mod:`sim.experiments.ema`,
averaged over replicate seeds (common random numbers). A robust search (``[robust]``)
runs every policy in each of a Latin-hypercube sample of futures of the uncertain
assumptions (EMA's sampler) and scores each objective by its mean, median or worst
case over them; the scoring is done per policy in the connector (EMA 3.0.0's
``robust_optimize`` pools all policies of a generation when it scores them).

Results land in ``results/<name>/``::

    manifest.json        spec, versions, counts, timing, status
    pareto.parquet/.csv  the Pareto set: lever values and objective values
    convergence.parquet  epsilon progress and hypervolume against evaluations
    archives.tar         EMA's archive snapshots (one CSV per convergence step)
    evaluations/         one JSON per simulated run: what makes a rerun resume
    report/              report.html / report.md with the Pareto front and convergence

Resuming: the search is seeded, and every run it asks for is looked up in
``evaluations/`` before it is simulated, so running the same command again after an
interruption replays the finished part from disk and carries on; the final result is
the one an uninterrupted search gives. ``--force`` clears the evaluations.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.ema import ema_name, govsim_model, scenario_key
from sim.experiments.planning_report import make_planning_report
from sim.experiments.planning_run import (
    count_evaluations,
    import_ema,
    make_evaluator,
    quiet_bars,
    results_root,
    run_manifest,
    write_json,
)
from sim.experiments.planning_spec import OptimiseSpec, Planning, load_planning

ARCHIVES = "archives.tar"


@dataclass
class OptimiseResult:
    out: Path
    pareto: pd.DataFrame
    convergence: pd.DataFrame
    policies: int  # policies evaluated (nfe)
    runs: int  # model runs they took (policies x replicates x futures)
    simulated: int  # runs simulated now (the rest came from evaluations/)
    wall_seconds: float


def robustness(spec: OptimiseSpec) -> dict[str, str]:
    """Each objective's statistic over the sampled futures (``worst`` by direction)."""
    out = {}
    for o in spec.objectives:
        if o.robustness == "worst":
            out[o.outcome] = "min" if o.direction == "maximize" else "max"
        else:
            out[o.outcome] = o.robustness
    return out


def sample_futures(plan: Planning) -> list[dict[str, float]]:
    """The robust search's futures: EMA's Latin hypercube over the uncertainties."""
    spec = plan.spec
    assert isinstance(spec, OptimiseSpec) and spec.robust is not None
    from sim.experiments.ema import _cast, _parameter

    import_ema()
    from ema_workbench.em_framework.samplers import LHSSampler

    params = [_parameter(r) for r in plan.uncertainties]
    samples = LHSSampler().generate_samples(params, spec.robust.scenarios,
                                            rng=spec.robust.seed)
    return [{r.key: _cast(s[ema_name(r.key)], bool(r.integer)) for r in plan.uncertainties}
            for s in samples]


def run_optimise(spec: str | Path, *, out: str | Path | None = None,
                 workers: int | None = None, force: bool = False, quiet: bool = False,
                 report: bool = True) -> OptimiseResult:
    """Run an optimise spec; see the module docstring. Bad specs raise ``InputError``
    before anything is written."""
    start = time.perf_counter()
    plan = load_planning(spec, expect="optimise")
    assert isinstance(plan.spec, OptimiseSpec)
    root = results_root(plan, out, force)
    from sim.experiments.runner import _lock, versions

    with _lock(root):
        cache = root / "evaluations"
        if force and cache.exists():
            shutil.rmtree(cache)
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        write_json(root / "manifest.json",
                   run_manifest(plan, "running", started, None, {}, versions()))
        staging = root / f".tmp-{uuid.uuid4().hex}"
        staging.mkdir(parents=True)
        try:
            pareto, conv, counts = _search(plan, cache, staging, workers, quiet)
            pareto.to_parquet(staging / "pareto.parquet", index=False)
            pareto.to_csv(staging / "pareto.csv", index=False)
            conv.to_parquet(staging / "convergence.parquet", index=False)
            for name in ("pareto.parquet", "pareto.csv", "convergence.parquet", ARCHIVES):
                if (staging / name).exists():
                    os.replace(staging / name, root / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        wall = time.perf_counter() - start
        counts["wall_seconds"] = round(wall, 2)
        write_json(root / "manifest.json", run_manifest(
            plan, "complete", started, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            counts, versions()))
    if report:
        make_planning_report(root)
    return OptimiseResult(root, pareto, conv, counts["nfe"], counts["runs"], counts["simulated"],
                          wall)


def _search(plan: Planning, cache: Path, staging: Path, workers: int | None, quiet: bool
            ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    ema = import_ema()
    spec = plan.spec
    assert isinstance(spec, OptimiseSpec)
    futures = sample_futures(plan) if spec.robust is not None else None
    model = govsim_model(plan.base, levers=plan.levers, outcomes=plan.outcomes,
                         replicates=spec.replicates, seed=spec.seed, days=plan.days,
                         cache_dir=cache, futures=futures, robustness=robustness(spec),
                         name="govsim")
    before = count_evaluations(cache)
    kwargs: dict[str, Any] = {
        "nfe": spec.search.nfe, "epsilons": [o.epsilon for o in spec.objectives],
        "population_size": spec.search.population,
        "convergence_freq": spec.search.convergence_every, "rng": spec.search.seed,
        "filename": ARCHIVES, "directory": str(staging),
    }
    with quiet_bars(quiet), make_evaluator(model, workers) as evaluator:
        results, runtime = evaluator.optimize(searchover="levers", **kwargs)
    problem = ema.Problem("levers", model.levers,
                          [o for o in model.outcomes if o.kind != o.INFO])
    conv = _convergence(staging / ARCHIVES, runtime, results, problem)
    objective_names = [o.outcome for o in spec.objectives]
    pareto = results.rename(columns={ema_name(r.key): r.key for r in plan.levers})
    for r in plan.levers:
        if r.integer:
            pareto[r.key] = pareto[r.key].round().astype("int64")
    pareto = pareto[[r.key for r in plan.levers] + objective_names]
    pareto = pareto.sort_values(objective_names[0], kind="stable").reset_index(drop=True)
    n_rep = spec.replicates * (len(futures) if futures is not None else 1)
    counts = {"nfe": spec.search.nfe, "runs": spec.search.nfe * n_rep,
              "simulated": count_evaluations(cache) - before, "pareto_points": len(pareto),
              "evaluator": type(evaluator).__name__,
              "workers": getattr(evaluator, "n_processes", 1)}
    return pareto, conv, counts


def _convergence(tar: Path, runtime: pd.DataFrame, results: pd.DataFrame, problem: Any
                 ) -> pd.DataFrame:
    """Epsilon progress (EMA's runtime record) and hypervolume of each archive snapshot,
    relative to the final Pareto set."""
    ema = import_ema()
    conv = runtime[["nfe", "epsilon_progress"]].copy() if "epsilon_progress" in runtime \
        else runtime[["nfe"]].assign(epsilon_progress=np.nan)
    conv = conv.drop_duplicates("nfe", keep="last")
    if not tar.exists() or len(results) == 0:
        return conv.assign(hypervolume=np.nan)
    archives = ema.load_archives(str(tar))
    cols = list(problem.parameter_names) + list(problem.outcome_names)
    hv = None
    if len(problem.outcome_names) > 1:
        from platypus import PlatypusError

        try:
            hv = ema.HypervolumeMetric(results[cols], problem)
        except PlatypusError:  # an objective is constant over the front: no volume
            hv = None
    rows = []
    for nfe, archive in sorted(archives, key=lambda t: t[0]):
        value = float(hv.calculate(archive[cols])) if hv is not None and len(archive) else \
            np.nan
        rows.append({"nfe": nfe, "hypervolume": value, "archive_size": len(archive)})
    hvs = pd.DataFrame(rows).drop_duplicates("nfe", keep="last")
    return conv.merge(hvs, on="nfe", how="outer").sort_values("nfe").reset_index(drop=True)


__all__ = ["OptimiseResult", "run_optimise", "scenario_key"]
