"""Reading a results folder for the report, in streams so memory stays flat.

Damaged Parquet files are refused up front, naming the file. Daily series are read in
record batches into mean and 95% bands; closure times are read one issues table at a
time (at most ``ISSUE_SAMPLE_LIMIT`` runs, evenly spaced) into fixed histogram bins,
from which quantiles are taken.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError

ISSUE_SAMPLE_LIMIT = 400  # issues tables read for closure times (evenly spaced runs)


def daily_bands(path: Path, by: str, columns: Sequence[str],
                groups: Sequence[Any] | None = None) -> pd.DataFrame:
    """Mean and 95% band per (group, day) of daily columns, read in record batches."""
    import pyarrow.parquet as pq
    from scipy import stats

    pf = pq.ParquetFile(path)
    acc: pd.DataFrame | None = None
    cols = list(columns)
    for batch in pf.iter_batches(columns=[by, "day", *cols], batch_size=65_536):
        df = batch.to_pandas()
        if groups is not None:
            df = df[df[by].isin(groups)]
        if df.empty:
            continue
        for c in cols:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
            df[f"{c}__sq"] = df[c] ** 2
            df[f"{c}__n"] = df[c].notna().astype(float)
        part = df.groupby([by, "day"]).sum(numeric_only=True)
        acc = part if acc is None else acc.add(part, fill_value=0.0)
    if acc is None:
        return pd.DataFrame(columns=[by, "day", "column", "mean", "low", "high", "n"])
    rows = []
    for c in cols:
        n = acc[f"{c}__n"]
        mean = acc[c] / n.where(n > 0)
        var = (acc[f"{c}__sq"] - n * mean**2) / (n - 1).where(n > 1)
        sd = np.sqrt(var.clip(lower=0))
        tq = pd.Series(stats.t.ppf(0.975, (n - 1).clip(lower=1)), index=n.index)
        hw = tq * sd / np.sqrt(n.where(n > 0))
        frame = pd.DataFrame({"mean": mean, "low": mean - hw, "high": mean + hw, "n": n})
        frame["column"] = c
        rows.append(frame.reset_index())
    return pd.concat(rows, ignore_index=True)


# Quarter-day bins over the first 30 days, where most closures fall; 5-day bins to ten years.
BIN_EDGES = np.concatenate([np.arange(0.0, 30.0, 0.25), np.arange(30.0, 3655.0, 5.0)])


def closure_histograms(root: Path, runs: pd.DataFrame, by: str
                       ) -> tuple[dict[Any, np.ndarray], dict[Any, tuple[int, int]], int]:
    """Histogram of days from raised to resolved per group, one issues table at a time.

    Returns counts per group (over ``BIN_EDGES``), (resolved, total) issues per group,
    and how many runs were read (at most ``ISSUE_SAMPLE_LIMIT``, evenly spaced).
    """
    import pyarrow.parquet as pq

    ok = issue_sample(runs)
    hists: dict[Any, np.ndarray] = {}
    counts: dict[Any, tuple[int, int]] = {}
    read = 0
    for run_id, group in zip(ok["run_id"], ok[by], strict=True):
        path = root / "runs" / str(run_id) / "issues.parquet"
        if not path.is_file():
            continue
        names = set(pq.read_schema(path).names)
        if not {"raised_at", "resolved_at"} <= names:
            continue
        t = pq.read_table(path, columns=["raised_at", "resolved_at"]).to_pandas()
        raised = pd.to_numeric(t["raised_at"], errors="coerce").to_numpy(dtype=float)
        resolved = pd.to_numeric(t["resolved_at"], errors="coerce").to_numpy(dtype=float)
        d = resolved - raised
        d = d[np.isfinite(d)]
        h, _ = np.histogram(np.clip(d, 0, BIN_EDGES[-1] - 1e-9), bins=BIN_EDGES)
        hists[group] = hists.get(group, np.zeros(len(BIN_EDGES) - 1, dtype=np.int64)) + h
        r, n = counts.get(group, (0, 0))
        counts[group] = (r + int(d.size), n + len(raised))
        read += 1
    return hists, counts, read


def issue_sample(runs: pd.DataFrame) -> pd.DataFrame:
    """The successful runs whose issues tables the report reads (evenly spaced)."""
    ok = runs[runs["status"] == "ok"]
    if len(ok) > ISSUE_SAMPLE_LIMIT:
        idx = np.linspace(0, len(ok) - 1, ISSUE_SAMPLE_LIMIT).round().astype(int)
        ok = ok.iloc[np.unique(idx)]
    return ok


def hist_quantile(hist: np.ndarray, q: float) -> float:
    """A quantile from histogram counts over ``BIN_EDGES`` (linear within a bin)."""
    total = hist.sum()
    if total == 0:
        return math.nan
    cum = np.cumsum(hist)
    target = q * total
    i = int(np.searchsorted(cum, target))
    i = min(i, len(hist) - 1)
    prev = cum[i - 1] if i > 0 else 0
    frac = (target - prev) / hist[i] if hist[i] else 0.0
    return float(BIN_EDGES[i] + frac * (BIN_EDGES[i + 1] - BIN_EDGES[i]))


def check_readable(root: Path, runs: pd.DataFrame) -> None:
    """Refuse, naming the file, a damaged Parquet file the report would read."""
    import pyarrow.parquet as pq

    combined = "rerun the batch or sweep command to rebuild it"
    paths = [(root / "daily.parquet", combined), (root / "design.parquet", combined)]
    paths += [(root / "runs" / str(r) / "issues.parquet",
               f"remove {root / 'runs' / str(r)} and rerun the batch or sweep command to "
               "redo that run") for r in issue_sample(runs)["run_id"]]
    for path, remedy in paths:
        if not path.is_file():
            continue
        try:
            pq.read_metadata(path)
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: damaged or not a Parquet file ({exc}); "
                             f"{remedy}") from None


def scenario_description(root: Path, runs: pd.DataFrame, scenario: Any) -> str:
    """The ``description`` of a scenario, from one of its runs' ``scenario.toml``."""
    import tomllib

    ok = runs[(runs["scenario"] == scenario) & (runs["status"] == "ok")]
    if ok.empty:
        return ""
    path = root / "runs" / str(ok["run_id"].iloc[0]) / "scenario.toml"
    try:
        return str(tomllib.loads(path.read_text(encoding="utf-8")).get("description", ""))
    except (OSError, ValueError):
        return ""
