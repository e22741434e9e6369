"""Experiment spec files (TOML): schema, strict validation and one-line errors.

Two kinds of spec share the common keys (``name``, ``seed``, ``replicates``, ``days``,
``scale``, ``set``, ``outcomes``):

* ``kind = "batch"``: a list of scenario files run with the same replicate streams, and
  a ``reference`` scenario the others are compared with;
* ``kind = "sweep"``: a ``base`` scenario, ``[[parameters]]`` with levels or ranges and
  a ``[design]`` (factorial, lhs, sobol, morris).

Scenario paths are relative to the spec file's own folder (so ``experiments/x.toml``
names ``../scenarios/y.toml``). Any problem raises :class:`SpecError`, whose message is
one line naming the file, the key and what is allowed.
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from sim.errors import InputError, shown
from sim.scenario import read_toml

DESIGNS: tuple[str, ...] = ("factorial", "lhs", "sobol", "morris")
DISTRIBUTIONS: tuple[str, ...] = ("uniform", "loguniform", "triangular", "normal")
SCALES: tuple[str, ...] = ("community", "street", "district", "city")
# Fewer base samples give Sobol' indices outside [0, 1] (N = 1: about 2.0); one Morris
# trajectory gives no sigma. Minimums, not recommendations.
SOBOL_MIN_SAMPLES = 8
MORRIS_MIN_TRAJECTORIES = 2
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

# Headline outcomes analysed and plotted when a spec does not list its own.
DEFAULT_OUTCOMES: tuple[str, ...] = (
    "on_time_share",
    "resolution_rate",
    "median_days_to_resolve",
    "p90_days_to_resolve",
    "escalation_share",
    "hazards_caught_share",
    "incidents",
    "admin_share",
    "mean_trust",
)


class SpecError(InputError):
    """An experiment spec is wrong; the message is one line for the user."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Parameter(_Strict):
    """One swept parameter: a dotted scenario key with levels or a range."""

    key: str = Field(min_length=1)
    levels: list[Any] | None = None
    range: list[float] | None = Field(None, min_length=2, max_length=2)
    distribution: Literal["uniform", "loguniform", "triangular", "normal"] = "uniform"
    mode: float | None = None
    mean: float | None = None
    sd: float | None = Field(None, gt=0)
    label: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> Parameter:
        if self.levels is not None and len(self.levels) == 0:
            raise ValueError("levels: empty list; give at least one level")
        for name in ("mean", "sd", "mode"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{name}: must be a finite number (got {shown(value)}) "
                                 f"for {self.key}")
        if self.range is not None:
            lo, hi = self.range
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise ValueError(f"range: must be two finite numbers (got "
                                 f"{shown(self.range)}) for {self.key}")
            if not lo < hi:
                raise ValueError(f"range: empty range [{lo}, {hi}]; need low < high")
            if self.distribution == "loguniform" and lo <= 0:
                raise ValueError("range: loguniform needs low > 0")
            if self.distribution == "triangular" and (
                self.mode is None or not lo <= self.mode <= hi
            ):
                raise ValueError("mode: triangular needs mode within range")
            if self.distribution == "normal" and (self.mean is None or self.sd is None):
                raise ValueError("mean: normal needs mean and sd (truncated to range)")
        return self


class Design(_Strict):
    """How design points are chosen."""

    kind: Literal["factorial", "lhs", "sobol", "morris"]
    samples: int | None = Field(None, ge=1, le=1_000_000)
    levels: int = Field(4, ge=2, le=100)
    second_order: bool = False
    seed: int | None = Field(None, ge=0, le=2**32 - 1)


class _Common(_Strict):
    kind: Literal["batch", "sweep"]
    name: str | None = None
    description: str = ""
    seed: int = Field(1, ge=0, le=2**63 - 1)
    replicates: int = Field(ge=1, le=100_000)
    days: int | None = Field(None, ge=1, le=3650)
    scale: Literal["community", "street", "district", "city"] | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    outcomes: list[str] = Field(default_factory=lambda: list(DEFAULT_OUTCOMES))
    # A posterior file (govsim calibrate's posterior.parquet, relative to the spec):
    # each replicate draws its assumption values from it, the same draw in every
    # scenario (paired), so effects carry the assumptions' uncertainty as well as chance.
    posterior: str | None = None

    @model_validator(mode="after")
    def _name_ok(self) -> _Common:
        if self.name is not None and not NAME_RE.match(self.name):
            raise ValueError("name: use letters, digits, '_', '-', '.' only")
        if not self.outcomes:
            raise ValueError("outcomes: empty list; name at least one outcome")
        return self


class BatchSpec(_Common):
    """Scenario files x replicates, compared with a reference scenario."""

    kind: Literal["batch"]
    scenarios: list[str] = Field(min_length=1)
    reference: str | None = None


