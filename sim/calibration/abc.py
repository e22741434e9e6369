"""ABC-SMC with pyabc: the model's assumptions fitted to the observed patterns.

Each particle is one run of the base scenario (and of each variant a fitted target
needs) with the particle's values; its distance to the observed patterns is

    d = sqrt( sum over fitted targets of ((model - observed) / tolerance)^2 )

so a target's tolerance is its unit of misfit. pyabc lowers the acceptance threshold
each generation (median of the last distances) and keeps its history in an SQLite
database in the output folder: a run that is stopped resumes from its last complete
generation. Sampling runs on a local process pool (``workers``), in this process
(``workers=1``) or on a Dask cluster (``scheduler``).

Model runs take their seeds from the sampler's random stream, so a particle's run is a
fresh draw of chance (the posterior accounts for it); pyabc's sampling order depends on
timing, so two calibrations agree in distribution, not bit for bit. Everything after
the posterior (the fit report, the calibrated scenario) is seeded and reproducible.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.spec import Calibration
from sim.calibration.targets import RunTables, Target, Targets, evaluate
from sim.run import simulate
from sim.scenario import Scenario, load_scenario

MISSING = 1e3  # distance contribution of a statistic the run could not compute


def _name(i: int) -> str:
    return f"p{i}"  # pyabc stores parameters as columns: plain names


@dataclass
class SimModel:
    """Parameters in, the fitted targets' statistics out (picklable for any sampler)."""

    base: Scenario
    variants: dict[str, Scenario]
    keys: tuple[str, ...]
    kinds: tuple[type, ...]
    logs: tuple[bool, ...]  # sampled as log(value): log-uniform priors
    targets: tuple[Target, ...]
    days: int

    def overrides(self, par: dict[str, float]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, (key, kind) in enumerate(zip(self.keys, self.kinds, strict=True)):
            v = float(par[_name(i)])
            v = math.exp(v) if self.logs[i] else v
            out[key] = round(v) if kind is int else v
        return out

    def run(self, overrides: dict[str, Any], seed: int | np.random.SeedSequence,
            targets: tuple[Target, ...] | None = None) -> dict[str, float]:
        targets = self.targets if targets is None else targets
        runs: dict[str | None, RunTables] = {}
        needed = {t.variant for t in targets}
        for variant in needed:
            sc = self.base if variant is None else self.variants[variant]
            sc = sc.with_overrides(overrides, origin="calibration")
            r = simulate(sc, days=self.days, seed=seed)
            runs[variant] = RunTables(sc, r.summary, r.daily, r.issues)
        return evaluate(list(targets), runs)

    def __call__(self, par: dict[str, float]) -> dict[str, float]:
        seed = int(np.random.randint(0, 2**31 - 1))  # the sampler's stream
        return self.run(self.overrides(par), seed)


@dataclass
class Distance:
    """Tolerance-scaled Euclidean distance over the fitted targets."""

    names: tuple[str, ...]
    scales: tuple[float, ...]

    def __call__(self, x: dict[str, float], x0: dict[str, float]) -> float:
        total = 0.0
        for name, scale in zip(self.names, self.scales, strict=True):
            v = float(x[name])
            z = (v - float(x0[name])) / scale if math.isfinite(v) else MISSING
            total += z * z
        return math.sqrt(total)


def build_model(cal: Calibration, targets: Targets) -> SimModel:
    fitted = tuple(targets.named(cal.fit_names()))
    if not fitted:
        from sim.calibration.spec import CalibrationSpecError

        raise CalibrationSpecError(f"{cal.path}: fit: no fitted targets in {targets.path}")
    variants = {}
    for t in targets:
        if t.variant is not None and t.variant not in variants:
            path = targets.variant_path(t)
            assert path is not None
            variants[t.variant] = load_scenario(path).with_overrides(
                {"layout.scale": cal.spec.scale}, origin=str(path))
    return SimModel(cal.base, variants, tuple(p.key for p in cal.spec.parameters),
                    tuple(cal.kinds[p.key] for p in cal.spec.parameters),
                    tuple(p.prior == "loguniform" for p in cal.spec.parameters), fitted,
                    cal.spec.days)


def check_fit_names(cal: Calibration, targets: Targets) -> None:
    from sim.calibration.spec import CalibrationSpecError

    names = {t.name: t for t in targets}
    for i, n in enumerate(cal.fit_names() or []):
        if n not in names:
            raise CalibrationSpecError(f"{cal.path}: fit[{i}]: unknown target {n!r}; "
                                       f"allowed: {', '.join(names)}")
        if names[n].role != "fitted":
            raise CalibrationSpecError(f"{cal.path}: fit[{i}]: target {n!r} is "
                                       f"{names[n].role}, not fitted (see {targets.path})")


def prior(cal: Calibration) -> Any:
    import pyabc

    rvs = {}
    for i, p in enumerate(cal.spec.parameters):
        lo, hi = p.range
        if p.prior == "loguniform":
            # Sampled as log(value), uniform: pyabc's perturbation kernel then moves in
            # the same scale as the prior. (A log-uniform density with a kernel in the
            # raw scale gave particles near the low end almost all the weight: an
            # effective sample of 1-9 of 100.)
            lo, hi = math.log(lo), math.log(hi)
        rvs[_name(i)] = pyabc.RV("uniform", lo, hi - lo)
    return pyabc.Distribution(**rvs)


def transition(cal: Calibration) -> Any:
    """pyabc's perturbation kernel named by the spec."""
    from pyabc.transition import LocalTransition, MultivariateNormalTransition

    if cal.spec.transition == "local":
        return LocalTransition(scaling=cal.spec.kernel_scaling)
    return MultivariateNormalTransition(scaling=cal.spec.kernel_scaling)


def make_sampler(workers: int | None, scheduler: str | None, progress: bool) -> Any:
    """pyabc sampler: this process, a local process pool, or a Dask cluster."""
    from pyabc.sampler import (
        DaskDistributedSampler,
        MulticoreEvalParallelSampler,
        SingleCoreSampler,
    )

    if scheduler:
        from distributed import Client

        from sim.errors import InputError

        try:
            client = Client(scheduler, timeout=15)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                             f"({exc})") from None
        sampler = DaskDistributedSampler(dask_client=client, batch_size=1)
    elif workers == 1:
        sampler = SingleCoreSampler(check_max_eval=True)  # min_acceptance_rate's budget
    else:
        sampler = MulticoreEvalParallelSampler(n_procs=workers, check_max_eval=True)
    sampler.show_progress = progress
    return sampler


