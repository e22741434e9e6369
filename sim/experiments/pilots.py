"""Evaluating pilots (创新观察点) [F35]: difference-in-differences and a power table.

A pilot scenario marks pilot and comparison communities in ``issues.parquet``
(``pilot``) and changes the pilot communities from ``pilot.start_day``. Each community
gives one observation before and one after the start (the mean outcome of the issues
raised in that period); the difference-in-differences estimate is the coefficient of
``pilot × after`` in a weighted least-squares fit with community fixed effects, with
standard errors clustered by community (statsmodels). The power table answers the
planner's question: how many pilot communities would detect a given effect at 80%
power, given how much communities' before-after changes vary (comparison units).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from sim.errors import InputError

OUTCOMES: dict[str, str] = {
    "on_time": "share of resolved issues closed by their deadline",
    "days_to_resolve": "mean days from arising to resolution (resolved issues)",
    "known": "share of issues that became known",
}


def community_periods(issues: pd.DataFrame, start_day: float, outcome: str) -> pd.DataFrame:
    """One row per community and period (before / after the start): the mean outcome
    and how many issues it rests on."""
    if outcome not in OUTCOMES:
        raise InputError(f"outcome {outcome!r}: allowed: {', '.join(OUTCOMES)}")
    frame = issues[["community", "pilot", "raised_at"]].copy()
    if outcome == "on_time":
        frame["y"] = issues["on_time"].astype("float64")
    elif outcome == "days_to_resolve":
        frame["y"] = issues["resolved_at"] - issues["raised_at"]
    else:
        frame["y"] = issues["known_at"].notna().astype("float64")
    frame = frame.dropna(subset=["y"])
    frame["after"] = (frame["raised_at"] >= start_day).astype(int)
    table = (frame.groupby(["community", "after"], observed=True)
             .agg(y=("y", "mean"), n=("y", "size"), pilot=("pilot", "first"))
             .reset_index())
    table["pilot"] = table["pilot"].astype(int)
    return table


@dataclass(frozen=True)
class DidResult:
    """A difference-in-differences estimate of a pilot's effect."""

    outcome: str
    estimate: float
    low: float
    high: float
    p_value: float
    pilot_units: int
    comparison_units: int

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def did(table: pd.DataFrame, outcome: str, unit: str = "community") -> DidResult:
    """The DiD estimate from a community-period table (see :func:`community_periods`);
    ``unit`` names the column that identifies a unit (community, or run and community
    when replicates are pooled)."""
    both = table.groupby(unit)["after"].transform("nunique") == 2
    table = table[both].copy()  # units seen before and after
    pilots = table.loc[table["pilot"] == 1, unit].nunique()
    others = table.loc[table["pilot"] == 0, unit].nunique()
    if pilots == 0 or others == 0:
        raise InputError("pilot: needs pilot and comparison communities with issues both "
                         "before and after the start day")
    table["treated"] = table["pilot"] * table["after"]
    groups = pd.factorize(table[unit])[0]
    fit = smf.wls(f"y ~ C({unit}) + after + treated", data=table, weights=table["n"]).fit(
        cov_type="cluster", cov_kwds={"groups": groups})
    low, high = fit.conf_int().loc["treated"]
    return DidResult(outcome, float(fit.params["treated"]), float(low), float(high),
                     float(fit.pvalues["treated"]), int(pilots), int(others))


def power_table(table: pd.DataFrame, effects: list[float], *, alpha: float = 0.05,
                power: float = 0.8, comparison_per_pilot: float = 1.0) -> pd.DataFrame:
    """Pilot communities needed to detect each effect (a difference in the before-after
    change) at ``power``, from the spread of comparison communities' changes."""
    wide = table.pivot_table(index="community", columns="after", values="y")
    pilot = table.groupby("community")["pilot"].first()
    change = (wide[1] - wide[0]).dropna()
    sd = float(change[pilot.reindex(change.index) == 0].std(ddof=1))
    rows = []
    for effect in effects:
        if not sd > 0 or effect == 0:
            n = math.nan
        else:
            n = TTestIndPower().solve_power(effect_size=abs(effect) / sd, alpha=alpha,
                                            power=power, ratio=comparison_per_pilot)
        rows.append({"effect": effect, "sd_of_change": sd,
                     "pilot_communities_needed": math.ceil(n) if n == n else math.nan,
                     "comparison_communities_needed":
                         math.ceil(n * comparison_per_pilot) if n == n else math.nan})
    return pd.DataFrame(rows)


def _start_day(run_dir: Path) -> int:
    data = tomllib.loads((run_dir / "scenario.toml").read_text(encoding="utf-8"))
    return int(data.get("pilot", {}).get("start_day", 0))


def evaluate(results: str | Path, outcome: str = "on_time",
             effects: tuple[float, ...] = (0.02, 0.05, 0.10)) -> dict[str, object]:
    """Evaluate every pilot run of a results folder (a batch, or one ``govsim run``
    folder): the DiD per run, pooled over replicates (t-interval of the run estimates),
    and a power table; writes ``pilot/`` beside the runs and returns the tables."""
    root = Path(results)
    run_dirs = sorted(p.parent for p in root.glob("runs/*/issues.parquet"))
    if (root / "issues.parquet").is_file():
        run_dirs = [root]
    if not run_dirs:
        raise InputError(f"{root}: no runs with issues.parquet here")
    rows, tables = [], []
    for run_dir in run_dirs:
        issues = pd.read_parquet(run_dir / "issues.parquet",
                                 columns=["community", "pilot", "raised_at", "known_at",
                                          "resolved_at", "on_time"])
        if not issues["pilot"].any():
            continue
        table = community_periods(issues, _start_day(run_dir), outcome)
        result = did(table, outcome)
        rows.append({"run": run_dir.name, **result.as_dict()})
        tables.append(table.assign(run=run_dir.name))
    if not rows:
        raise InputError(f"{root}: no run has pilot communities (set [pilot] in the scenario)")
    per_run = pd.DataFrame(rows)
    est = per_run["estimate"].to_numpy()
    if len(est) > 1:
        half = stats.t.ppf(0.975, len(est) - 1) * est.std(ddof=1) / np.sqrt(len(est))
    else:
        half = float(per_run["high"].iloc[0] - per_run["estimate"].iloc[0])
    pooled = {"outcome": outcome, "runs": len(est), "estimate": float(est.mean()),
              "low": float(est.mean() - half), "high": float(est.mean() + half)}
    first = tables[0]
    n_pilot = first.loc[first["pilot"] == 1, "community"].nunique()
    n_comp = first.loc[first["pilot"] == 0, "community"].nunique()
    power = power_table(first, list(effects), comparison_per_pilot=n_comp / max(n_pilot, 1))
    out = root / "pilot"
    out.mkdir(exist_ok=True)
    per_run.to_csv(out / f"did_{outcome}.csv", index=False)
    power.to_csv(out / f"power_{outcome}.csv", index=False)
    lines = [f"# Pilot evaluation: {OUTCOMES[outcome]}", "",
             f"Difference in differences over {pooled['runs']} run(s): "
             f"**{pooled['estimate']:+.4f}** (95% CI {pooled['low']:+.4f} to "
             f"{pooled['high']:+.4f}); {n_pilot} pilot and {n_comp} comparison communities.",
             "", "| effect | pilot communities needed (80% power) |", "|---|---|"]
    lines += [f"| {r.effect:+g} | {r.pilot_communities_needed} |" for r in power.itertuples()]
    (out / f"pilot_{outcome}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"pooled": pooled, "per_run": per_run, "power": power}
