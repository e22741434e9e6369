"""``govsim discover``: scenario discovery — under which conditions does a reform fail?

Two ways in:

* ``govsim discover SPEC`` (``kind = "discover"``): samples the spec's uncertainties (and
  levers) with EMA's samplers, runs govsim through the connector (replicate seeds with
  common random numbers; resumable through ``evaluations/``), writes
  ``experiments.parquet`` and analyses it;
* ``govsim discover RESULTS --case "on_time_share<0.85"``: analyses a finished sweep's
  ``runs.parquet`` (design points averaged over replicates; the swept keys are the
  conditions), writing into ``RESULTS/discovery/``.

For each case (an outcome beyond a threshold) EMA's PRIM finds boxes — ranges of a
few conditions — where failure is dense, and CART's leaves give a second opinion.
Each box is chosen from PRIM's peeling trajectory as the one with the largest coverage
(share of all failures inside it) whose density (share of runs inside it that fail)
is at least ``prim.min_density``. Tables: ``boxes.csv`` / ``cart.csv``; the bilingual
report says each box in words.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.experiments.ema import ema_name, govsim_model
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
from sim.experiments.planning_spec import (
    Case,
    DiscoverSpec,
    PrimSettings,
    failing,
    load_planning,
)
from sim.experiments.spec import SpecError
from sim.outcomes import neighbourhood_names, summary_keys

CASE_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*([<>])\s*([-+0-9.eE]+)\s*$")


@dataclass
class DiscoverResult:
    out: Path
    boxes: pd.DataFrame
    cart: pd.DataFrame
    runs: int
    simulated: int
    wall_seconds: float


def parse_case(text: str, origin: str = "--case") -> Case:
    """``"on_time_share<0.85"`` → a :class:`Case` (raises ``InputError``)."""
    m = CASE_RE.match(text)
    if not m:
        raise InputError(f"{origin} {text!r}: expected OUTCOME<THRESHOLD or "
                         "OUTCOME>THRESHOLD, e.g. on_time_share<0.85")
    outcome, op, value = m.groups()
    try:
        v = float(value)
    except ValueError:
        raise InputError(f"{origin} {text!r}: {value!r} is not a number") from None
    return Case(outcome=outcome, above=v if op == ">" else None,
                below=v if op == "<" else None)


def run_discover(target: str | Path, *, out: str | Path | None = None,
                 workers: int | None = None, force: bool = False, quiet: bool = False,
                 cases: list[str] | None = None, report: bool = True) -> DiscoverResult:
    """Run a discover spec, or analyse a results folder; see the module docstring."""
    start = time.perf_counter()
    target = Path(target)
    if not target.exists():
        raise InputError(f"{target}: no such discover spec file or results folder")
    if target.is_dir():
        return _analyse_folder(target, out, cases, quiet, report, start)
    plan = load_planning(target, expect="discover")
    spec = plan.spec
    assert isinstance(spec, DiscoverSpec)
    use_cases = [parse_case(c) for c in cases] if cases else list(spec.cases)
    known = summary_keys(list(plan.base.categories), neighbourhood_names(plan.base))
    for c in use_cases:  # a --case may name an outcome the spec does not record
        if c.outcome not in known:
            raise SpecError(f"--case {c.rule!r}: unknown outcome {c.outcome!r}; allowed: "
                            f"{', '.join(known)}")
        plan.outcomes.setdefault(c.outcome, "info")
    root = results_root(plan, out, force)
    from sim.experiments.runner import _lock, versions

    with _lock(root):
        cache = root / "evaluations"
        if force and cache.exists():
            shutil.rmtree(cache)
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        write_json(root / "manifest.json",
                   run_manifest(plan, "running", started, None, {}, versions()))
        before = count_evaluations(cache)
        table = _experiments(plan, spec, cache, workers, quiet)
        _write_parquet_atomic(table, root / "experiments.parquet")
        x_cols = [r.key for r in (*plan.uncertainties, *plan.levers)]
        _check_cases(use_cases, table, str(target))
        boxes, cart = discover(table[x_cols], table, use_cases, spec.prim)
        _write_tables(root, boxes, cart)
        counts = {"runs": len(table) * spec.replicates, "experiments": len(table),
                  "simulated": count_evaluations(cache) - before,
                  "wall_seconds": round(time.perf_counter() - start, 2)}
        man = run_manifest(plan, "complete", started,
                           dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), counts,
                           versions())
        man.update(conditions=x_cols, cases=[c.model_dump() for c in use_cases],
                   prim=spec.prim.model_dump())
        write_json(root / "manifest.json", man)
    if report:
        make_planning_report(root)
    return DiscoverResult(root, boxes, cart, counts["runs"], counts["simulated"],
                          time.perf_counter() - start)


def _experiments(plan: Any, spec: DiscoverSpec, cache: Path, workers: int | None,
                 quiet: bool) -> pd.DataFrame:
    ema = import_ema()
    model = govsim_model(plan.base, levers=plan.levers, uncertainties=plan.uncertainties,
                         outcomes=plan.outcomes, replicates=spec.replicates, seed=spec.seed,
                         days=plan.days, cache_dir=cache, name="govsim")
    sampler = ema.Samplers.LHS if spec.sampling.sampler == "lhs" else ema.Samplers.MC
    with quiet_bars(quiet), make_evaluator(model, workers) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(
            scenarios=spec.sampling.scenarios, policies=spec.sampling.policies or 0,
            uncertainty_sampling=sampler, lever_sampling=sampler,
            uncertainty_sampling_kwargs={"rng": spec.sampling.seed},
            lever_sampling_kwargs={"rng": spec.sampling.seed + 1},
            log_progress=quiet)
    table = pd.DataFrame({"scenario": experiments["scenario"].astype(str),
                          "policy": experiments["policy"].astype(str)})
    for r in (*plan.uncertainties, *plan.levers):
        col = experiments[ema_name(r.key)]
        table[r.key] = col.round().astype("int64") if r.integer else col.astype(float)
    for k in plan.outcomes:
        table[k] = np.asarray(outcomes[k], dtype=float)
    return table


def _analyse_folder(root: Path, out: str | Path | None, cases: list[str] | None,
                    quiet: bool, report: bool, start: float) -> DiscoverResult:
    from sim.experiments.store import read_json

    manifest_file = root / "manifest.json"
    if not manifest_file.is_file():
        raise InputError(f"{root}: no manifest.json; give a sweep's or a discover "
                         "spec's results folder, or a discover spec file")
    manifest = read_json(manifest_file)
    kind = manifest.get("kind")
    if kind == "discover":
        table = pd.read_parquet(root / "experiments.parquet")
        x_cols = list(manifest.get("conditions", []))
        spec_cases = [Case(**c) for c in manifest.get("cases", [])]
        prim = PrimSettings(**manifest.get("prim", {}))
        target = Path(out) if out is not None else root
    elif kind == "sweep":
        runs = pd.read_parquet(root / "runs.parquet")
        x_cols = list((manifest.get("design") or {}).get("keys") or [])
        runs = runs[runs["status"] == "ok"]
        if runs.empty:
            raise InputError(f"{root}: no finished runs to analyse")
        numeric = [c for c in runs.columns if c not in ("run_id", "scenario", "status",
                                                       "replicate", *x_cols)]
        table = runs.groupby("point", sort=True).agg(
            {**{k: "first" for k in x_cols}, **{k: "mean" for k in numeric
                                                 if k != "point"}}).reset_index()
        spec_cases, prim = [], PrimSettings()
        from sim.outputs import resolve_output

        name = str(manifest.get("experiment", root.name))
        target = resolve_output(out, "results", default=root / "discovery",
                                origin=str(manifest_file), experiment=(name, "discover"))
    else:
        raise InputError(f"{manifest_file}: kind: {kind!r}; scenario discovery needs a "
                         "sweep's or a discover spec's results")
    use_cases = [parse_case(c) for c in cases] if cases else spec_cases
    if not use_cases:
        raise InputError(f"{root}: say what failure is, e.g. --case \"on_time_share<0.85\" "
                         "(repeatable)")
    _check_cases(use_cases, table, str(root))
    boxes, cart = discover(table[x_cols], table, use_cases, prim)
    target.mkdir(parents=True, exist_ok=True)
    if target != root:
        _write_parquet_atomic(table, target / "experiments.parquet")
        write_json(target / "manifest.json", {
            "experiment": manifest.get("experiment", root.name), "kind": "discover",
            "source": str(root), "conditions": x_cols, "status": "complete",
            "cases": [c.model_dump() for c in use_cases], "prim": prim.model_dump(),
            "spec": manifest.get("spec")})
    elif cases:
        manifest["cases"] = [c.model_dump() for c in use_cases]
        write_json(manifest_file, manifest)
    _write_tables(target, boxes, cart)
    if report:
        make_planning_report(target)
    return DiscoverResult(target, boxes, cart, len(table), 0, time.perf_counter() - start)


def _check_cases(cases: list[Case], table: pd.DataFrame, origin: str) -> None:
    for c in cases:
        if c.outcome not in table.columns:
            numeric = [k for k in table.columns if pd.api.types.is_float_dtype(table[k])]
            raise SpecError(f"{origin}: case {c.rule!r}: outcome {c.outcome!r} is not in "
                            f"the results; allowed: {', '.join(numeric)}")


def discover(x: pd.DataFrame, table: pd.DataFrame, cases: list[Case],
             settings: PrimSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PRIM boxes and CART leaves for each case; one row per box or leaf."""
    import_ema()
    from ema_workbench.analysis import cart as ema_cart
    from ema_workbench.analysis import prim as ema_prim
    from ema_workbench.analysis import scenario_discovery_util as sdutil

    # Integer conditions as reals: EMA 3.0's PRIM pastes fractional limits into an
    # int64 box, which pandas 3 refuses.
    x = x.reset_index(drop=True).astype(float)
    box_rows: list[dict[str, Any]] = []
    cart_rows: list[dict[str, Any]] = []
    for case in cases:
        y = failing(case, table[case.outcome].to_numpy())
        base = {"case": case.rule, "label": case.label or "", "outcome": case.outcome,
                "direction": "above" if case.above is not None else "below",
                "threshold": case.threshold, "failures": int(y.sum()), "runs": len(y),
                "base_rate": float(y.mean()) if len(y) else np.nan}
        if y.sum() == 0 or y.all():
            box_rows.append({**base, "box": 0, "coverage": np.nan, "density": np.nan,
                             "mass": np.nan, "res_dim": 0, "limits": ""})
            continue
        prim = ema_prim.Prim(x, y, peel_alpha=settings.peel_alpha,
                             paste_alpha=settings.paste_alpha, mass_min=settings.mass_min)
        n_before = len(box_rows)
        for b in range(settings.boxes):
            found = prim.find_box()
            if found is None:
                break
            traj = found.peeling_trajectory
            ok = traj[traj["density"] >= settings.min_density]
            i = int(ok["coverage"].idxmax()) if len(ok) else int(traj["density"].idxmax())
            found.select(i)
            lim, stats = _significant(found, i, prim, x, y, settings.max_quasi_p)
            dims = sdutil._determine_restricted_dims(lim, prim.box_init)
            if len(dims) == 0 or stats["density"] <= base["base_rate"]:
                break  # no box, or one that holds less failure than no box at all
            if b > 0 and stats["density"] < settings.min_density:
                break  # after the first, only boxes as dense as asked for
            box_rows.append({**base, "box": b + 1, **stats, "res_dim": len(dims),
                             "limits": _limits(lim, prim.box_init, dims)})
        if len(box_rows) == n_before:  # PRIM found nothing denser than the whole sample
            box_rows.append({**base, "box": 0, "coverage": np.nan, "density": np.nan,
                             "mass": np.nan, "res_dim": 0, "limits": ""})
        # EMA's CART takes int(mass_min * n) runs a leaf: at least one on small samples.
        tree = ema_cart.CART(x, y, mass_min=max(settings.mass_min, 1.0 / len(y)))
        tree.build_tree()
        box_init = sdutil._make_box(x)
        for k, (lim, stats) in enumerate(zip(tree.boxes, tree.stats, strict=True)):
            dims = sdutil._determine_restricted_dims(lim, box_init)
            cart_rows.append({**base, "leaf": k + 1, "coverage": float(stats["coverage"]),
                              "density": float(stats["density"]), "mass": float(stats["mass"]),
                              "res_dim": len(dims), "limits": _limits(lim, box_init, dims)})
    boxes = pd.DataFrame(box_rows)
    cart = pd.DataFrame(cart_rows)
    if len(cart):
        cart = cart.sort_values(["case", "density", "coverage"], ascending=[True, False, False],
                                kind="stable").reset_index(drop=True)
    return boxes, cart


