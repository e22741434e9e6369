"""Resolve a spec into concrete runs: scenarios loaded and validated, seeds, run ids.

Everything that can be wrong with a spec is found here, before any run starts and
before anything is written: the spec's keys, every scenario file, every override and
every design point are validated.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiments.design import DesignPoints, check_integer_range, make_design, to_value
from sim.experiments.seeds import replicate_seeds, seed_record
from sim.experiments.spec import BatchSpec, SpecError, SweepSpec, read_spec
from sim.limits import check_run_count
from sim.outcomes import neighbourhood_names, summary_keys
from sim.scenario import Scenario, ScenarioError, load_scenario


@dataclass(frozen=True)
class RunMeta:
    """One run of an experiment (what it is, not what it gave)."""

    run_id: str
    order: int
    scenario: str
    replicate: int
    point: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunTask:
    """What a worker needs to make one run (picklable, self-contained)."""

    run_id: str
    scenario: Scenario
    seed: np.random.SeedSequence
    days: int
    task_hash: str


@dataclass
class Experiment:
    """A validated experiment: its spec, scenarios, design, seeds and runs."""

    path: Path
    spec: BatchSpec | SweepSpec
    raw: dict[str, Any]
    name: str
    seeds: list[np.random.SeedSequence]
    scenarios: dict[str, Scenario]
    scenario_files: dict[str, str]
    reference: str | None
    design: DesignPoints | None
    runs: list[RunMeta]
    hashes: dict[str, str]
    # Assumption values per replicate, drawn from a posterior (``posterior`` in a spec).
    draws: list[dict[str, Any]] | None = None

    @property
    def kind(self) -> str:
        return self.spec.kind

    def days_for(self, scenario: Scenario) -> int:
        """Simulated days for a run of ``scenario``."""
        return int(self.spec.days if self.spec.days is not None else scenario.run.days)

    def scenario_for(self, run: RunMeta) -> Scenario:
        """The validated scenario of one run (design points are rebuilt on demand)."""
        sc = self.scenarios[run.scenario]
        if run.point is not None:
            sc = sc.with_overrides(run.params, origin=f"{self.path}: design point {run.point}")
        if self.draws is not None:
            sc = sc.with_overrides(self.draws[run.replicate],
                                   origin=f"{self.path}: posterior draw {run.replicate}")
        return sc

    def task_for(self, run: RunMeta) -> RunTask:
        """The self-contained task for one run."""
        sc = self.scenario_for(run)
        return RunTask(
            run_id=run.run_id,
            scenario=sc,
            seed=self.seeds[run.replicate],
            days=self.days_for(sc),
            task_hash=self.hashes[run.run_id],
        )

    def tasks(self, runs: list[RunMeta]) -> Iterator[RunTask]:
        """Tasks for ``runs``, built lazily (memory stays flat for large sweeps)."""
        for run in runs:
            yield self.task_for(run)


def task_hash(sc: Scenario, days: int, seed: np.random.SeedSequence) -> str:
    """A digest of everything that determines a run's results."""
    blob = json.dumps(
        {"scenario": sc.to_dict(), "days": days, "seed": seed_record(seed)},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def load_experiment(path: str | Path) -> Experiment:
    """Read, validate and resolve an experiment spec; raises ``InputError`` subclasses."""
    path = Path(path)
    spec, raw = read_spec(path)
    origin = str(path)
    name = spec.name or path.stem
    seeds = replicate_seeds(spec.seed, spec.replicates)
    overrides: dict[str, Any] = dict(spec.set)
    if spec.scale is not None:
        overrides["layout.scale"] = spec.scale
    rw = max(3, len(str(spec.replicates - 1)))
    if isinstance(spec, BatchSpec):
        experiment = _load_batch(path, spec, raw, name, seeds, overrides, rw, origin)
    else:
        experiment = _load_sweep(path, spec, raw, name, seeds, overrides, rw, origin)
    _check_outcomes(spec.outcomes, experiment.scenarios.values(), origin)
    if spec.posterior is not None:
        _draw_posterior(experiment, origin)
    return experiment


def _draw_posterior(exp: Experiment, origin: str) -> None:
    """One posterior draw per replicate (its own stream, so adding replicates keeps the
    earlier draws); every run checked and re-hashed with its draw before any run."""
    from sim.calibration.posterior import draws, read_posterior

    spec = exp.spec
    assert spec.posterior is not None
    ref = Path(spec.posterior)
    frame = read_posterior(ref if ref.is_absolute() else exp.path.parent / ref)
    exp.draws = [draws(frame, 1, np.random.SeedSequence(spec.seed, spawn_key=(k, 1 << 20)))[0]
                 for k in range(spec.replicates)]
    for meta in exp.runs:
        try:
            sc = exp.scenario_for(meta)
        except ScenarioError as exc:
            raise SpecError(f"{origin}: posterior: {exc}") from None
        exp.hashes[meta.run_id] = task_hash(sc, exp.days_for(sc), exp.seeds[meta.replicate])


def _check_outcomes(outcomes: list[str], scenarios: Iterable[Scenario], origin: str) -> None:
    """Every outcome named must be a key of the runs' summary (caught before any run)."""
    known: list[str] = []
    for sc in scenarios:
        known += [k for k in summary_keys(list(sc.categories), neighbourhood_names(sc))
                  if k not in known]
    for i, outcome in enumerate(outcomes):
        if outcome not in known:
            near = difflib.get_close_matches(outcome, known, n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise SpecError(f"{origin}: outcomes[{i}]: unknown outcome {outcome!r}{hint}; "
                            f"allowed: {', '.join(known)}")


def _scenario_file(path: Path, ref: str, key: str, origin: str) -> Path:
    p = Path(ref)
    full = p if p.is_absolute() else path.parent / p
    if not full.is_file():
        raise SpecError(f"{origin}: {key}: no such scenario file {ref!r} "
                        f"(paths are relative to the spec's folder {path.parent}/)")
    return full


def _load(full: Path, overrides: dict[str, Any], origin: str) -> Scenario:
    sc = load_scenario(full)
    if overrides:
        sc = sc.with_overrides(overrides, origin=f"{origin}: set")
    return sc


def _load_batch(
    path: Path, spec: BatchSpec, raw: dict[str, Any], name: str,
    seeds: list[np.random.SeedSequence], overrides: dict[str, Any], rw: int, origin: str,
) -> Experiment:
    check_run_count(len(spec.scenarios), spec.replicates, origin, "scenarios")
    scenarios: dict[str, Scenario] = {}
    files: dict[str, str] = {}
    for i, ref in enumerate(spec.scenarios):
        full = _scenario_file(path, ref, f"scenarios[{i}]", origin)
        sc = _load(full, overrides, origin)
        if sc.name in scenarios or _safe(sc.name) in {_safe(n) for n in scenarios}:
            raise SpecError(f"{origin}: scenarios[{i}]: scenario name {sc.name!r} is listed "
                            "twice; every scenario needs its own name")
        scenarios[sc.name] = sc
        files[sc.name] = ref
    reference = spec.reference if spec.reference is not None else next(iter(scenarios))
    if reference not in scenarios:
        by_file = {v: k for k, v in files.items()}
        if reference in by_file:
            reference = by_file[reference]
        else:
            raise SpecError(f"{origin}: reference: {reference!r} is not one of the scenarios; "
                            f"allowed: {', '.join(scenarios)}")
    runs: list[RunMeta] = []
    hashes: dict[str, str] = {}
    for sname, sc in scenarios.items():
        days = int(spec.days if spec.days is not None else sc.run.days)
        for k in range(spec.replicates):
            rid = f"{_safe(sname)}-r{k:0{rw}d}"
            runs.append(RunMeta(rid, len(runs), sname, k))
            hashes[rid] = task_hash(sc, days, seeds[k])
    return Experiment(path, spec, raw, name, seeds, scenarios, files, reference, None,
                      runs, hashes)


def _load_sweep(
    path: Path, spec: SweepSpec, raw: dict[str, Any], name: str,
    seeds: list[np.random.SeedSequence], overrides: dict[str, Any], rw: int, origin: str,
) -> Experiment:
    full = _scenario_file(path, spec.base, "base", origin)
    base = _load(full, overrides, origin)
    flat = base.flat()
    kinds: dict[str, type] = {}
    continuous = spec.design.kind != "factorial"
    for i, p in enumerate(spec.parameters):
        if p.key not in flat:
            near = difflib.get_close_matches(p.key, list(flat), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise SpecError(f"{origin}: parameters[{i}].key: unknown scenario parameter "
                            f"{p.key!r}{hint}; see `govsim show {spec.base}` for the keys")
        value = flat[p.key]
        kinds[p.key] = type(value)
        check_integer_range(p, kinds[p.key], i, origin)
        if continuous:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SpecError(f"{origin}: parameters[{i}].key: {p.key} is not numeric; "
                                f"a {spec.design.kind} design needs a numeric parameter "
                                "(use a factorial design with levels)")
            for end, u in (("low", 0.0), ("high", 1.0)):
                v = to_value(p, kinds[p.key], u)
                try:
                    base.with_overrides({p.key: v}, origin=f"{origin}: parameters[{i}].range")
                except ScenarioError as exc:
                    raise SpecError(f"{exc} (the range's {end} end)") from None
    design = make_design(spec, kinds, origin)
    pw = max(3, len(str(len(design) - 1)))
    runs: list[RunMeta] = []
    hashes: dict[str, str] = {}
    scen_name = base.name
    for i, values in enumerate(design.values):
        try:
            sc = base.with_overrides(values, origin=f"{origin}: design point {i}")
        except ScenarioError as exc:
            raise SpecError(f"{exc} (values {values})") from None
        days = int(spec.days if spec.days is not None else sc.run.days)
        for k in range(spec.replicates):
            rid = f"p{i:0{pw}d}-r{k:0{rw}d}"
            runs.append(RunMeta(rid, len(runs), scen_name, k, i, dict(values)))
            hashes[rid] = task_hash(sc, days, seeds[k])
    return Experiment(path, spec, raw, name, seeds, {scen_name: base},
                      {scen_name: spec.base}, None, design, runs, hashes)
