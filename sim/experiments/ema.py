"""govsim as an EMA Workbench model: uncertainties, levers, outcomes, replications.

The EMA Workbench (``ema_workbench`` 3.0) samples, searches and analyses models given
as Python callables. This module is the connector for govsim::

    from ema_workbench import perform_experiments
    from sim.experiments.ema import Range, govsim_model
    model = govsim_model(load_scenario("scenarios/nanjing_baseline.toml"),
                         levers=[Range("staffing.workers_per_10k", 12, 30)],
                         uncertainties=[Range("staffing.patrol_find_per_hour", 0.02, 0.2)],
                         outcomes=["on_time_share", "incidents", "annual_cost"],
                         replicates=3, seed=1, days=365)
    experiments, outcomes = perform_experiments(model, scenarios=50, policies=4)

* **Uncertainties and levers** are scenario parameters named by their dotted keys (the
  keys ``govsim show`` prints), so any key a scenario schema has can be added by name,
  including ones added after this module was written. EMA names must be identifiers,
  so ``staffing.workers_per_10k`` is ``staffing__workers_per_10k`` to EMA, with the
  dotted key as its ``variable_name``.
* **Outcomes** are keys of a run's ``summary.json`` (on-time share, days to resolve,
  incidents, annual cost...), each the mean over the replications.
* **Replications** are seeds with common random numbers: replication ``k`` uses stream
  ``k`` of :func:`sim.experiments.seeds.replicate_seeds` (the same stream in every
  experiment, as in ``govsim batch``/``sweep``), or a plain integer seed, exactly as
  ``govsim run --seed`` uses it.
* The model is **picklable** (a module-level callable class holding a validated
  scenario), so EMA's ``MultiprocessingEvaluator`` and ``MPIEvaluator`` can ship it.
* An optional **evaluation cache** (one JSON file per run, keyed by the digest of the
  scenario, days and seed) makes interrupted searches resume: the same run is never
  simulated twice.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sim.experiments.seeds import replicate_seeds, seed_record
from sim.scenario import Scenario, ScenarioError

# Levers a planner can pull, with the range searched by default (dotted scenario keys).
# Keys missing from a scenario's schema are skipped; other platform staffing keys
# (``platform.*staff*``, ``platform.*dispatcher*``) are added when the schema has them.
DEFAULT_LEVERS: dict[str, tuple[float, float]] = {
    "staffing.workers_per_10k": (12.0, 30.0),            # F30, P8: 18 standard, 25 highest
    "burden.ledgers": (0, 30),                           # P3: 30+ before, 4 now
    "burden.certificate_items_removed": (0, 76),         # F12: 56 removed
    "burden.inspection_cut": (0.0, 0.8),                 # F12: 57% cut
    "burden.meeting_hours": (0.0, 1.0),                  # assumption
    "micro_grid.coverage": (0.0, 1.0),                   # F16
    "mobile_grid.mobile_grid_workers_per_10k": (0.0, 20.0),  # F25: 6.3 per 10k city-wide
    "mobile_grid.incentive": (0.0, 1.0),                 # F26 points scheme
    "volunteers.rate": (0.0, 0.08),                      # F23
    "social_orgs.hours_per_week_per_10k": (0.0, 200.0),  # F22
    "social_orgs.projects_per_10k": (0.0, 5.0),          # F22: 1.7 per 10k city-wide
    "platform.intake_staff_per_100k": (1.0, 12.0),       # F32, P5 (assumption 4)
    "platform.dispatchers_per_100k": (0.5, 8.0),         # F32 (assumption 2)
}
# Outcomes and the direction a planner wants them to move.
DEFAULT_OUTCOMES: dict[str, Literal["maximize", "minimize"]] = {
    "on_time_share": "maximize",
    "median_days_to_resolve": "minimize",
    "p90_days_to_resolve": "minimize",
    "incidents": "minimize",
    "annual_cost": "minimize",
}
SEP = "__"  # replaces "." in EMA names


def ema_name(key: str) -> str:
    """The EMA (identifier) name of a dotted scenario key."""
    return key.replace(".", SEP)


def scenario_key(name: str) -> str:
    """The dotted scenario key of an EMA name."""
    return name.replace(SEP, ".")


@dataclass(frozen=True)
class Range:
    """A scenario parameter varied over ``[low, high]`` (integers if ``integer``)."""

    key: str
    low: float
    high: float
    integer: bool | None = None  # None: follow the scenario's type


def lever_catalogue(scenario: Scenario) -> list[Range]:
    """The default levers this scenario's schema has (platform staff when it exists)."""
    flat = scenario.flat()
    out = [Range(k, lo, hi) for k, (lo, hi) in DEFAULT_LEVERS.items() if k in flat]
    listed = {r.key for r in out}
    for key, value in flat.items():  # platform staffing keys added later, by name
        name = key.removeprefix("platform.")
        if key.startswith("platform.") and ("staff" in name or "dispatcher" in name) \
                and key not in listed and isinstance(value, int | float) \
                and not isinstance(value, bool):
            out.append(Range(key, 0, max(2 * value, 10)))
    return out


