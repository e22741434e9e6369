"""Design points of a sweep: full factorial, Latin hypercube, Sobol (Saltelli), Morris.

Continuous designs are drawn in the unit hypercube (``scipy.stats.qmc`` for LHS, SALib
for Sobol and Morris) and mapped to parameter values through each parameter's
distribution (inverse CDF over its range). Integer parameters get integers (uniform over
``low..high``) and the SALib analyses run in the unit space the sample was drawn in.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.experiments.spec import Parameter, SpecError, SweepSpec
from sim.limits import check_run_count


@dataclass(frozen=True)
class DesignPoints:
    """The points of a sweep.

    ``values[i]`` maps each parameter key to its value at point ``i``; ``unit`` is the
    ``(points, parameters)`` sample in ``[0, 1]`` (``None`` for factorial designs).
    """

    kind: str
    keys: tuple[str, ...]
    values: list[dict[str, Any]]
    unit: np.ndarray | None
    problem: dict[str, Any] | None

    def __len__(self) -> int:
        return len(self.values)


def salib_problem(keys: tuple[str, ...]) -> dict[str, Any]:
    """The SALib problem in unit space (the sample is mapped to values afterwards)."""
    return {"num_vars": len(keys), "names": list(keys), "bounds": [[0.0, 1.0]] * len(keys)}


def make_design(spec: SweepSpec, kinds: dict[str, type], origin: str) -> DesignPoints:
    """Build the design points of ``spec``; ``kinds`` maps each key to ``int``/``float``/...

    Raises :class:`SpecError` for a design that cannot be built.
    """
    keys = tuple(p.key for p in spec.parameters)
    d = spec.design
    # Counted before anything is built: 20^8 factorial points must not hang the machine.
    check_run_count(design_size(spec), spec.replicates, origin, "design")
    for i, p in enumerate(spec.parameters):
        check_integer_range(p, kinds[p.key], i, origin)
    seed = d.seed if d.seed is not None else spec.seed % (2**32)
    if d.kind == "factorial":
        levels = [_factorial_levels(p, kinds[p.key], i, origin)
                  for i, p in enumerate(spec.parameters)]
        values = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*levels)]
        return DesignPoints("factorial", keys, values, None, None)
    n = int(d.samples or 0)
    problem = salib_problem(keys)
    if d.kind == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(keys), seed=np.random.default_rng(seed)).random(n)
    elif d.kind == "sobol":
        if n & (n - 1):
            raise SpecError(
                f"{origin}: design.samples: {n} is not a power of 2 (Sobol' sequences need "
                f"one, e.g. {2 ** max(1, round(math.log2(n)))})"
            )
        from SALib.sample import sobol

        unit = sobol.sample(problem, n, calc_second_order=d.second_order, seed=seed)
    elif d.kind == "morris":
        from SALib.sample import morris

        unit = morris.sample(problem, n, num_levels=d.levels, seed=seed)
    else:  # pragma: no cover - the schema allows only the kinds above
        raise SpecError(f"{origin}: design.kind: unknown {d.kind!r}")
    unit = np.clip(np.asarray(unit, dtype=float), 0.0, 1.0)
    values = [
        {p.key: to_value(p, kinds[p.key], float(u)) for p, u in zip(spec.parameters, row,
                                                                  strict=True)}
        for row in unit
    ]
    return DesignPoints(d.kind, keys, values, unit, problem)


def design_size(spec: SweepSpec) -> int:
    """How many points the design of ``spec`` has (computed, not built)."""
    d, dims = spec.design, len(spec.parameters)
    if d.kind == "factorial":
        return math.prod(len(p.levels or ()) for p in spec.parameters)
    n = int(d.samples or 0)
    if d.kind == "sobol":
        return n * (2 * dims + 2 if d.second_order else dims + 2)
    if d.kind == "morris":
        return n * (dims + 1)
    return n


def check_integer_range(p: Parameter, kind: type, i: int, origin: str) -> None:
    """Refuse a range of an integer parameter that holds no whole number."""
    if kind is not int or p.range is None:
        return
    lo, hi = p.range
    if math.ceil(lo) > math.floor(hi):
        raise SpecError(f"{origin}: parameters[{i}].range: {p.key} takes whole numbers and "
                        f"[{lo:g}, {hi:g}] holds none; allowed: a range containing at least "
                        "one whole number")


def _factorial_levels(p: Parameter, kind: type, i: int, origin: str) -> list[Any]:
    out = []
    for level in p.levels or []:
        if kind is int and isinstance(level, float) and level.is_integer():
            level = int(level)
        if kind is float and isinstance(level, int) and not isinstance(level, bool):
            level = float(level)
        out.append(level)
    if len({repr(v) for v in out}) != len(out):
        raise SpecError(f"{origin}: parameters[{i}].levels: a level is listed twice")
    return out


def to_value(p: Parameter, kind: type, u: float) -> int | float:
    """Map a unit-interval draw ``u`` to the parameter's value."""
    assert p.range is not None
    lo, hi = p.range
    if kind is int:
        lo_i, hi_i = math.ceil(lo), math.floor(hi)
        if p.distribution == "uniform":
            return int(min(hi_i, lo_i + math.floor(u * (hi_i - lo_i + 1))))
        # Rounding must not leave the range (2.45 in [2.4, 3.6] rounds to 2).
        return int(min(hi_i, max(lo_i, round(_continuous(p, u)))))
    return float(_continuous(p, u))


def _continuous(p: Parameter, u: float) -> float:
    assert p.range is not None
    lo, hi = p.range
    if p.distribution == "uniform":
        return lo + u * (hi - lo)
    if p.distribution == "loguniform":
        return math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
    from scipy import stats

    if p.distribution == "triangular":
        assert p.mode is not None
        c = (p.mode - lo) / (hi - lo)
        return float(stats.triang(c, loc=lo, scale=hi - lo).ppf(u))
    assert p.mean is not None and p.sd is not None
    a, b = (lo - p.mean) / p.sd, (hi - p.mean) / p.sd
    return float(np.clip(stats.truncnorm(a, b, loc=p.mean, scale=p.sd).ppf(u), lo, hi))
