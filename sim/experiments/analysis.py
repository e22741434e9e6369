"""Analysis of an experiment's results: intervals, paired differences, sensitivity.

All intervals are two-sided 95% Student-t intervals over replicates (``scipy.stats``).
Paired differences pair scenario and reference runs by replicate, which share their
random stream (common random numbers). Sensitivity indices come from SALib on the
per-point mean over replicates, in the unit space the design was drawn in.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError

CONF = 0.95


def t_interval(values: Sequence[float] | np.ndarray, conf: float = CONF) -> dict[str, float]:
    """Mean, sd, n and the t-interval of the finite values."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return {"n": 0, "mean": math.nan, "sd": math.nan, "half_width": math.nan,
                "ci_low": math.nan, "ci_high": math.nan}
    mean = float(x.mean())
    if n == 1:
        return {"n": 1, "mean": mean, "sd": math.nan, "half_width": math.nan,
                "ci_low": math.nan, "ci_high": math.nan}
    from scipy import stats

    sd = float(x.std(ddof=1))
    hw = float(stats.t.ppf(0.5 + conf / 2, n - 1) * sd / math.sqrt(n))
    return {"n": n, "mean": mean, "sd": sd, "half_width": hw,
            "ci_low": mean - hw, "ci_high": mean + hw}