class SweepSpec(_Common):
    """A base scenario, swept parameters and a design."""

    kind: Literal["sweep"]
    base: str
    design: Design
    parameters: list[Parameter] = Field(min_length=1)

    @model_validator(mode="after")
    def _params_fit_design(self) -> SweepSpec:
        keys = [p.key for p in self.parameters]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ValueError(f"parameters: {dup[0]} is listed twice")
        for i, p in enumerate(self.parameters):
            where = f"parameters[{i}] ({p.key})"
            if self.design.kind == "factorial":
                if p.levels is None:
                    raise ValueError(f"{where}: factorial design needs levels = [...]")
                if p.range is not None:
                    raise ValueError(f"{where}: factorial design takes levels, not range")
            else:
                if p.range is None:
                    raise ValueError(
                        f"{where}: {self.design.kind} design needs range = [low, high]"
                    )
                if p.levels is not None:
                    raise ValueError(
                        f"{where}: {self.design.kind} design takes range, not levels"
                    )
        if self.design.kind in ("lhs", "sobol", "morris") and self.design.samples is None:
            raise ValueError(f"design.samples: required for a {self.design.kind} design")
        if self.design.kind == "sobol" and len(self.parameters) < 2:
            raise ValueError("parameters: a sobol design needs at least 2 parameters")
        n = self.design.samples or 0
        if self.design.kind == "sobol" and n < SOBOL_MIN_SAMPLES:
            raise ValueError(f"design.samples: {n} base samples are too few for Sobol' "
                             f"indices (they come out meaningless, even above 1); allowed: "
                             f"at least {SOBOL_MIN_SAMPLES}, a power of 2 (64 or more is "
                             "usual)")
        if self.design.kind == "morris":
            if n < MORRIS_MIN_TRAJECTORIES:
                raise ValueError(f"design.samples: {n} Morris trajectory gives no spread "
                                 f"(sigma); allowed: at least {MORRIS_MIN_TRAJECTORIES} "
                                 "(10 to 50 is usual)")
            if self.design.levels % 2:
                raise ValueError(f"design.levels: {self.design.levels} is odd; Morris "
                                 "levels must be even (4 is usual)")
        return self


Spec = Annotated[BatchSpec | SweepSpec, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[BatchSpec | SweepSpec] = TypeAdapter(Spec)

_BOUND_ERRORS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}


def parse_spec(data: dict[str, Any], origin: str) -> BatchSpec | SweepSpec:
    """Validate spec data (already read from TOML); ``origin`` names it in errors."""
    if not isinstance(data.get("kind"), str):
        raise SpecError(f"{origin}: kind: required; allowed: batch, sweep")
    if data["kind"] not in ("batch", "sweep"):
        raise SpecError(f"{origin}: kind: {data['kind']!r} unknown; allowed: batch, sweep")
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise SpecError(_one_line(origin, data["kind"], exc)) from None


def read_spec(path: str | Path) -> tuple[BatchSpec | SweepSpec, dict[str, Any]]:
    """Read and validate a spec file; returns the model and the raw TOML data."""
    path = Path(path)
    raw = read_toml(path, "experiment spec file", SpecError)
    return parse_spec(raw, str(path)), raw


def _model_for(kind: str, loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = BatchSpec if kind == "batch" else SweepSpec
    for part in loc:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        elif str(part) == "parameters":
            model = Parameter
        else:
            model = None
    return model


def _fmt_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _one_line(origin: str, kind: str, exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    loc = tuple(
        p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", kind)))
    )
    # A discriminated union puts the tag first: drop it.
    if loc and loc[0] in ("batch", "sweep"):
        loc = loc[1:]
    key = _fmt_loc(loc)
    etype = err["type"]
    ctx = err.get("ctx") or {}
    if etype == "extra_forbidden":
        parent = _model_for(kind, loc[:-1])
        allowed = list(parent.model_fields) if parent else []
        near = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        msg = f"unknown key{hint}; allowed here: {', '.join(allowed)}"
    elif etype == "missing":
        msg = "required key is missing"
    elif etype == "literal_error":
        msg = f"{shown(err.get('input'))} not allowed; must be one of {ctx.get('expected', '')}"
    elif etype in ("model_type", "dict_type", "model_attributes_type"):
        msg = f"must be a table of keys (got {shown(err.get('input'))})"
    elif etype in _BOUND_ERRORS:
        msg = f"{err['msg'].lower()} (got {shown(err.get('input'))})"
    elif etype == "too_short":
        msg = "empty list; give at least one"
    elif etype.endswith("_type") or etype.endswith("_parsing"):
        msg = f"{err['msg'].lower()} (got {shown(err.get('input'))})"
    else:
        msg = str(err["msg"]).removeprefix("Value error, ")
        # Model-level validators name their own key at the start of the message.
        if not key:
            return f"{origin}: {msg}"
    extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{origin}: {key + ': ' if key else ''}{msg}{extra}"