def _significant(found: Any, i: int, prim: Any, x: pd.DataFrame, y: np.ndarray,
                 max_qp: float) -> tuple[pd.DataFrame, dict[str, float]]:
    """PRIM's box without the restrictions that do not matter, and its statistics.

    A side of a restriction is kept only if its quasi-p-value (EMA's one-sided binomial
    test, Bryant and Lempert 2010) is at most ``max_qp``: a limit PRIM pasted a hair
    inside the sampled range says nothing a planner can use. Coverage (of all
    failures), density and mass are then those of the pruned box, over the runs PRIM
    had left when it found it.
    """
    from ema_workbench.analysis import scenario_discovery_util as sdutil

    lim = found.box_lims[i].copy()
    init = prim.box_init
    for dim, (qp_low, qp_high) in found.p_values[i].items():
        if not 0 <= qp_low <= max_qp:
            lim.loc[0, dim] = init.loc[0, dim]
        if not 0 <= qp_high <= max_qp:
            lim.loc[1, dim] = init.loc[1, dim]
    rows = np.asarray(found.yi_initial)
    inside = sdutil._in_box(x.loc[rows], lim)
    y_in = y[rows][inside]
    return lim, {"coverage": float(y_in.sum() / max(y.sum(), 1)),
                 "density": float(y_in.mean()) if y_in.size else float("nan"),
                 "mass": float(y_in.size / len(y))}


def _limits(lim: pd.DataFrame, init: pd.DataFrame, dims: Any) -> str:
    """``key in [lo, hi]; ...`` for the restricted dimensions (only the side that moved)."""
    parts = []
    for d in dims:
        lo, hi = lim[d].iloc[0], lim[d].iloc[1]
        lo0, hi0 = init[d].iloc[0], init[d].iloc[1]
        if lo > lo0 and hi < hi0:
            parts.append(f"{d} in [{_num(lo)}, {_num(hi)}]")
        elif lo > lo0:
            parts.append(f"{d} >= {_num(lo)}")
        else:
            parts.append(f"{d} <= {_num(hi)}")
    return "; ".join(parts)


def _num(v: Any) -> str:
    return f"{float(v):.4g}"


def _write_tables(root: Path, boxes: pd.DataFrame, cart: pd.DataFrame) -> None:
    for name, frame in (("boxes.csv", boxes), ("cart.csv", cart)):
        tmp = root / f".{name}.{uuid.uuid4().hex}.tmp"
        frame.to_csv(tmp, index=False)
        tmp.replace(root / name)


def _write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        frame.to_parquet(tmp, index=False)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
