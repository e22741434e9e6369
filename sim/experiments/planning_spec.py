"""Spec files for planning under uncertainty: ``kind = "optimise"`` and ``kind = "discover"``.

Both name a ``base`` scenario (relative to the spec's folder), a root ``seed``,
``replicates`` (seeds with common random numbers), ``days``, ``scale`` and ``set`` like
batch and sweep specs, and scenario parameters by dotted key:

* ``optimise``: ``[[levers]]`` with ranges, ``[[objectives]]`` (an outcome, a direction,
  an epsilon), ``[search]`` (evaluations, population, seed) and, for a search that is
  robust over uncertain assumptions, ``[[uncertainties]]`` with ``[robust]``;
* ``discover``: ``[[uncertainties]]`` (and optionally ``[[levers]]``) sampled by
  ``[sampling]``, ``[[cases]]`` that define failure (an outcome above or below a
  threshold) and ``[prim]`` settings.

:func:`load_planning` validates everything, including every scenario key and both ends
of every range, before anything runs or is written; problems raise :class:`SpecError`
with one line naming the file, the key and what is allowed.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.experiments.ema import Range, check_ranges
from sim.experiments.spec import NAME_RE, SpecError
from sim.outcomes import neighbourhood_names, summary_keys
from sim.scenario import Scenario, ScenarioError, load_scenario, read_toml

KINDS = ("optimise", "discover")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ParamRange(_Strict):
    """A scenario parameter (dotted key) and the range it is searched or sampled over."""

    key: str = Field(min_length=1)
    range: list[float] = Field(min_length=2, max_length=2)
    label: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ParamRange:
        lo, hi = self.range
        if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
            raise ValueError(f"range: empty range [{lo}, {hi}]; need low < high")
        return self


class Objective(_Strict):
    """An outcome to optimise, its direction and its epsilon (the resolution that counts)."""

    outcome: str
    direction: Literal["maximize", "minimize"]
    epsilon: float = Field(gt=0)
    robustness: Literal["mean", "median", "worst"] = "mean"


class Search(_Strict):
    algorithm: Literal["eps_nsgaii"] = "eps_nsgaii"
    nfe: int = Field(ge=10, le=10_000_000)
    population: int = Field(20, ge=4, le=10_000)
    convergence_every: int = Field(100, ge=1, le=10_000_000)
    seed: int = Field(1, ge=0, le=2**32 - 1)


class Robust(_Strict):
    scenarios: int = Field(ge=2, le=100_000)
    seed: int = Field(1, ge=0, le=2**32 - 1)


class Case(_Strict):
    """A failure: an outcome above or below a threshold."""

    outcome: str
    above: float | None = None
    below: float | None = None
    label: str | None = None

    @model_validator(mode="after")
    def _one_side(self) -> Case:
        if (self.above is None) == (self.below is None):
            raise ValueError("cases: give exactly one of above = ... or below = ...")
        return self

    @property
    def threshold(self) -> float:
        return float(self.above if self.above is not None else self.below)  # type: ignore[arg-type]

    @property
    def rule(self) -> str:
        return f"{self.outcome} {'>' if self.above is not None else '<'} {self.threshold:g}"


def failing(case: Case, values: np.ndarray) -> np.ndarray:
    """Which runs fail the case (a missing value does not count as failing)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        bad = v > case.threshold if case.above is not None else v < case.threshold
    return bad & np.isfinite(v)


class Sampling(_Strict):
    scenarios: int = Field(ge=2, le=1_000_000)
    policies: int = Field(0, ge=0, le=100_000)
    sampler: Literal["lhs", "mc"] = "lhs"
    seed: int = Field(1, ge=0, le=2**32 - 1)


class PrimSettings(_Strict):
    peel_alpha: float = Field(0.05, gt=0, lt=0.5)
    paste_alpha: float = Field(0.05, gt=0, lt=0.5)
    mass_min: float = Field(0.05, gt=0, lt=1)
    min_density: float = Field(0.8, gt=0, le=1)
    max_quasi_p: float = Field(0.05, gt=0, le=1)
    boxes: int = Field(2, ge=1, le=10)


class _Common(_Strict):
    kind: Literal["optimise", "discover"]
    name: str | None = None
    description: str = ""
    base: str
    seed: int = Field(1, ge=0, le=2**63 - 1)
    replicates: int = Field(ge=1, le=10_000)
    days: int | None = Field(None, ge=1, le=3650)
    scale: Literal["community", "street", "district", "city"] | None = None
    set: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _name_ok(self) -> _Common:
        if self.name is not None and not NAME_RE.match(self.name):
            raise ValueError("name: use letters, digits, '_', '-', '.' only")
        return self


class OptimiseSpec(_Common):
    kind: Literal["optimise"]
    levers: list[ParamRange] = Field(min_length=1)
    uncertainties: list[ParamRange] = Field(default_factory=list)
    objectives: list[Objective] = Field(min_length=1)
    search: Search
    robust: Robust | None = None
    outcomes: list[str] = Field(default_factory=list)  # also recorded, not optimised

    @model_validator(mode="after")
    def _robust_needs_uncertainties(self) -> OptimiseSpec:
        if self.robust is not None and not self.uncertainties:
            raise ValueError("robust: a robust search needs [[uncertainties]] to sample")
        if self.uncertainties and self.robust is None:
            raise ValueError("uncertainties: given without [robust]; add [robust] "
                             "scenarios = N, or fix them with set = {...}")
        names = [o.outcome for o in self.objectives]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"objectives: {dup[0]} is listed twice")
        return self


