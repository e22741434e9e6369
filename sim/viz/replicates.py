"""More seeds in the background: how sure the page can be about what it shows.

While the room watches one run, the same scenario (and, comparing, the same baseline)
runs again with :data:`EXTRA_SEEDS` more seeds in one background process, kept at low
priority so the page's redraws come first (2 cores: one for the page, one for this).
Each replicate records, per day, its daily frame and the headline cards' values
(``model.summary()`` after each day), so the page can show a band on the charts and an
interval on the cards at whatever day the room has reached. The extra seeds are
``SeedSequence(seed).spawn(n)``: the same seed on the page always gives the same
replicates, and the baseline and changed run of a replicate share one (paired).
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.scenario import Scenario

EXTRA_SEEDS = 8
# The band and intervals: the whole range of the seeds' values. With 9 seeds at most, a
# percentile interval would interpolate between two seeds and could leave out the run on
# screen; the range says plainly "every seed fell between these".
BAND = (0.0, 100.0)

_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


@dataclass(frozen=True)
class Replicate:
    """One extra seed: per role, the daily frame and the cards' values by day."""

    index: int
    frames: dict[str, pd.DataFrame]
    cards: dict[str, np.ndarray]  # role -> (days + 1, len(keys)); row d = after day d
    keys: tuple[str, ...] = ()  # the summary keys of the cards' columns

    def value(self, role: str, day: int, key: str) -> float:
        """A summary value of ``role`` after ``day`` (NaN if not recorded)."""
        if key not in self.keys or role not in self.cards or day >= len(self.cards[role]):
            return float("nan")
        return float(self.cards[role][day, self.keys.index(key)])


def _low_priority() -> None:
    with contextlib.suppress(OSError):
        os.nice(10)


def pool() -> ProcessPoolExecutor:
    """The one background process (spawned: the page's server has threads)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ProcessPoolExecutor(max_workers=1,
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_low_priority)
            atexit.register(_POOL.shutdown, wait=False, cancel_futures=True)
        return _POOL


def stop_pool() -> None:
    """Stop the background process (when no session is left: its memory goes back; the
    next seeds start a new one)."""
    global _POOL
    with _POOL_LOCK:
        old, _POOL = _POOL, None
    if old is not None:
        old.shutdown(wait=False, cancel_futures=True)


def run_replicate(index: int, runs: Sequence[tuple[str, Scenario]], seed: Any, days: int,
                  keys: Sequence[str]) -> Replicate:
    """Run every role with ``seed`` for ``days`` days, recording the cards each day."""
    from sim.model import GovernanceModel

    frames: dict[str, pd.DataFrame] = {}
    cards: dict[str, np.ndarray] = {}
    for role, scenario in runs:
        model = GovernanceModel(scenario, rng=seed)
        table = np.full((days + 1, len(keys)), np.nan)
        for _ in range(days):
            model.step()
            s = model.summary()
            day = int(model.day)
            if day <= days:
                table[day] = [float(s.get(k, np.nan)) for k in keys]
        frames[role] = model.daily_frame()
        cards[role] = table
    return Replicate(index, frames, cards, tuple(keys))


def extra_seeds(seed: int, n: int = EXTRA_SEEDS) -> list[np.random.SeedSequence]:
    return np.random.SeedSequence(int(seed)).spawn(n)


class Replicates:
    """The extra seeds of one page run; started once (on Play), read as they finish."""

    def __init__(self, runs: Sequence[tuple[str, Scenario]], seed: int, days: int,
                 keys: Sequence[str], n: int = EXTRA_SEEDS) -> None:
        self.runs = [(role, sc) for role, sc in runs]
        self.seed = int(seed)
        self.days = int(days)
        self.keys = tuple(keys)
        self.n = n
        self._futures: list[Future[Replicate]] = []
        self.error: str | None = None
        self.cancelled = False

    @property
    def started(self) -> bool:
        return bool(self._futures)

    def start(self) -> None:
        if self._futures or self.n <= 0:
            return
        ex = pool()
        self._futures = [ex.submit(run_replicate, i, self.runs, s, self.days, self.keys)
                         for i, s in enumerate(extra_seeds(self.seed, self.n))]

    def cancel(self) -> None:
        self.cancelled = True
        for f in self._futures:
            f.cancel()

    @property
    def finished(self) -> bool:
        """Every seed has finished (or was cancelled)."""
        return self.started and all(f.done() for f in self._futures)

    def done(self) -> list[Replicate]:
        """The replicates finished so far, in seed order."""
        out = []
        for f in self._futures:
            if f.done() and not f.cancelled():
                exc = f.exception()
                if exc is None:
                    out.append(f.result())
                else:
                    self.error = str(exc)
        return out

    def wait(self, timeout: float | None = None) -> list[Replicate]:
        for f in self._futures:
            f.result(timeout=timeout)
        return self.done()


def band(values: np.ndarray) -> tuple[float, float]:
    """The range of ``values`` (the :data:`BAND` percentiles; NaN ignored)."""
    v = values[np.isfinite(values)]
    if not len(v):
        return (float("nan"), float("nan"))
    lo, hi = np.percentile(v, BAND)
    return float(lo), float(hi)