def load_results(root: str | Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """The manifest and ``runs.parquet`` of a results folder (``InputError`` if absent)."""
    import json

    root = Path(root)
    manifest_path, runs_path = root / "manifest.json", root / "runs.parquet"
    if not manifest_path.is_file() or not runs_path.is_file():
        raise InputError(f"{root}: not a finished batch or sweep folder (needs manifest.json "
                         "and runs.parquet; run `govsim batch SPEC` or `govsim sweep SPEC`)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{manifest_path}: not valid JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise InputError(f"{manifest_path}: not a govsim manifest (expected a JSON object)")
    try:
        runs = pd.read_parquet(runs_path)
    except (OSError, ValueError) as exc:  # pyarrow's errors are ValueError / OSError
        raise InputError(f"{runs_path}: damaged or not a Parquet file ({exc}); rerun the "
                         "batch or sweep command to rebuild it") from None
    missing = [c for c in ("run_id", "scenario", "status") if c not in runs.columns]
    if missing:
        raise InputError(f"{runs_path}: not a govsim runs table (no column {missing[0]})")
    return manifest, runs


def outcome_columns(runs: pd.DataFrame, wanted: Sequence[str] = ()) -> list[str]:
    """The wanted outcomes that exist in ``runs`` (all numeric outcomes if none wanted)."""
    skip = {"run_id", "scenario", "point", "replicate", "status"}
    numeric = [c for c in runs.columns if c not in skip and pd.api.types.is_float_dtype(runs[c])]
    if not wanted:
        return numeric
    return [c for c in wanted if c in numeric]


def _ok(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[runs["status"] == "ok"]


def group_summary(runs: pd.DataFrame, outcomes: Sequence[str],
                  by: str = "scenario") -> pd.DataFrame:
    """Per group (scenario or design point) and outcome: n, mean, sd and 95% CI."""
    rows = []
    ok = _ok(runs)
    for key, grp in ok.groupby(by, sort=False):
        for out in outcomes:
            rows.append({by: key, "outcome": out, **t_interval(grp[out].to_numpy())})
    return pd.DataFrame(rows, columns=[by, "outcome", "n", "mean", "sd", "half_width",
                                       "ci_low", "ci_high"])


def paired_differences(runs: pd.DataFrame, reference: str,
                       outcomes: Sequence[str]) -> pd.DataFrame:
    """Scenario minus reference, paired by replicate: mean difference, CI, p-value."""
    from scipy import stats

    ok = _ok(runs)
    ref = ok[ok["scenario"] == reference].set_index("replicate")
    rows = []
    for scen, grp in ok.groupby("scenario", sort=False):
        if scen == reference:
            continue
        g = grp.set_index("replicate")
        common = g.index.intersection(ref.index)
        for out in outcomes:
            d = (g.loc[common, out] - ref.loc[common, out]).to_numpy(dtype=float)
            d = d[np.isfinite(d)]
            # Rounding noise (1e-16) is no difference: it must not look significant.
            scale = float(np.nanmax(np.abs(ref.loc[common, out]))) if len(common) else 1.0
            d[np.abs(d) <= 1e-12 * max(1.0, scale if math.isfinite(scale) else 1.0)] = 0.0
            ci = t_interval(d)
            ref_mean = float(ref.loc[common, out].mean()) if len(common) else math.nan
            p = math.nan
            if d.size >= 2 and np.std(d) > 0:
                with warnings.catch_warnings():  # near-constant differences: fine here
                    warnings.simplefilter("ignore", RuntimeWarning)
                    p = float(stats.ttest_1samp(d, 0.0).pvalue)
            rel = ci["mean"] / ref_mean if ref_mean not in (0.0,) and math.isfinite(
                ref_mean) else math.nan
            rows.append({"scenario": scen, "outcome": out, "n_pairs": ci["n"],
                         "reference_mean": ref_mean, "mean_diff": ci["mean"],
                         "sd_diff": ci["sd"], "half_width": ci["half_width"],
                         "ci_low": ci["ci_low"], "ci_high": ci["ci_high"],
                         "relative_diff": rel, "p_value": p})
    return pd.DataFrame(rows, columns=["scenario", "outcome", "n_pairs", "reference_mean",
                                       "mean_diff", "sd_diff", "half_width", "ci_low",
                                       "ci_high", "relative_diff", "p_value"])


def ci_convergence(runs: pd.DataFrame, outcomes: Sequence[str], by: str = "scenario",
                   target_relative: float = 0.05) -> pd.DataFrame:
    """How the CI half-width shrinks with replicates: at n/4, n/2 and n (first k runs).

    ``replicates_needed`` projects, from the full-n standard deviation, how many
    replicates give a half-width of ``target_relative`` x |mean| (the t-interval's
    half-width falls about as 1/sqrt(n)).
    """
    rows = []
    ok = _ok(runs).sort_values("replicate")
    for key, grp in ok.groupby(by, sort=False):
        n_all = len(grp)
        sizes = sorted({k for k in (n_all // 4, n_all // 2, n_all) if k >= 2})
        for out in outcomes:
            vals = grp[out].to_numpy(dtype=float)
            full = t_interval(vals)
            for k in sizes:
                ci = t_interval(vals[:k])
                rows.append({by: key, "outcome": out, "replicates": k, "mean": ci["mean"],
                             "half_width": ci["half_width"],
                             "relative_half_width": _rel(ci["half_width"], ci["mean"]),
                             "replicates_needed": _needed(full, target_relative)})
    return pd.DataFrame(rows, columns=[by, "outcome", "replicates", "mean", "half_width",
                                       "relative_half_width", "replicates_needed"])


def _rel(hw: float, mean: float) -> float:
    return abs(hw / mean) if mean and math.isfinite(mean) and math.isfinite(hw) else math.nan


def _needed(full: dict[str, float], target: float) -> float:
    """Smallest n whose t-interval half-width is <= target x |mean| (sd as estimated)."""
    from scipy import stats

    sd, mean = full["sd"], full["mean"]
    if not (math.isfinite(sd) and math.isfinite(mean)) or mean == 0:
        return math.nan
    if sd == 0:
        return 2.0
    goal = target * abs(mean)
    n = max(2, math.ceil((1.96 * sd / goal) ** 2))
    while n < 10**7 and stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) > goal:
        n += max(1, n // 20)
    return float(n)


def point_means(runs: pd.DataFrame, outcomes: Sequence[str], points: int) -> pd.DataFrame:
    """Per design point, the mean of each outcome over its successful replicates."""
    ok = _ok(runs)
    means = ok.groupby("point")[list(outcomes)].mean()
    return means.reindex(range(points))


def _problem(manifest: dict[str, Any]) -> dict[str, Any]:
    design = manifest.get("design") or {}
    problem = design.get("problem")
    if not problem:
        raise InputError("manifest.json: design.problem missing; not a sobol/morris sweep")
    return problem


def bootstrap_seed(manifest: dict[str, Any]) -> int:
    """The seed of SALib's bootstrap, from the experiment's root seed. Never 0: SALib
    seeds only ``if seed:``, so 0 left the intervals different on every report."""
    return int(manifest.get("root_seed") or 0) % (2**32 - 1) + 1


def sobol_indices(manifest: dict[str, Any], runs: pd.DataFrame, outcomes: Sequence[str],
                  seed: int | None = None) -> pd.DataFrame:
    """Sobol' first-order (S1) and total (ST) indices with 95% bootstrap CIs (the same
    on every call for the same results: ``seed`` defaults to :func:`bootstrap_seed`)."""
    from SALib.analyze import sobol

    seed = bootstrap_seed(manifest) if seed is None else seed

    problem = _problem(manifest)
    design = manifest["design"]
    means = point_means(runs, outcomes, int(design["points"]))
    rows = []
    for out in outcomes:
        y = means[out].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            rows.extend(_nan_rows(problem, out, "missing points"))
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = sobol.analyze(problem, y, calc_second_order=bool(design.get("second_order")),
                                conf_level=CONF, seed=seed)
        for j, name in enumerate(problem["names"]):
            rows.append({"outcome": out, "parameter": name,
                         "S1": float(res["S1"][j]), "S1_conf": float(res["S1_conf"][j]),
                         "ST": float(res["ST"][j]), "ST_conf": float(res["ST_conf"][j]),
                         "note": ""})
    return pd.DataFrame(rows, columns=["outcome", "parameter", "S1", "S1_conf", "ST",
                                       "ST_conf", "note"])


def morris_indices(manifest: dict[str, Any], runs: pd.DataFrame, unit: np.ndarray,
                   outcomes: Sequence[str], seed: int | None = None) -> pd.DataFrame:
    """Morris elementary effects: mu, mu* (with 95% CI) and sigma, in unit space."""
    from SALib.analyze import morris

    seed = bootstrap_seed(manifest) if seed is None else seed

    problem = _problem(manifest)
    design = manifest["design"]
    means = point_means(runs, outcomes, int(design["points"]))
    rows = []
    for out in outcomes:
        y = means[out].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            rows.extend(_nan_rows(problem, out, "missing points"))
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = morris.analyze(problem, unit, y, conf_level=CONF,
                                 num_levels=int(design.get("levels") or 4), seed=seed)
        for j, name in enumerate(problem["names"]):
            rows.append({"outcome": out, "parameter": name, "mu": float(res["mu"][j]),
                         "mu_star": float(res["mu_star"][j]),
                         "mu_star_conf": float(res["mu_star_conf"][j]),
                         "sigma": float(res["sigma"][j]), "note": ""})
    return pd.DataFrame(rows, columns=["outcome", "parameter", "mu", "mu_star",
                                       "mu_star_conf", "sigma", "note"])


def rank_correlations(runs: pd.DataFrame, keys: Sequence[str],
                      outcomes: Sequence[str]) -> pd.DataFrame:
    """Spearman rank correlation of each parameter with each outcome (LHS, factorial)."""
    from scipy import stats

    ok = _ok(runs)
    rows = []
    for out in outcomes:
        for key in keys:
            x = pd.to_numeric(ok[key], errors="coerce").to_numpy(dtype=float)
            y = ok[out].to_numpy(dtype=float)
            m = np.isfinite(x) & np.isfinite(y)
            rho = p = math.nan
            if m.sum() >= 3 and np.ptp(x[m]) > 0 and np.ptp(y[m]) > 0:
                r = stats.spearmanr(x[m], y[m])
                rho, p = float(r.statistic), float(r.pvalue)
            rows.append({"outcome": out, "parameter": key, "spearman_rho": rho,
                         "p_value": p, "n": int(m.sum())})
    return pd.DataFrame(rows, columns=["outcome", "parameter", "spearman_rho", "p_value", "n"])


def _nan_rows(problem: dict[str, Any], out: str, note: str) -> list[dict[str, Any]]:
    return [{"outcome": out, "parameter": n, "note": note} for n in problem["names"]]