class DiscoverSpec(_Common):
    kind: Literal["discover"]
    uncertainties: list[ParamRange] = Field(min_length=1)
    levers: list[ParamRange] = Field(default_factory=list)
    sampling: Sampling
    cases: list[Case] = Field(min_length=1)
    prim: PrimSettings = Field(default_factory=PrimSettings)
    outcomes: list[str] = Field(default_factory=list)  # also recorded

    @model_validator(mode="after")
    def _policies_need_levers(self) -> DiscoverSpec:
        if self.levers and self.sampling.policies < 1:
            raise ValueError("sampling.policies: levers are listed; sample at least 1 policy")
        if self.sampling.policies and not self.levers:
            raise ValueError("sampling.policies: > 0 needs [[levers]] to sample")
        return self


@dataclass
class Planning:
    """A validated planning spec, its base scenario and resolved ranges."""

    path: Path
    spec: OptimiseSpec | DiscoverSpec
    raw: dict[str, Any]
    name: str
    base: Scenario
    days: int
    levers: list[Range]
    uncertainties: list[Range]
    outcomes: dict[str, str]  # summary key -> maximize / minimize / info

    @property
    def kind(self) -> str:
        return self.spec.kind


def load_planning(path: str | Path, expect: str | None = None) -> Planning:
    """Read and validate an optimise or discover spec; raises ``SpecError``."""
    path = Path(path)
    raw = read_toml(path, "experiment spec file", SpecError)
    origin = str(path)
    kind = raw.get("kind")
    if kind not in KINDS:
        allowed = expect or ", ".join(KINDS)
        got = "required" if kind is None else f"{kind!r} not allowed"
        raise SpecError(f"{origin}: kind: {got}; allowed: {allowed}")
    if expect is not None and kind != expect:
        raise SpecError(f"{origin}: kind: is {kind!r}; use `govsim {kind}` for it")
    model = OptimiseSpec if kind == "optimise" else DiscoverSpec
    try:
        spec = model.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(_one_line(origin, model, exc)) from None
    base_file = Path(spec.base) if Path(spec.base).is_absolute() else path.parent / spec.base
    if not base_file.is_file():
        raise SpecError(f"{origin}: base: no such scenario file {spec.base!r} "
                        f"(paths are relative to the spec's folder {path.parent}/)")
    overrides = dict(spec.set)
    if spec.scale is not None:
        overrides["layout.scale"] = spec.scale
    try:
        base = load_scenario(base_file)
        if overrides:
            base = base.with_overrides(overrides, origin=f"{origin}: set")
        levers = check_ranges(base, [_range(p) for p in spec.levers], origin, "levers")
        uncs = check_ranges(base, [_range(p) for p in spec.uncertainties], origin,
                            "uncertainties")
    except ScenarioError as exc:
        raise SpecError(str(exc)) from None
    both = {r.key for r in levers} & {r.key for r in uncs}
    if both:
        raise SpecError(f"{origin}: uncertainties: {sorted(both)[0]} is also a lever")
    known = summary_keys(list(base.categories), neighbourhood_names(base))
    outcomes: dict[str, str] = {}
    if isinstance(spec, OptimiseSpec):
        for i, o in enumerate(spec.objectives):
            _known(o.outcome, known, f"{origin}: objectives[{i}].outcome")
            outcomes[o.outcome] = o.direction
    else:
        for i, c in enumerate(spec.cases):
            _known(c.outcome, known, f"{origin}: cases[{i}].outcome")
            outcomes.setdefault(c.outcome, "info")
    for i, k in enumerate(spec.outcomes):
        _known(k, known, f"{origin}: outcomes[{i}]")
        outcomes.setdefault(k, "info")
    days = int(spec.days if spec.days is not None else base.run.days)
    return Planning(path, spec, raw, spec.name or path.stem, base, days, levers, uncs,
                    outcomes)


def _range(p: ParamRange) -> Range:
    return Range(p.key, p.range[0], p.range[1])


def _known(outcome: str, known: list[str], where: str) -> None:
    if outcome not in known:
        near = difflib.get_close_matches(outcome, known, n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise SpecError(f"{where}: unknown outcome {outcome!r}{hint}; allowed: "
                        f"{', '.join(known)}")


def _one_line(origin: str, model: type[BaseModel], exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    loc = [p for p in err["loc"] if not str(p).startswith("function-")]
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (("." if key else "") + str(part))
    etype = err["type"]
    if etype == "extra_forbidden":
        parent: Any = model
        for part in loc[:-1]:
            if isinstance(part, int) or parent is None:
                continue
            field = parent.model_fields.get(str(part))
            ann = getattr(field, "annotation", None)
            args = getattr(ann, "__args__", ())
            parent = next((a for a in (ann, *args) if isinstance(a, type)
                           and issubclass(a, BaseModel)), None)
        allowed = list(parent.model_fields) if parent is not None else []
        near = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        msg = f"unknown key{hint}; allowed here: {', '.join(allowed)}"
    elif etype == "missing":
        msg = "required key is missing"
    elif etype == "literal_error":
        msg = f"{err.get('input')!r} not allowed; must be one of " \
              f"{(err.get('ctx') or {}).get('expected', '')}"
    elif etype in ("greater_than_equal", "less_than_equal", "greater_than", "less_than") \
            or etype.endswith(("_type", "_parsing")):
        msg = f"{err['msg'].lower()} (got {err.get('input')!r})"
    elif etype == "too_short":
        msg = "empty list; give at least one"
    else:
        msg = str(err["msg"]).removeprefix("Value error, ")
        if not key:
            return f"{origin}: {msg}"
    extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{origin}: {key + ': ' if key else ''}{msg}{extra}"
