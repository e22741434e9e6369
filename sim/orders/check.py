"""``--check N``: run the fitted scenario N times and measure closure as the data is.

Closure days run from the request (``known_at``: the issue reaches someone who can act)
to ``resolved_at``; issues still open at the end are right-censored there, as open
orders are in the export. Issues known in the first tenth of a run are left out (the
run starts from an empty city: its first weeks have no queues), as the calibration does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sim.orders.fit import closure_summary
from sim.run import simulate
from sim.scenario import Scenario


def model_closure(issues: pd.DataFrame, days: int) -> pd.DataFrame:
    """One run's closure days from known_at, open ones censored at the run's end."""
    known = issues[issues["known_at"].notna() & (issues["known_at"] >= days // 10)]
    resolved = known["resolved_at"].to_numpy(dtype=float)
    at = known["known_at"].to_numpy(dtype=float)
    closed = ~np.isnan(resolved)
    d = np.where(closed, resolved - at, float(days) - at)
    return pd.DataFrame({"category": known["category"].astype(str).to_numpy(),
                         "days": np.maximum(d, 0.0), "is_closed": closed})


def run_check(scenario: Scenario, replicates: int, categories: list[str],
              progress: bool = True,
              say: Callable[[str], None] | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """N replicates (seeds 1..N); closure summaries pooled and per replicate."""
    frames, per_rep = [], []
    days = scenario.run.days
    seeds = range(1, replicates + 1)
    if progress:
        from tqdm import tqdm

        seeds = tqdm(seeds, desc="--check runs", unit="run", leave=False)
    for seed in seeds:
        res = simulate(scenario, seed=seed)
        frame = model_closure(res.issues, days).assign(replicate=seed)
        frames.append(frame)
        per_rep.append(closure_summary(frame["days"].to_numpy(), frame["is_closed"].to_numpy()))
    pooled = pd.concat(frames, ignore_index=True)
    out: dict[str, Any] = {
        "replicates": replicates, "days": days, "seeds": list(range(1, replicates + 1)),
        "warm_up_days": days // 10,
        "all": closure_summary(pooled["days"].to_numpy(), pooled["is_closed"].to_numpy()),
        "by_category": {c: closure_summary(g["days"].to_numpy(), g["is_closed"].to_numpy())
                        for c, g in pooled.groupby("category") if c in categories},
        "per_replicate": per_rep,
    }
    for key in ("q1", "median", "q3", "mean", "within7"):
        vals = [r[key] for r in per_rep if r[key] is not None]
        out["all"][f"{key}_sd_between_replicates"] = float(np.std(vals, ddof=1)) \
            if len(vals) > 1 else None
    return out, pooled
