"""``--check N``: run the fitted scenario N times and measure closure as the data is.

An export holds residents' requests to the platform (12345 / 311), from the request to
the platform's closing: so the model's are its requests by hotline, app or rider, from
``known_at`` to ``closed_at`` (the platform's closing: the need met, unless a work-order
flow mechanism such as waiting on a reply is on), open ones right-censored at the run's
end, as open orders are in the export (:func:`platform_closure`). Issues known in the
first tenth of a run are left out (the run starts from an empty city: its first weeks
have no queues), as the calibration does. The earlier measure, every issue known, to
``resolved_at`` (:func:`model_closure`), is kept beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sim.orders.fit import closure_summary
from sim.run import simulate
from sim.scenario import Scenario

PLATFORM_CHANNELS = ("hotline", "app", "rider")  # a request to the platform (12345 / 311)


def platform_closure(issues: pd.DataFrame, days: int) -> pd.DataFrame:
    """Residents' requests to the platform, days from known to the platform's closing
    (``closed_at``; the need met when no flow mechanism is on), open ones censored at
    the run's end, those known in the first tenth (the empty city's weeks) left out."""
    known = issues[issues["known_at"].notna() & (issues["known_at"] >= days // 10)
                   & issues["channel"].astype(str).isin(PLATFORM_CHANNELS)]
    return _closure(known, "closed_at", days)


def model_closure(issues: pd.DataFrame, days: int) -> pd.DataFrame:
    """One run's closure days from known_at, open ones censored at the run's end."""
    known = issues[issues["known_at"].notna() & (issues["known_at"] >= days // 10)]
    return _closure(known, "resolved_at", days)


def _closure(known: pd.DataFrame, end: str, days: int) -> pd.DataFrame:
    """Days from known to ``end`` (a time column), open ones censored at ``days``."""
    stop = known[end].to_numpy(dtype=float)
    at = known["known_at"].to_numpy(dtype=float)
    closed = ~np.isnan(stop)
    d = np.where(closed, stop - at, float(days) - at)
    return pd.DataFrame({"category": known["category"].astype(str).to_numpy(),
                         "days": np.maximum(d, 0.0), "is_closed": closed})


def run_check(scenario: Scenario, replicates: int, categories: list[str],
              days: int | None = None, progress: bool = True,
              say: Callable[[str], None] | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """N replicates (seeds 1..N) of ``days`` (default the scenario's); closure summaries
    pooled and per replicate."""
    frames, per_rep, every = [], [], []
    days = scenario.run.days if days is None else days
    seeds = range(1, replicates + 1)
    if progress:
        from tqdm import tqdm

        seeds = tqdm(seeds, desc="--check runs", unit="run", leave=False)
    for seed in seeds:
        res = simulate(scenario, days=days, seed=seed)
        every.append(model_closure(res.issues, days))
        frame = platform_closure(res.issues, days).assign(replicate=seed)
        frames.append(frame)
        per_rep.append(closure_summary(frame["days"].to_numpy(), frame["is_closed"].to_numpy()))
    pooled = pd.concat(frames, ignore_index=True)
    known = pd.concat(every, ignore_index=True)
    out: dict[str, Any] = {
        "replicates": replicates, "days": days, "seeds": list(range(1, replicates + 1)),
        "warm_up_days": days // 10,
        "all": closure_summary(pooled["days"].to_numpy(), pooled["is_closed"].to_numpy()),
        "all_known_to_resolved": closure_summary(known["days"].to_numpy(),
                                                 known["is_closed"].to_numpy()),
        "by_category": {c: closure_summary(g["days"].to_numpy(), g["is_closed"].to_numpy())
                        for c, g in pooled.groupby("category") if c in categories},
        "per_replicate": per_rep,
    }
    for key in ("q1", "median", "q3", "mean", "within7"):
        vals = [r[key] for r in per_rep if r[key] is not None]
        out["all"][f"{key}_sd_between_replicates"] = float(np.std(vals, ddof=1)) \
            if len(vals) > 1 else None
    return out, pooled
