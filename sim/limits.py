"""Size limits checked before any work starts: a scenario's memory, an experiment's runs.

A scenario whose estimated memory exceeds this machine's, or a design with an absurd
number of runs, is refused up front with the number and how to override it, instead
of dying with ``MemoryError`` or hanging after the work has begun. Overrides, for those
who really mean it (e.g. a bigger cluster node than the machine validating the file):

* ``GOVSIM_MEMORY_LIMIT_GB``: memory a run may use (default: this machine's total);
* ``GOVSIM_MAX_RUNS``: runs one batch or sweep may plan (default 1,000,000).
"""

from __future__ import annotations

import functools
import math
import os

from sim.errors import InputError

MEMORY_ENV = "GOVSIM_MEMORY_LIMIT_GB"
RUNS_ENV = "GOVSIM_MAX_RUNS"
MAX_RUNS = 1_000_000
MAX_EXTENDS = 32  # files in one ``extends`` chain

# Peak memory of one run, measured here (Mesa 3.5.1, Python 3.12, November 2026) with
# `govsim run` of the baseline for a year: 7,620 residents 201 MB, 91,440 (street scale)
# 266 MB, 365,760 (street, 30,000 per community) 452 MB; 30 days of an earlier model at
# that size 431 MB. So about 190 MB of code and libraries, ~620 bytes per resident (a
# Mesa agent each, households, ties) and ~60 bytes per resident-year of issue records;
# rounded up (the estimate is ~9% high at 365,760 residents).
BASE_BYTES = 200e6
BYTES_PER_RESIDENT = 700.0
BYTES_PER_RESIDENT_YEAR = 100.0
# Planning a run (its id, design values, validated point, task digest) before any run
# starts, measured with an LHS sweep of 4,000 points x 5 replicates: ~3.6 kB and ~170 us
# per run. So 1,000,000 runs take about 4 GB and 3 minutes to plan.
BYTES_PER_PLANNED_RUN = 4096.0


@functools.cache
def machine_memory() -> int:
    """Total physical memory of this machine, in bytes."""
    import psutil

    return int(psutil.virtual_memory().total)


def memory_limit() -> tuple[float, str]:
    """Bytes a run may use, and where that figure comes from (for messages)."""
    raw = os.environ.get(MEMORY_ENV)
    if raw is None or not raw.strip():
        return float(machine_memory()), "this machine's memory"
    try:
        gb = float(raw)
    except ValueError:
        gb = math.nan
    if not math.isfinite(gb) or gb <= 0:
        raise InputError(f"{MEMORY_ENV}={raw!r}: must be a number of gigabytes > 0")
    return gb * 1e9, MEMORY_ENV


def run_limit() -> int:
    """Runs one experiment may plan (``GOVSIM_MAX_RUNS``, default 1,000,000)."""
    raw = os.environ.get(RUNS_ENV)
    if raw is None or not raw.strip():
        return MAX_RUNS
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(f"{RUNS_ENV}={raw!r}: must be a whole number >= 1")
    return value


def run_memory(residents: int, days: int) -> float:
    """Estimated peak memory of one run, in bytes."""
    return BASE_BYTES + residents * (BYTES_PER_RESIDENT + BYTES_PER_RESIDENT_YEAR * days / 365)


def gb(nbytes: float) -> str:
    """Bytes as gigabytes for a message."""
    return f"{nbytes / 1e9:,.1f} GB"


def check_run_memory(residents: int, days: int, origin: str) -> None:
    """Refuse a scenario whose run would need more memory than allowed."""
    need = run_memory(residents, days)
    limit, source = memory_limit()
    if need > limit:
        raise InputError(
            f"{origin}: layout: {residents:,} residents (communities x "
            f"residents_per_community) need about {gb(need)} of memory, more than "
            f"{source} ({gb(limit)}); use a smaller layout, or set {MEMORY_ENV} to "
            "allow it if it is really meant")


def check_run_count(points: int, replicates: int, origin: str, key: str) -> None:
    """Refuse an experiment with more runs than allowed, or too many to plan in memory."""
    runs = points * replicates
    limit = run_limit()
    what = f"{points:,} {'points' if key.startswith('design') else 'scenarios'} x " \
           f"{replicates:,} replicates = {runs:,} runs"
    if runs > limit:
        raise InputError(f"{origin}: {key}: {what}, more than the limit of {limit:,}; "
                         f"use fewer, or set {RUNS_ENV} to allow it if it is really meant")
    need = runs * BYTES_PER_PLANNED_RUN
    mem, source = memory_limit()
    if need > mem / 2:
        raise InputError(f"{origin}: {key}: {what} need about {gb(need)} of memory to plan, "
                         f"more than half of {source} ({gb(mem)}); use fewer runs")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    except ImportError:  # not on POSIX
        import psutil

        return psutil.Process().memory_info().rss / 2**20
