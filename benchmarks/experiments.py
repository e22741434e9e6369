"""Experiment runner benchmarks (run by hand; prints figures, asserts nothing).

    .venv/bin/python benchmarks/experiments.py            # everything, 3 repeats
    .venv/bin/python benchmarks/experiments.py --repeats 1 --only overhead

1. Speed-up of two workers over serial on 16 street-scale one-year runs: the local
   process pool (target >= 1.8) and Dask with two local worker processes (target >= 1.7).
   Serial is ``--workers 1`` (runs in the calling process).
2. Per-run overhead of the runner (task building, result transfer, atomic writes,
   combining, manifest) as a share of a community-scale one-year run (target < 5%).

Each figure is the median over ``--repeats`` repetitions. Wall times include everything
a user waits for (spec loading, worker start, writing and combining the tables).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SCENARIOS = ["nanjing_baseline", "staffing_22_per_10k", "burden_cut_f12", "combined_reform"]


def write_spec(path: Path, scale: str, replicates: int, days: int) -> Path:
    files = ", ".join(f'"{REPO / "scenarios" / f"{s}.toml"}"' for s in SCENARIOS)
    path.write_text(f'kind = "batch"\nname = "{path.stem}"\nseed = 99\n'
                    f"replicates = {replicates}\ndays = {days}\nscale = \"{scale}\"\n"
                    f"scenarios = [{files}]\n")
    return path


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def timed_batch(spec: Path, out: Path, **kw: object) -> tuple[float, list[float]]:
    """Wall seconds of one batch and each run's own simulate() seconds."""
    from sim.experiments import run_batch

    if out.exists():
        shutil.rmtree(out)
    start = time.perf_counter()
    res = run_batch(spec, out=out, quiet=True, **kw)
    wall = time.perf_counter() - start
    assert res.ok, res.failed
    sims = [json.loads((p / "task.json").read_text())["wall_seconds"]
            for p in (out / "runs").iterdir() if p.is_dir()]
    return wall, sims


def speedup(tmp: Path, repeats: int, days: int) -> None:
    from distributed import LocalCluster

    spec = write_spec(tmp / "street16.toml", "street", 4, days)  # 4 scenarios x 4 = 16
    serial, pool, dask = [], [], []
    for r in range(repeats):
        # The Dask cluster lives only for its own batch: its scheduler (a thread of this
        # process) and idle workers slowed the serial and pool batches by ~30% beside it.
        serial.append(timed_batch(spec, tmp / "s", workers=1)[0])
        pool.append(timed_batch(spec, tmp / "p", workers=2)[0])
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:  # started before the clock
            dask.append(timed_batch(spec, tmp / "d", scheduler=cluster.scheduler_address)[0])
        print(f"  repeat {r + 1}: serial {serial[-1]:.1f} s, pool(2) {pool[-1]:.1f} s, "
              f"dask(2) {dask[-1]:.1f} s ({load()})", flush=True)
    s, p, d = (statistics.median(x) for x in (serial, pool, dask))
    print(f"16 street-scale runs of {days} days (median of {repeats}):")
    print(f"  serial           {s:7.1f} s")
    print(f"  process pool x2  {p:7.1f} s   speed-up {s / p:.2f}  (target >= 1.8)")
    print(f"  dask 2 workers   {d:7.1f} s   speed-up {s / d:.2f}  (target >= 1.7)")


def overhead(tmp: Path, repeats: int, runs: int, days: int) -> None:
    """Marginal wall time per run beyond the run's own simulate() time.

    Two batch sizes (``runs`` and ``runs / 5``) are timed; the difference per extra run,
    less the mean simulate() time, is the per-run overhead. One-time costs (importing
    the model, starting workers, loading the spec) cancel out and are shown apart.
    """
    import numpy as np

    from sim.run import simulate, write_run
    from sim.scenario import load_scenario

    per = len(SCENARIOS)
    big = write_spec(tmp / "big.toml", "community", max(2, runs // per), days)
    small = write_spec(tmp / "small.toml", "community", max(1, runs // per // 5), days)
    shares, fixed, sim_mean, pool_shares = [], [], [], []
    for _ in range(repeats):
        wb, sb = timed_batch(big, tmp / "b", workers=1)
        ws, ss = timed_batch(small, tmp / "s", workers=1)
        marginal = (wb - ws) / (len(sb) - len(ss))
        mean_sim = (sum(sb) - sum(ss)) / (len(sb) - len(ss))
        shares.append((marginal - mean_sim) / mean_sim)
        fixed.append(ws - sum(ss) - len(ss) * (marginal - mean_sim))
        sim_mean.append(mean_sim)
        wb2, sb2 = timed_batch(big, tmp / "b2", workers=2)
        ws2, ss2 = timed_batch(small, tmp / "s2", workers=2)
        marginal2 = 2 * (wb2 - ws2) / (len(sb2) - len(ss2))
        mean2 = (sum(sb2) - sum(ss2)) / (len(sb2) - len(ss2))
        pool_shares.append((marginal2 - mean2) / mean2)
    # How much of the overhead is the model's own write_run (parquet, manifest).
    sc = load_scenario(REPO / "scenarios" / "nanjing_baseline.toml")
    res = simulate(sc, days=days, seed=np.random.SeedSequence(1))
    t = time.perf_counter()
    for i in range(10):
        write_run(res, tmp / f"w{i}")
    write_s = (time.perf_counter() - t) / 10
    m = statistics.median(sim_mean)
    print(f"per-run overhead, community-scale runs of {days} days (median of {repeats}):")
    print(f"  mean run (simulate)            {m:.3f} s")
    print(f"  serial: overhead per run       {100 * statistics.median(shares):.1f}% of a run "
          "(target < 5%)")
    print(f"    of which sim.run.write_run   {100 * write_s / m:.1f}% ({1000 * write_s:.0f} ms)")
    print(f"  process pool x2: per run       {100 * statistics.median(pool_shares):.1f}% of a "
          "run (throughput loss vs 2 x serial)")
    print(f"  one-time cost per command      {statistics.median(fixed):.2f} s "
          "(imports, spec, combine)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--overhead-runs", type=int, default=40)
    parser.add_argument("--only", choices=("speedup", "overhead"))
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="govsim-bench-") as d:
        tmp = Path(d)
        if args.only in (None, "overhead"):
            overhead(tmp, args.repeats, args.overhead_runs, args.days)
        if args.only in (None, "speedup"):
            speedup(tmp, args.repeats, args.days)


if __name__ == "__main__":
    main()
