"""Experiments: scenario batches, parameter sweeps, Dask beyond one machine, reports.

The Python API is the same functions the command line calls::

    from sim.experiments import run_batch, run_sweep, make_report
    res = run_batch("experiments/quickstart.toml", out="results/quickstart", workers=2)
    make_report("results/quickstart")

Heavy modules (dask, matplotlib, SALib) load only when a function needs them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_experiment", "make_report", "run_batch", "run_experiment", "run_sweep"]


def __getattr__(name: str) -> Any:
    if name in ("run_batch", "run_sweep", "run_experiment"):
        from sim.experiments import runner

        return getattr(runner, name)
    if name == "load_experiment":
        from sim.experiments.experiment import load_experiment

        return load_experiment
    if name == "make_report":
        from sim.experiments.report import make_report

        return make_report
    raise AttributeError(name)