@dataclass
class AbcResult:
    db: Path
    generations: int
    resumed_from: int
    posterior: pd.DataFrame  # one row per particle: parameter keys, weight
    distances: np.ndarray  # each particle's distance to the targets (its one run)
    epsilons: list[float]
    evaluations: int


def run_abc(cal: Calibration, out: Path, *, workers: int | None = None,
            scheduler: str | None = None, force: bool = False,
            quiet: bool = False) -> AbcResult:
    """Run (or resume) the ABC-SMC of ``cal``; its database is ``out/abc.db``."""
    import pyabc

    abc_log = logging.getLogger("ABC")
    abc_log.setLevel(logging.INFO)  # pyabc's generation records drive the progress bar
    abc_log.propagate = False  # ... and are not printed (pyabc's own console handler
    for handler in abc_log.handlers:  # is kept for warnings only)
        if not isinstance(handler, _Progress):
            handler.setLevel(logging.WARNING)
    for name in ("ABC.Sampler", "ABC.History", "ABC.Epsilon", "ABC.Distance",
                 "ABC.Adaptation", "ABC.Population", "ABC.Transition"):
        logging.getLogger(name).setLevel(logging.WARNING)
    targets = cal.targets()
    check_fit_names(cal, targets)
    model = build_model(cal, targets)
    observed = {t.name: t.value for t in model.targets}
    distance = Distance(tuple(t.name for t in model.targets),
                        tuple(t.tolerance for t in model.targets))
    out.mkdir(parents=True, exist_ok=True)
    db_file = out / "abc.db"
    stamp = out / "abc.digest"
    if force or (db_file.exists() and (not stamp.exists()
                                       or stamp.read_text().strip() != cal.digest())):
        db_file.unlink(missing_ok=True)  # another spec's run (or --force): start afresh
    sampler = make_sampler(workers, scheduler, progress=not quiet)
    np.random.seed(cal.spec.seed)  # the first generation's prior draws
    abc = pyabc.ABCSMC(model, prior(cal), distance, population_size=cal.spec.population,
                       sampler=sampler, transitions=transition(cal))
    db = f"sqlite:///{db_file.resolve()}"
    done = 0
    if db_file.exists():
        history = abc.load(db, 1)
        done = history.max_t + 1 if history.max_t is not None and history.max_t >= 0 else 0
    else:
        abc.new(db, observed)
        stamp.write_text(cal.digest() + "\n")
    resumed_from = done
    bar = _bar(cal.spec.generations, done, quiet, cal.name)
    # One run() for all remaining generations: pyabc re-initialises its threshold at
    # each call (a generation per call would not shrink it); the bar follows pyabc's
    # own log records of each generation.
    watcher = _Progress(bar)
    abc_log = logging.getLogger("ABC")
    abc_log.addHandler(watcher)
    try:
        if done < cal.spec.generations:
            abc.run(max_nr_populations=cal.spec.generations - done,
                    minimum_epsilon=cal.spec.min_epsilon,
                    min_acceptance_rate=cal.spec.min_acceptance_rate)
    finally:
        abc_log.removeHandler(watcher)
        bar.close()
        if scheduler:
            sampler.client.close()
    history = abc.history
    if history.max_t is None or history.max_t < 0:
        from sim.calibration.spec import CalibrationSpecError

        raise CalibrationSpecError(
            f"{cal.path}: min_acceptance_rate: no generation was accepted at "
            f"{cal.spec.min_acceptance_rate}; allowed: a lower rate (0 for no limit)")
    particles = history.get_population(t=history.max_t).particles
    frame = pd.DataFrame([dict(p.parameter) for p in particles])
    w = [p.weight for p in particles]
    post = pd.DataFrame({key: np.exp(frame[_name(i)].to_numpy()) if model.logs[i]
                         else frame[_name(i)].to_numpy() for i, key in enumerate(model.keys)})
    for key, kind in zip(model.keys, model.kinds, strict=True):
        if kind is int:  # the model ran with the rounded value
            post[key] = post[key].round().astype(np.int64)
    post["weight"] = np.asarray(w, dtype=float)
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    return AbcResult(db_file, int(history.max_t) + 1, resumed_from, post,
                     np.array([p.distance for p in particles], dtype=float),
                     [float(e) for e in pops["epsilon"]],
                     int(history.total_nr_simulations))


class _Progress(logging.Handler):
    """Moves the progress bar on pyabc's "t: ..., eps: ..." and "Accepted: ..." records."""

    def __init__(self, bar: Any) -> None:
        super().__init__(logging.INFO)
        self.bar = bar
        self.eps = ""

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg.startswith("t: ") and "eps:" in msg:
            self.eps = msg.split("eps:")[1].strip().rstrip(".")
        elif msg.startswith("Accepted:"):
            self.bar.update(1)
            rate = msg.split("=")[1].split(",")[0].strip()
            self.bar.set_postfix(eps=f"{float(self.eps):.3g}", accepted=f"{float(rate):.2g}")


def _bar(total: int, initial: int, quiet: bool, name: str) -> Any:
    import sys

    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="generation", desc=f"{name} ABC-SMC",
                file=sys.stderr, disable=quiet, position=0)
