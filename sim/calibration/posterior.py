"""Posterior samples: written by ``govsim calibrate``, read by the experiment tools.

A posterior file is Parquet: one column per calibrated scenario key (dotted, as in
``--set``), a ``weight`` column (importance weights from ABC-SMC, summing to 1). The
experiment tools draw one row per replicate (``posterior = "..."`` in a spec), so a
batch's spread carries the uncertainty of the assumptions as well as chance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import InputError


class PosteriorError(InputError):
    """A posterior file is missing or malformed."""


def write_posterior(frame: pd.DataFrame, path: Path) -> None:
    """Write samples atomically (to a temporary name, then renamed)."""
    w = frame["weight"].to_numpy(dtype=float)
    frame = frame.assign(weight=w / w.sum())
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)
    tmp.replace(path)


def read_posterior(path: str | Path) -> pd.DataFrame:
    """Samples of a posterior file; raises :class:`PosteriorError` with one line."""
    path = Path(path)
    if not path.is_file():
        raise PosteriorError(f"{path}: no such posterior file (written by govsim calibrate "
                             "as <out>/posterior.parquet)")
    try:
        frame = pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowInvalid) as exc:
        raise PosteriorError(f"{path}: not a Parquet posterior file: {exc}") from None
    if "weight" not in frame.columns or len(frame.columns) < 2 or frame.empty:
        raise PosteriorError(f"{path}: a posterior file needs a weight column and at least "
                             "one parameter column, and at least one row")
    w = frame["weight"].to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise PosteriorError(f"{path}: weight: must be finite, >= 0 and not all 0")
    return frame


def draws(frame: pd.DataFrame, n: int, seed: int | np.random.SeedSequence) -> list[dict[str, Any]]:
    """``n`` draws (scenario overrides) by weight, reproducibly from ``seed``."""
    rng = np.random.default_rng(seed)
    w = frame["weight"].to_numpy(dtype=float)
    rows = rng.choice(len(frame), size=n, p=w / w.sum())
    keys = [c for c in frame.columns if c != "weight"]
    out = []
    for r in rows.tolist():
        out.append({k: _plain(frame[k].iloc[r]) for k in keys})
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: list[float]) -> list[float]:
    """Quantiles of weighted samples (inverse of the weighted empirical CDF)."""
    order = np.argsort(x, kind="stable")
    x, w = np.asarray(x, float)[order], np.asarray(w, float)[order]
    cdf = np.cumsum(w) / w.sum()
    return [float(x[min(np.searchsorted(cdf, q), len(x) - 1)]) for q in qs]
