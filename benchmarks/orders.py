"""Benchmark: read and fit a generated 12345-shaped export (default 1 M rows).

    .venv/bin/python benchmarks/orders.py [ROWS]

Prints the seconds to read + clean + fit, the peak resident memory and the load
average (on a shared machine the time says little without it). The target is 1 M rows
in <= 60 s and <= 2 GB (issue 19). Generating the export is not timed.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def main(rows: int) -> None:
    from sim.orders.pipeline import fit_exports
    from sim.orders.synth import generate
    from sim.scenario import DEFAULT_CATEGORIES

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders_12345.csv"
        t = time.perf_counter()
        generate(rows, seed=1, mu=1.5, sigma=1.0, days=365).to_csv(
            path, index=False, encoding="gbk")
        made = time.perf_counter() - t
        size = path.stat().st_size / 2**20
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.perf_counter()
        fit = fit_exports([str(path)], categories=list(DEFAULT_CATEGORIES)).fit
        seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()
    print(f"rows {rows:,} (GBK CSV, {size:.0f} MB, generated in {made:.1f} s, not timed)")
    print(f"read + clean + fit: {seconds:.1f} s; rows used {fit['rows_used']:,}")
    print(f"peak memory: {peak:.0f} MB (before reading: {before:.0f} MB)")
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