def check_ranges(base: Scenario, ranges: Sequence[Range], origin: str, what: str
                 ) -> list[Range]:
    """Validate ranges against the scenario: known numeric keys, both ends allowed.

    Returns the ranges with ``integer`` resolved; raises :class:`ScenarioError` (one line,
    naming ``origin`` and ``what[i]``) otherwise.
    """
    flat = base.flat()
    out: list[Range] = []
    seen: set[str] = set()
    for i, r in enumerate(ranges):
        where = f"{origin}: {what}[{i}]"
        if r.key not in flat:
            near = difflib.get_close_matches(r.key, list(flat), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise ScenarioError(f"{where}.key: unknown scenario parameter {r.key!r}{hint}; "
                                "see `govsim show SCENARIO` for the keys")
        if r.key in seen:
            raise ScenarioError(f"{where}.key: {r.key} is listed twice")
        seen.add(r.key)
        value = flat[r.key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(f"{where}.key: {r.key} is not numeric")
        integer = isinstance(value, int) if r.integer is None else r.integer
        lo, hi = r.low, r.high
        if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
            raise ScenarioError(f"{where}.range: need low < high (got [{lo}, {hi}])")
        if integer and not (float(lo).is_integer() and float(hi).is_integer()):
            raise ScenarioError(f"{where}.range: {r.key} is an integer; give whole numbers")
        for end, v in (("low", lo), ("high", hi)):
            try:
                base.with_overrides({r.key: _cast(v, integer)}, origin=f"{where}.range")
            except ScenarioError as exc:
                raise ScenarioError(f"{exc} (the range's {end} end)") from None
        out.append(Range(r.key, lo, hi, integer))
    return out


def _cast(value: Any, integer: bool) -> int | float:
    # EMA hands out numpy scalars; the scenario schema is strict about int vs float.
    return round(float(value)) if integer else float(value)


def run_digest(scenario: Scenario, days: int, seed: np.random.SeedSequence | int) -> str:
    """A digest of everything that determines one run (the evaluation cache's key)."""
    rec = {"int": int(seed)} if isinstance(seed, int | np.integer) else seed_record(seed)
    blob = json.dumps({"scenario": scenario.to_dict(), "days": days, "seed": rec},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class GovsimFunction:
    """The callable EMA runs: parameters (dotted keys) and a replication in, outcomes out.

    Module-level and holding only plain data and a validated scenario, so it pickles.
    """

    def __init__(self, base: Scenario, *, days: int, seed: int, replicates: int,
                 outcomes: Sequence[str], integer_keys: Sequence[str] = (),
                 cache_dir: str | Path | None = None,
                 futures: Sequence[Mapping[str, float]] | None = None) -> None:
        self.base = base
        self.futures = None if futures is None else [dict(f) for f in futures]
        self.days = int(days)
        self.seed = int(seed)
        self.replicates = int(replicates)
        self.outcomes = tuple(outcomes)
        self.integer_keys = frozenset(integer_keys)
        self.cache_dir = None if cache_dir is None else str(cache_dir)
        self.simulated = 0  # runs simulated by this copy (not served from the cache)

    def scenario_for(self, params: Mapping[str, Any]) -> Scenario:
        """The validated scenario with ``params`` (dotted keys) applied."""
        if not params:
            return self.base
        overrides = {k: _cast(v, k in self.integer_keys) for k, v in params.items()}
        return self.base.with_overrides(overrides, origin="EMA experiment")

    def seed_for(self, replicate: int | None, seed: int | None) -> np.random.SeedSequence | int:
        if seed is not None:
            return int(seed)
        k = int(replicate or 0)
        return replicate_seeds(self.seed, max(self.replicates, k + 1))[k]

    def summary(self, params: Mapping[str, Any], replicate: int | None = None,
                seed: int | None = None) -> dict[str, float]:
        """The run's whole ``summary.json`` (from the cache when it was run before)."""
        scenario = self.scenario_for(params)
        ss = self.seed_for(replicate, seed)
        path = None
        if self.cache_dir is not None:
            digest = run_digest(scenario, self.days, ss)
            path = Path(self.cache_dir) / digest[:2] / f"{digest}.json"
            try:
                return json.loads(path.read_text(encoding="utf-8"))["summary"]
            except (OSError, ValueError, KeyError):
                pass
        from sim.run import simulate

        result = simulate(scenario, days=self.days, seed=ss)
        self.simulated += 1
        summary = {k: float(v) for k, v in result.summary.items()}
        if path is not None:
            _write_json_atomic(path, {"params": {k: _plain(v) for k, v in params.items()},
                                      "replicate": replicate, "seed": seed,
                                      "days": self.days, "summary": summary})
        return summary

    def __call__(self, **kwargs: Any) -> dict[str, float]:
        replicate = kwargs.pop("replicate", None)
        seed = kwargs.pop("seed", None)
        # EMA 3.0.0's callback merges a policy into a shallow copy of the scenario
        # (NamedDict.__or__), so with no uncertainties a reused scenario object carries
        # the previous policy's lever values under their EMA names. Only the dotted
        # (translated) names are this experiment's own.
        kwargs = {k: v for k, v in kwargs.items()
                  if not (SEP in k and scenario_key(k) != k)}
        if self.futures is None:
            summary = self.summary(kwargs, replicate, seed)
            return {k: summary.get(k, math.nan) for k in self.outcomes}
        # Robust: this policy in every sampled future; one value per future.
        runs = [self.summary({**kwargs, **f}, replicate, seed) for f in self.futures]
        return {k: np.array([r.get(k, math.nan) for r in runs]) for k in self.outcomes}


class RobustScore:
    """An outcome over replications x futures: the mean over replications in each
    future, then ``statistic`` over the futures (picklable, unlike a lambda)."""

    STATISTICS = ("mean", "median", "min", "max")

    def __init__(self, statistic: str) -> None:
        if statistic not in self.STATISTICS:
            raise ValueError(f"statistic: {statistic!r}; allowed: {self.STATISTICS}")
        self.statistic = statistic

    def __call__(self, values: Sequence[Any]) -> float:
        per_future = np.nanmean(np.asarray(values, dtype=float), axis=0)
        fn = {"mean": np.nanmean, "median": np.nanmedian, "min": np.nanmin,
              "max": np.nanmax}[self.statistic]
        return float(fn(per_future))

    def __repr__(self) -> str:
        return f"RobustScore({self.statistic!r})"


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(json.dumps(data, allow_nan=True), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _parameter(r: Range) -> Any:
    from ema_workbench import IntegerParameter, RealParameter

    if r.integer:
        return IntegerParameter(ema_name(r.key), int(r.low), int(r.high), variable_name=r.key)
    return RealParameter(ema_name(r.key), float(r.low), float(r.high), variable_name=r.key)


def govsim_model(
    base: Scenario,
    *,
    levers: Sequence[Range] = (),
    uncertainties: Sequence[Range] = (),
    outcomes: Sequence[str] | Mapping[str, str] = tuple(DEFAULT_OUTCOMES),
    replicates: int = 1,
    seed: int = 1,
    seeds: Sequence[int] | None = None,
    days: int | None = None,
    cache_dir: str | Path | None = None,
    futures: Sequence[Mapping[str, float]] | None = None,
    robustness: Mapping[str, str] | None = None,
    name: str = "govsim",
) -> Any:
    """An EMA ``ReplicatorModel`` running govsim from ``base``.

    ``outcomes`` names summary keys; a mapping gives each a direction (``maximize``,
    ``minimize`` or ``info``), a sequence uses :data:`DEFAULT_OUTCOMES`' direction or
    ``info``. Replication ``k`` runs on stream ``k`` of ``replicate_seeds(seed, ...)``;
    ``seeds`` instead gives plain integer seeds (as ``govsim run --seed``).

    ``futures`` (dicts of dotted key to value, e.g. sampled uncertainties) makes every
    experiment run the policy in each future; an outcome is then ``robustness[outcome]``
    (``mean``, ``median``, ``min`` or ``max``; default ``mean``) over the futures of the
    per-future means over replications. Robustness is computed here, per policy, rather
    than with EMA's ``robust_optimize``, whose 3.0.0 ``evaluate`` scores every policy of
    a generation on the outcomes of all of them pooled.
    """
    from ema_workbench import ReplicatorModel, ScalarOutcome

    levers = check_ranges(base, levers, "govsim_model", "levers")
    uncertainties = check_ranges(base, uncertainties, "govsim_model", "uncertainties")
    both = {r.key for r in levers} & {r.key for r in uncertainties}
    if both:
        raise ScenarioError(f"govsim_model: {sorted(both)[0]} is both a lever and an "
                            "uncertainty")
    directions = dict(outcomes) if isinstance(outcomes, Mapping) else {
        k: DEFAULT_OUTCOMES.get(k, "info") for k in outcomes}
    ints = [r.key for r in (*levers, *uncertainties) if r.integer]
    n = len(seeds) if seeds is not None else replicates
    fn = GovsimFunction(base, days=base.run.days if days is None else days, seed=seed,
                        replicates=n, outcomes=list(directions), integer_keys=ints,
                        cache_dir=cache_dir, futures=futures)
    model = ReplicatorModel(name, function=fn)
    model.uncertainties = [_parameter(r) for r in uncertainties]
    model.levers = [_parameter(r) for r in levers]
    kinds = {"maximize": ScalarOutcome.MAXIMIZE, "minimize": ScalarOutcome.MINIMIZE,
             "info": ScalarOutcome.INFO}
    robustness = dict(robustness or {})
    model.outcomes = [ScalarOutcome(k, kind=kinds[d], variable_name=k,
                                    function=np.mean if futures is None
                                    else RobustScore(robustness.get(k, "mean")))
                      for k, d in directions.items()]
    model.replications = ([{"seed": int(s)} for s in seeds] if seeds is not None
                          else [{"replicate": k} for k in range(replicates)])
    return model
