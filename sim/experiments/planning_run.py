"""What running an optimise or a discover spec shares: EMA itself, its evaluator, the
results folder, its manifest and the count of cached evaluations.

:mod:`~sim.experiments.optimise` and :mod:`~sim.experiments.discover` both build on it
and neither imports the other (the import-linter contract in ``pyproject.toml`` keeps it
so).
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sim.experiments.planning_spec import Planning


def import_ema() -> Any:
    """Import ema_workbench without its notice about an optional package (ipyparallel)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ipyparallel.*")
        import ema_workbench

    return ema_workbench


def results_root(plan: Planning, out: str | Path | None, force: bool = False) -> Path:
    """The results folder, checked by govsim's one output rule (``sim.outputs``) before
    anything runs: ``results/<name>`` or ``--out``; this experiment's folder is resumed,
    another's is refused unless ``force``, a folder govsim did not write always is."""
    from sim.outputs import default_place, resolve_output

    origin = str(plan.path)
    default = default_place(plan.name, origin) if out is None else None
    return resolve_output(out, "results", default=default, origin=origin,
                          experiment=(plan.name, plan.kind), force=force)


@contextlib.contextmanager
def quiet_bars(quiet: bool) -> Iterator[None]:
    """EMA draws tqdm bars of its own (on stderr); ``--quiet`` sends them nowhere."""
    if not quiet:
        yield
        return
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
        yield


def make_evaluator(model: Any, workers: int | None) -> Any:
    """EMA's multiprocessing evaluator (``workers`` > 1) or its sequential one."""
    ema = import_ema()
    n = (os.cpu_count() or 1) if workers is None else workers
    if n <= 1:
        return ema.SequentialEvaluator(model)
    return ema.MultiprocessingEvaluator(model, n_processes=n)


def count_evaluations(cache: Path) -> int:
    """How many runs ``evaluations/`` holds (one JSON a run, in a folder a digest)."""
    return sum(1 for _ in cache.glob("*/*.json")) if cache.exists() else 0


def run_manifest(plan: Planning, status: str, started: str, finished: str | None,
             counts: dict[str, Any], versions: dict[str, str]) -> dict[str, Any]:
    """The results folder's ``manifest.json``: the spec, its status, counts and versions."""
    return {
        "experiment": plan.name,
        "kind": plan.kind,
        "status": status,
        "spec_file": str(plan.path),
        "spec": plan.raw,
        "levers": [r.key for r in plan.levers],
        "uncertainties": [r.key for r in plan.uncertainties],
        "outcomes": plan.outcomes,
        "days": plan.days,
        "started_at": started,
        "finished_at": finished,
        "counts": counts,
        "versions": {**versions, "ema_workbench": _version("ema_workbench"),
                     "platypus-opt": _version("platypus-opt")},
    }


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, default=str, allow_nan=True) + "\n",
                       encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
