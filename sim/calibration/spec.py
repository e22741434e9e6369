"""Calibration spec files (TOML): what to fit, to which targets, how hard.

    name = "abc_full"
    base = "../scenarios/nanjing_baseline.toml"   # relative to the spec file
    targets = "targets.toml"
    fit = ["closure_median_days", ...]            # default: every fitted target
    days = 365
    population = 100                              # particles per generation
    generations = 6
    min_epsilon = 1.0                             # stop once the threshold is this low
    min_acceptance_rate = 0.03                    # or once a generation costs > 100 / 0.03 runs
    transition = "multivariate"                   # (the default) or "local"
    kernel_scaling = 3.0                          # the kernel's covariance times this
    check_replicates = 20                         # posterior draws run for the fit report
    point = "best"                                # the scenario's values; or "median"
    point_candidates = 30                         # "best": the particles nearest the targets
    point_replicates = 16                         # ... each re-run on this many seeds
    scenario_out = "../scenarios/calibrated_baseline.toml"   # optional

    [[parameters]]
    key = "platform.dispatch_delay_days"
    range = [0.05, 1.0]
    prior = "uniform"                             # or "loguniform"

Any problem raises :class:`CalibrationSpecError` with one line naming the file and key.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.calibration.targets import (
    Target,
    Targets,
    TargetsError,
    export_targets,
    load_targets,
)
from sim.errors import InputError
from sim.scenario import Scenario, ScenarioError, load_scenario, read_toml


class CalibrationSpecError(InputError):
    """A calibration spec is wrong; one line naming the file, the key, what is allowed."""


class Prior(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    key: str = Field(min_length=1)
    range: list[float] = Field(min_length=2, max_length=2)
    prior: Literal["uniform", "loguniform"] = "uniform"

    @model_validator(mode="before")
    @classmethod
    def _floats(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("range"), list):
            data = {**data, "range": [float(v) if isinstance(v, int) and not isinstance(
                v, bool) else v for v in data["range"]]}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> Prior:
        lo, hi = self.range
        if not lo < hi:
            raise ValueError(f"range: need low < high (got [{lo}, {hi}])")
        if self.prior == "loguniform" and lo <= 0:
            raise ValueError("range: a loguniform prior needs low > 0")
        return self


class CalibrationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str | None = None
    description: str = ""
    base: str
    targets: str
    fit: list[str] | None = None
    days: int = Field(365, ge=10, le=3650)
    scale: Literal["community", "street", "district", "city"] = "community"
    seed: int = Field(1, ge=0, le=2**32 - 1)
    population: int = Field(ge=4, le=100_000)
    generations: int = Field(ge=1, le=100)
    min_epsilon: float = Field(0.0, ge=0)
    # a budget: a generation that would need more than population / this many runs is
    # abandoned and the calibration ends with the last complete one (0: no limit)
    min_acceptance_rate: float = Field(0.0, ge=0, lt=1)
    # pyabc's perturbation kernel: "multivariate" (one Gaussian, its covariance weighted
    # over all particles) or "local" (a Gaussian per particle, its covariance from the
    # particle's nearest quarter of the population: a few heavy particles cannot collapse it)
    transition: Literal["multivariate", "local"] = "multivariate"
    # the kernel's covariance times this (pyabc's ``scaling``): wider kernels overlap
    # more, so the proposal is smoother and the importance weights more even
    kernel_scaling: float = Field(1.0, gt=0, le=100)
    check_replicates: int = Field(10, ge=2, le=10_000)
    # the calibrated scenario's values: each parameter's posterior median, or the
    # final particle that fits best on fresh seeds (sim/calibration/point.py)
    point: Literal["median", "best"] = "median"
    # 8 seeds were too few: a point that met every target on them missed one on the
    # fit check's (docs/calibration.md section 4)
    point_candidates: int = Field(30, ge=1, le=10_000)
    point_replicates: int = Field(16, ge=1, le=1_000)
    scenario_out: str | None = None
    # an export's fit.json (govsim fit-orders), relative to the spec: its fitted part's
    # closure days become fitted targets, its holdout's held-out ones
    targets_from: list[str] = Field(default_factory=list)
    parameters: list[Prior] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> CalibrationSpec:
        keys = [p.key for p in self.parameters]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"parameters: {dup[0]} is listed twice")
        if self.name is not None and not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", self.name):
            raise ValueError("name: use letters, digits, '_', '-', '.' only")
        return self


@dataclass(frozen=True)
class Calibration:
    """A validated calibration: spec, base scenario, variants, targets."""

    path: Path
    spec: CalibrationSpec
    raw: dict[str, Any]
    name: str
    base: Scenario
    base_file: Path
    targets_file: Path
    kinds: dict[str, type]
    extra_targets: tuple[Target, ...] = ()  # from exports' fit.json (targets_from)
    exports: tuple[Path, ...] = ()

    def targets(self) -> Targets:
        """The targets file's, with those taken from exports' fit.json."""
        t = load_targets(self.targets_file)
        return t.with_extra(list(self.extra_targets)) if self.extra_targets else t

    def fit_names(self) -> list[str] | None:
        """The fitted targets by name (None: every fitted one); an export's fitted
        targets are fitted even when the spec lists others."""
        if self.spec.fit is None:
            return None
        return [*self.spec.fit, *(t.name for t in self.extra_targets if t.role == "fitted")]

    def digest(self) -> str:
        """What determines the ABC run (a resumed run must match it). How far to go
        (generations, min_epsilon, min_acceptance_rate) and what is done after it are
        left out, so raising ``generations`` continues the stored run."""
        after = ("check_replicates", "scenario_out", "description", "generations",
                 "min_epsilon", "min_acceptance_rate", "point", "point_candidates",
                 "point_replicates")
        # the sampling scheme is part of a stored run: v2 samples log-uniform priors as
        # log(value), so a database of the earlier scheme is not resumed
        exports = {"exports": [hashlib.sha256(p.read_bytes()).hexdigest()
                               for p in self.exports]} if self.exports else {}
        blob = json.dumps({"scheme": 2} | exports | {k: v for k, v in self.raw.items()
                                                     if k not in after},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def read_calibration(path: str | Path, targets_from: list[str] | None = None) -> Calibration:
    """Read and validate a calibration spec, its base scenario and every prior range;
    ``targets_from`` (``--targets-from``) adds exports' fit.json to the spec's."""
    path = Path(path)
    raw = read_toml(path, "calibration spec file", CalibrationSpecError)
    try:
        spec = CalibrationSpec.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            allowed = list(CalibrationSpec.model_fields)
            near = difflib.get_close_matches(str(err["loc"][-1]), allowed, n=1)
            msg = (f"unknown key{f' (did you mean {near[0]}?)' if near else ''}; allowed: "
                   + ", ".join(allowed))
        raise CalibrationSpecError(f"{path}: {key + ': ' if key else ''}{msg}") from None
    base_file = path.parent / spec.base
    if not base_file.is_file():
        raise CalibrationSpecError(f"{path}: base: no such scenario file {spec.base!r} "
                                   f"(relative to {path.parent}/)")
    targets_file = path.parent / spec.targets
    if not targets_file.is_file():
        raise CalibrationSpecError(f"{path}: targets: no such targets file {spec.targets!r}")
    try:
        base = load_scenario(base_file).with_overrides({"layout.scale": spec.scale},
                                                      origin=f"{path}: scale")
    except ScenarioError as exc:
        raise CalibrationSpecError(str(exc)) from None
    flat = base.flat()
    kinds: dict[str, type] = {}
    for i, p in enumerate(spec.parameters):
        if p.key not in flat or isinstance(flat[p.key], bool) or not isinstance(
                flat[p.key], int | float):
            near = difflib.get_close_matches(p.key, list(flat), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise CalibrationSpecError(f"{path}: parameters[{i}].key: {p.key!r} is not a "
                                       f"numeric scenario parameter{hint}")
        kinds[p.key] = type(flat[p.key])
        for end in p.range:
            value = round(end) if kinds[p.key] is int else end
            try:
                base.with_overrides({p.key: value}, origin=f"{path}: parameters[{i}].range")
            except ScenarioError as exc:
                raise CalibrationSpecError(str(exc)) from None
    exports = [path.parent / p for p in spec.targets_from] + [Path(p) for p in
                                                               targets_from or []]
    extra: list[Target] = []
    for i, e in enumerate(exports):
        if not e.is_file():
            where = (f"targets_from[{i}]" if i < len(spec.targets_from)
                     else "--targets-from")
            raise CalibrationSpecError(f"{path}: {where}: no such file {str(e)!r}")
        try:
            extra += export_targets(e, spec.days)
        except TargetsError as exc:
            raise CalibrationSpecError(str(exc)) from None
    cal = Calibration(path, spec, raw, spec.name or path.stem, base, base_file,
                      targets_file, kinds, tuple(extra), tuple(exports))
    try:
        cal.targets()
    except TargetsError as exc:
        raise CalibrationSpecError(str(exc)) from None
    return cal
