"""``govsim calibrate SPEC``: ABC-SMC, then the fit check, the calibrated scenario and
the bilingual fit report. The Python API is :func:`calibrate`.

Outputs in ``out`` (default ``results/calibration/<name>``): ``abc.db`` (pyabc's
history; a stopped run resumes from it), ``posterior.parquet`` (samples and weights:
what ``posterior = ...`` in an experiment spec reads), ``posterior_summary.csv``,
``fit.csv``, ``point_candidates.csv`` (with ``point = "best"``), ``report.md`` /
``report.html`` with ``posterior.png`` and ``fit.png``, the
calibrated scenario (``calibrated_baseline.toml``, and ``scenario_out`` if the spec
names one) and ``manifest.json``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.calibration.abc import build_model, run_abc
from sim.calibration.point import choose_point
from sim.calibration.posterior import write_posterior
from sim.calibration.report import (
    check_fit,
    posterior_table,
    write_calibrated_scenario,
    write_report,
)
from sim.calibration.spec import read_calibration


@dataclass
class CalibrationResult:
    out: Path
    generations: int
    resumed_from: int
    evaluations: int
    posterior: pd.DataFrame
    table: pd.DataFrame
    fit: pd.DataFrame
    scenario: Path
    report: Path
    wall_seconds: float
    point_how: str


def calibrate(spec: str | Path, *, out: str | Path | None = None, workers: int | None = None,
              scheduler: str | None = None, force: bool = False, quiet: bool = False,
              targets_from: list[str] | None = None) -> CalibrationResult:
    """Run (or resume) a calibration spec and write its outputs; ``targets_from`` adds
    targets from exports' fit.json (``govsim fit-orders``)."""
    start = time.perf_counter()
    cal = read_calibration(spec, targets_from)
    targets = cal.targets()
    root = Path(out) if out is not None else Path("results") / "calibration" / cal.name
    res = run_abc(cal, root, workers=workers, scheduler=scheduler, force=force, quiet=quiet)
    write_posterior(res.posterior, root / "posterior.parquet")
    table = posterior_table(cal, res.posterior)
    table.to_csv(root / "posterior_summary.csv", index=False)
    model = build_model(cal, targets)
    # the point's re-runs use local processes, with --scheduler too (default: every core)
    point = choose_point(cal, model, res.posterior, res.distances, table, workers=workers,
                         quiet=quiet)
    if not point.candidates.empty:
        point.candidates.to_csv(root / "point_candidates.csv", index=False)
    fit = check_fit(cal, model, targets, res.posterior, point=point.values, quiet=quiet)
    fit.to_csv(root / "fit.csv", index=False)
    scenario = write_calibrated_scenario(cal, table, point, root / "calibrated_baseline.toml",
                                         root, fit)
    if cal.spec.scenario_out:
        scenario = write_calibrated_scenario(cal, table, point,
                                             cal.path.parent / cal.spec.scenario_out, root, fit)
    w = res.posterior["weight"].to_numpy(dtype=float)
    ess = float(w.sum() ** 2 / (w ** 2).sum())  # Kish's effective sample size
    info: dict[str, Any] = {"generations": res.generations, "evaluations": res.evaluations,
                            "effective_sample_size": ess,
                            "epsilon": res.epsilons[-1] if res.epsilons else float("nan"),
                            "posterior": res.posterior, "point": point}
    report = write_report(cal, fit, table, root, info)
    wall = time.perf_counter() - start
    manifest = {"calibration": cal.name, "spec_file": str(cal.path), "spec": cal.raw,
                "digest": cal.digest(), "generations": res.generations,
                "resumed_from_generation": res.resumed_from, "evaluations": res.evaluations,
                "epsilons": res.epsilons, "effective_sample_size": round(ess, 1),
                "point": point.how, "point_values": point.values,
                "wall_seconds": round(wall, 1),
                "scenario": str(scenario)}
    tmp = root / ".manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    tmp.replace(root / "manifest.json")
    return CalibrationResult(root, res.generations, res.resumed_from, res.evaluations,
                             res.posterior, table, fit, scenario, report, wall, point.how)
