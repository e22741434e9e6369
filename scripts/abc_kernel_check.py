"""Which perturbation kernel keeps ABC-SMC's importance weights even in twelve dimensions?

A cheap synthetic stand-in for ``calibration/abc_full.toml``: twelve parameters with
uniform priors on [0, 1]; seven noisy statistics that depend on five of them (a fixed
random linear map plus Gaussian noise, sd 0.3), so seven parameters are not identified
— as several of abc_full's are not. For each kernel it runs pyabc's ABC-SMC (200
particles, five generations, one process, seeded) and prints the effective sample size
(Kish) of every generation, the model runs used and the final threshold.

    python scripts/abc_kernel_check.py                      # all kernels below
    python scripts/abc_kernel_check.py mv:3 local:1         # kind:scaling ...

The figures quoted in docs/calibration.md section 3 come from this script.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyabc

DIMENSIONS = 12
IDENTIFIED = 5
STATISTICS = 7
NOISE = 0.3
POPULATION = 200
GENERATIONS = 5
DEFAULT = ["mv:1", "mv:1.5", "mv:2", "mv:3", "local:1"]

_MAP = np.random.default_rng(0).normal(size=(STATISTICS, IDENTIFIED))


def model(par: dict[str, float]) -> dict[str, float]:
    x = np.array([par[f"p{i}"] for i in range(IDENTIFIED)])
    y = _MAP @ x + np.random.normal(scale=NOISE, size=STATISTICS)
    return {f"s{k}": float(v) for k, v in enumerate(y)}


def distance(a: dict[str, float], b: dict[str, float]) -> float:
    return float(np.sqrt(sum((a[k] - b[k]) ** 2 for k in b)))


def run(kind: str, scaling: float, seed: int = 1) -> str:
    prior = pyabc.Distribution(**{f"p{i}": pyabc.RV("uniform", 0, 1)
                                  for i in range(DIMENSIONS)})
    kernel = (pyabc.LocalTransition(scaling=scaling) if kind == "local"
              else pyabc.MultivariateNormalTransition(scaling=scaling))
    observed = {f"s{k}": float(v) for k, v in enumerate(_MAP @ np.full(IDENTIFIED, 0.5))}
    np.random.seed(seed)
    abc = pyabc.ABCSMC(model, prior, distance, population_size=POPULATION,
                       transitions=kernel, sampler=pyabc.SingleCoreSampler())
    with tempfile.TemporaryDirectory() as tmp:
        abc.new(f"sqlite:///{Path(tmp) / 'abc.db'}", observed)
        start = time.perf_counter()
        history = abc.run(max_nr_populations=GENERATIONS)
        wall = time.perf_counter() - start
        ess = []
        for t in range(history.max_t + 1):
            _, w = history.get_distribution(t=t)
            ess.append(f"{w.sum() ** 2 / (w ** 2).sum():.0f}")
        eps = float(history.get_all_populations()["epsilon"].iloc[-1])
        runs = int(history.total_nr_simulations)
    return (f"| {kind} | {scaling:g} | {' · '.join(ess)} | {runs:,} | {eps:.2f} | "
            f"{wall:.0f} s |")


def main(argv: list[str]) -> int:
    logging.getLogger("ABC").setLevel(logging.ERROR)
    print(f"{DIMENSIONS} parameters ({IDENTIFIED} identified), {STATISTICS} statistics, "
          f"{POPULATION} particles, {GENERATIONS} generations; effective sample per "
          "generation (of 200)\n")
    print("| kernel | scaling | effective sample, generations 0–4 | runs | final threshold "
          "| wall |\n|---|---|---|---|---|---|")
    for arg in argv or DEFAULT:
        kind, _, scaling = arg.partition(":")
        print(run("local" if kind == "local" else "mv", float(scaling or 1)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
