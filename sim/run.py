"""One run of one scenario: simulate, then write its tables atomically.

This is what ``govsim run`` and the experiment runner call; it is the contract in
``docs/outputs.md``.
"""

from __future__ import annotations

import functools
import json
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import __version__
from sim.limits import peak_rss_mb
from sim.model import GovernanceModel
from sim.scenario import Scenario
from sim.split import Mapper, run_split

SeedLike = int | np.random.SeedSequence


@dataclass
class RunResult:
    """Everything one run produced."""

    scenario: Scenario
    seed: dict[str, Any]
    daily: pd.DataFrame
    issues: pd.DataFrame
    summary: dict[str, float]
    wall_seconds: float
    peak_rss_mb: float
    extra: dict[str, Any] = field(default_factory=dict)


def seed_record(seed: SeedLike) -> dict[str, Any]:
    """A JSON-able record of a seed, enough to rebuild it."""
    if isinstance(seed, np.random.SeedSequence):
        return {"entropy": str(seed.entropy), "spawn_key": list(seed.spawn_key)}
    return {"entropy": str(int(seed)), "spawn_key": []}


def simulate(
    scenario: Scenario,
    *,
    days: int | None = None,
    seed: SeedLike | None = None,
    progress: bool = False,
    mapper: Mapper | None = None,
    where: str = "this process",
) -> RunResult:
    """Run ``scenario`` for ``days`` (default: the scenario's) from ``seed``, after its
    warm-up (``run.warmup_days``, left out of the tables).

    A scenario with ``run.split = "district"`` runs as one model per district
    (sim/split.py), through ``mapper`` when given (where the parts run: here, a local
    pool, Dask; ``where`` says which, for the manifest)."""
    days = (scenario.run.days if days is None else days) + scenario.run.warmup_days
    seed = scenario.run.seed if seed is None else seed
    start = time.perf_counter()
    if scenario.run.split == "district":
        tables = run_split(scenario, days, seed, mapper, where)
        return RunResult(scenario=scenario, seed=seed_record(seed), daily=tables.daily,
                         issues=tables.issues, summary=tables.summary,
                         wall_seconds=time.perf_counter() - start,
                         peak_rss_mb=peak_rss_mb(), extra=tables.extra)
    model = GovernanceModel(scenario, rng=seed)
    if progress:
        from tqdm import tqdm

        # The bar appears only if the run takes more than two seconds.
        with tqdm(total=days, unit="day", desc=scenario.name, leave=False,
                  mininterval=0.5, delay=2.0) as bar:
            for _ in range(days):
                model.step()
                bar.update(1)
    else:
        model.run(days)
    daily = model.daily_frame()
    issues = model.issues_frame()
    summary = model.summary()
    wall = time.perf_counter() - start
    return RunResult(scenario=scenario, seed=seed_record(seed), daily=daily, issues=issues,
                     summary=summary, wall_seconds=wall, peak_rss_mb=peak_rss_mb())


def write_run(result: RunResult, out_dir: str | Path) -> Path:
    """Write a run's tables to ``out_dir`` atomically: all files or none.

    Files are written into a temporary sibling folder, which is then renamed into
    place; an existing ``out_dir`` is replaced only after the new one is complete, and
    only if it is an earlier run folder (or empty): see :mod:`sim.outputs`.
    """
    from sim.outputs import resolve_output, staged_folder

    # Never replace what is not a run folder (a user's folder, a batch's results).
    out = resolve_output(out_dir, "run", default=None, origin=str(out_dir))
    with staged_folder(out) as tmp:
        write_parquet(result.daily, tmp / "daily.parquet")
        write_parquet(result.issues, tmp / "issues.parquet")
        _write_text(tmp / "summary.json", json.dumps(_jsonable(result.summary), indent=2))
        _write_text(tmp / "scenario.toml", result.scenario.to_toml())
        _write_text(tmp / "manifest.json", json.dumps(manifest(result), indent=2))
    return out


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """A table to Parquet in this thread (pandas' default starts a thread pool per call,
    which costs more than converting a run's tables)."""
    table = pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)
    pq.write_table(table, path)


def manifest(result: RunResult) -> dict[str, Any]:
    return {
        "govsim": __version__,
        "scenario": result.scenario.name,
        "seed": result.seed,
        "days": len(result.daily),
        "wall_seconds": round(result.wall_seconds, 3),
        "peak_rss_mb": round(result.peak_rss_mb, 1),
        "git_revision": git_revision(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": dict(package_versions()),
        **result.extra,
    }


@functools.cache
def package_versions() -> dict[str, str]:
    names = ("mesa", "numpy", "pandas", "pyarrow", "networkx", "pydantic", "scipy")
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@functools.cache
def git_revision() -> str | None:
    """The git revision of the code that ran, if it runs from a checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in d.items()}
