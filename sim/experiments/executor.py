"""Executors: where runs happen. In-process, a local process pool, or a Dask cluster.

Every executor runs the same pure function, :func:`execute_run`, which simulates one
task and returns its result (or the traceback if it raised). Results come back to the
calling process, which alone writes them (see ``store.py``): a run is written once, by
one process, however often a lost worker made the cluster recompute it.

Tasks are submitted through a bounded window, so memory does not grow with the number
of runs.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sim.errors import InputError
from sim.experiments.experiment import RunTask

SCHEDULER_ENV = "GOVSIM_SCHEDULER"
TIMEOUT_ENV = "GOVSIM_SCHEDULER_TIMEOUT"  # seconds to wait for the scheduler (default 15)
DEFAULT_TIMEOUT = 15.0
MAX_TIMEOUT = 3600.0
SCHEMES = ("tcp", "tls")
MAX_ATTEMPTS = 3  # a run lost with its worker this many times is recorded as failed


def scheduler_timeout() -> float:
    """Seconds to wait for a scheduler's connect and handshake (``GOVSIM_SCHEDULER_TIMEOUT``)."""
    raw = os.environ.get(TIMEOUT_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (0 < value <= MAX_TIMEOUT):
        raise InputError(f"{TIMEOUT_ENV}={raw!r}: must be a number of seconds, more than 0 "
                         f"and at most {MAX_TIMEOUT:g}")
    return value


def parse_address(address: str, source: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a scheduler address; ``source`` names it in errors."""
    text = str(address).strip().rstrip("/")
    shown = f"{source} {address!r}"
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    if scheme not in SCHEMES:
        raise InputError(f"{shown}: unknown protocol {scheme!r}; allowed: "
                         "tcp://HOST:PORT or tls://HOST:PORT")
    host, colon, port = rest.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or "/" in rest or any(c.isspace() for c in rest):
        raise InputError(f"{shown}: not a scheduler address; expected tcp://HOST:PORT, "
                         "e.g. tcp://10.0.0.5:8786")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise InputError(f"{shown}: port {port!r} is not a number from 1 to 65535")
    return scheme, host, int(port)


def check_scheduler(address: str, source: str, timeout: float) -> str:
    """Connect to ``address`` and check that a Dask scheduler answers there, within
    ``timeout`` seconds in all; returns the address to use. Raises ``InputError``."""
    scheme, host, port = parse_address(address, source)
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    full = f"{scheme}://{netloc}"
    shown = f"{source} {address}"
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except socket.gaierror:
        raise InputError(f"{shown}: cannot reach a Dask scheduler there: unknown host "
                         f"{host!r}") from None
    except ConnectionRefusedError:
        raise InputError(f"{shown}: cannot reach a Dask scheduler there: nothing listens "
                         "(connection refused); start `dask scheduler` or fix the address"
                         ) from None
    except TimeoutError:
        raise InputError(f"{shown}: cannot reach a Dask scheduler there: no answer within "
                         f"{timeout:g} s (set {TIMEOUT_ENV} to wait longer)") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot reach a Dask scheduler there: "
                         f"{exc.strerror or exc}") from None
    if scheme != "tcp":  # TLS needs the cluster's certificates: the client checks it
        return full
    left = max(deadline - time.monotonic(), 0.5)
    identity = _identity(full, left)
    if not isinstance(identity, dict):
        late = time.monotonic() >= deadline - 0.05
        why = (f"no Dask handshake within {timeout:g} s; set {TIMEOUT_ENV} to wait longer"
               if late else "it does not speak Dask")
        raise InputError(f"{shown}: cannot reach a Dask scheduler there: something else "
                         f"answers ({why})")
    if identity.get("type") != "Scheduler":
        raise InputError(f"{shown}: a Dask {identity.get('type', 'process')} answers there, "
                         "not a scheduler; give the scheduler's address")
    return full


def _identity(address: str, timeout: float) -> Any:
    """The ``identity`` reply of the Dask server at ``address``, or ``None`` (bounded)."""
    import asyncio
    import threading

    from distributed.comm import connect

    async def probe() -> Any:
        comm = await connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    box: dict[str, Any] = {}

    def target() -> None:  # its own thread and loop: works under a running event loop too
        try:
            box["reply"] = asyncio.run(asyncio.wait_for(probe(), timeout))
        except Exception:  # a refused, garbled or silent answer: not a scheduler
            box["reply"] = None

    with _quiet_dask():
        thread = threading.Thread(target=target, name="govsim-scheduler-probe", daemon=True)
        thread.start()
        thread.join(timeout + 2.0)
    return box.get("reply")


@contextlib.contextmanager
def _quiet_dask() -> Iterator[None]:
    """Silence distributed's connection-failure logging while probing (one line, not ten)."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


@dataclass
class RunOutcome:
    """What came back from one run: a result, or the error it raised."""

    run_id: str
    task_hash: str
    result: Any | None
    error: str | None
    wall_seconds: float
    host: str
    pid: int

    @property
    def ok(self) -> bool:
        return self.error is None


def execute_run(task: RunTask) -> RunOutcome:
    """Simulate one task. Pure: the same task gives the same result anywhere."""
    start = time.perf_counter()
    try:
        import numpy as np

        from sim.run import simulate

        # A fresh copy: spawning children from a SeedSequence changes it, and replicate
        # k's stream must be the same object state in every run that uses it.
        s = task.seed
        seed = np.random.SeedSequence(s.entropy, spawn_key=s.spawn_key, pool_size=s.pool_size)
        result = simulate(task.scenario, days=task.days, seed=seed)
        error = None
    except Exception:  # recorded, not raised: the other runs go on
        result, error = None, traceback.format_exc()
    return RunOutcome(task.run_id, task.task_hash, result, error,
                      time.perf_counter() - start, socket.gethostname(), os.getpid())


def _lost(task: RunTask, why: str) -> RunOutcome:
    return RunOutcome(task.run_id, task.task_hash, None, why, 0.0, socket.gethostname(), 0)


class Executor:
    """Runs tasks and yields outcomes as they finish (in any order)."""

    description = "executor"

    def imap(self, tasks: Iterable[RunTask]) -> Iterator[RunOutcome]:
        raise NotImplementedError

    def map_ordered(self, fn: Callable[[Any], Any], items: list[Any],
                    done: Callable[[], None] = lambda: None) -> list[Any]:
        """``[fn(x) for x in items]``, in order, computed where this executor computes
        (``fn`` and the items must pickle, except in this process); ``done()`` after
        each one finishes. For work that is not a run (a split run's parts)."""
        out = []
        for x in items:
            out.append(fn(x))
            done()
        return out

    def close(self) -> None:
        """Release workers or connections."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Runs every task in this process, one after another."""

    description = "serial (this process)"

    def imap(self, tasks: Iterable[RunTask]) -> Iterator[RunOutcome]:
        for task in tasks:
            yield execute_run(task)


class PoolExecutor(Executor):
    """A local pool of worker processes.

    Workers are forked from a fork server that has already imported the model (so no
    thread state of this process is forked, and each worker starts in milliseconds
    rather than re-importing everything).
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.description = f"process pool ({workers} workers)"
        self._pool: Any = None

    def _new_pool(self) -> Any:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if "forkserver" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["sim.experiments.executor", "sim.run"])
        else:  # pragma: no cover - Windows
            ctx = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(self.workers, mp_context=ctx)

    def imap(self, tasks: Iterable[RunTask]) -> Iterator[RunOutcome]:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        it = iter(tasks)
        window = 2 * self.workers
        pending: dict[Any, RunTask] = {}
        retry: list[RunTask] = []
        attempts: dict[str, int] = {}
        self._pool = self._pool or self._new_pool()
        exhausted = False
        while True:
            while len(pending) < window and (retry or not exhausted):
                if retry:
                    task = retry.pop()
                else:
                    task = next(it, None)
                    if task is None:
                        exhausted = True
                        break
                try:
                    pending[self._pool.submit(execute_run, task)] = task
                except BrokenProcessPool:
                    retry.append(task)
                    break
            if not pending:
                if retry:
                    self._restart()
                    continue
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                task = pending.pop(fut)
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    broken = True
                    attempts[task.run_id] = attempts.get(task.run_id, 0) + 1
                    if attempts[task.run_id] >= MAX_ATTEMPTS:
                        yield _lost(task, "worker process died "
                                    f"{MAX_ATTEMPTS} times while running this run")
                    else:
                        retry.append(task)
            if broken:
                # Every pending future of a broken pool fails too: run them again.
                for fut, task in list(pending.items()):
                    pending.pop(fut)
                    attempts[task.run_id] = attempts.get(task.run_id, 0) + 1
                    retry.append(task)
                self._restart()

    def map_ordered(self, fn: Callable[[Any], Any], items: list[Any],
                    done: Callable[[], None] = lambda: None) -> list[Any]:
        # A pool of its own for these: its fork server has imported sim.run (and so
        # sim.split), and the runs' pool is left as it was.
        with self._new_pool() as pool:
            futures = [pool.submit(fn, x) for x in items]
            for fut in futures:
                fut.result()
                done()
            return [fut.result() for fut in futures]

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(Executor):
    """A Dask distributed cluster, reached through its scheduler's address.

    Tasks are submitted with deterministic keys (``pure``); when a worker dies the
    scheduler recomputes what it held, and a run whose result never arrives (the
    scheduler gave up on it) is submitted again under a new key, up to
    ``MAX_ATTEMPTS`` times.
    """

    def __init__(self, address: str, window: int | None = None,
                 source: str = "--scheduler") -> None:
        timeout = scheduler_timeout()
        address = check_scheduler(address, source, timeout)
        try:
            import dask
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise InputError(f"{source} {address}: dask.distributed is not installed "
                             f"({exc})") from None
        try:
            with _quiet_dask(), dask.config.set({"distributed.comm.timeouts.connect":
                                                 f"{timeout}s"}):
                self.client = Client(address, timeout=f"{timeout}s", set_as_default=False)
        except Exception as exc:  # any failure to connect is about the address
            raise InputError(f"{source} {address}: the Dask scheduler there did not accept "
                             f"a client within {timeout:g} s ({exc})") from None
        self.address = address
        self.window = window
        self.description = f"dask ({address})"

    def imap(self, tasks: Iterable[RunTask]) -> Iterator[RunOutcome]:
        from distributed import as_completed

        it = iter(tasks)
        checked = [0.0, 8]  # when the window was last sized, and the window

        def window() -> int:
            # Clusters grow and shrink (dask-jobqueue, adaptive): resize every 5 s.
            if self.window:
                return self.window
            if time.monotonic() - checked[0] > 5.0:
                nthreads = sum(self.client.nthreads().values())
                checked[:] = [time.monotonic(), max(8, 4 * nthreads)]
            return int(checked[1])
        pending: dict[str, RunTask] = {}
        attempts: dict[str, int] = {}
        fresh: list[Any] = []  # submitted, not yet handed to as_completed
        ac: Any = None

        def submit(task: RunTask) -> None:
            n = attempts.get(task.run_id, 0)
            key = f"govsim-{task.run_id}-{task.task_hash[:12]}" + (f"-retry{n}" if n else "")
            fut = self.client.submit(execute_run, task, key=key, pure=True)
            pending[fut.key] = task
            fresh.append(fut)

        exhausted = False
        while True:
            while not exhausted and len(pending) < window():
                task = next(it, None)
                if task is None:
                    exhausted = True
                else:
                    submit(task)
            if not pending:
                return
            if ac is None:
                ac = as_completed(fresh, loop=self.client.loop, with_results=False)
            else:
                ac.update(fresh)
            fresh.clear()
            fut = next(ac)
            task = pending.pop(fut.key)
            try:
                outcome = fut.result()
            except Exception as exc:  # KilledWorker, CancelledError, lost data
                attempts[task.run_id] = attempts.get(task.run_id, 0) + 1
                if attempts[task.run_id] >= MAX_ATTEMPTS:
                    outcome = _lost(task, f"run lost on the Dask cluster {MAX_ATTEMPTS} "
                                    f"times; last: {type(exc).__name__}: {exc}")
                else:
                    submit(task)
                    outcome = None
            finally:
                fut.release()
            if outcome is not None:
                yield outcome

    def map_ordered(self, fn: Callable[[Any], Any], items: list[Any],
                    done: Callable[[], None] = lambda: None) -> list[Any]:
        from distributed import as_completed

        token = f"{os.getpid()}-{time.time_ns()}"  # not pure: each call computes anew
        futures = self.client.map(fn, items, key=[f"govsim-part-{token}-{k}"
                                                  for k in range(len(items))], pure=False)
        for _ in as_completed(futures, loop=self.client.loop):
            done()
        return self.client.gather(futures)

    def close(self) -> None:
        self.client.close()


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor for the given flags: a Dask scheduler address wins, then ``workers``.

    ``scheduler`` falls back to the ``GOVSIM_SCHEDULER`` environment variable; ``workers``
    defaults to the machine's cores; ``workers == 1`` runs in this process.
    """
    source = "--scheduler"
    if scheduler is None:
        scheduler, source = os.environ.get(SCHEDULER_ENV) or None, SCHEDULER_ENV
    if scheduler is not None:
        return DaskExecutor(scheduler, source=source)
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1:
        raise InputError(f"--workers {workers}: must be at least 1")
    if workers == 1:
        return SerialExecutor()
    return PoolExecutor(workers)


@contextlib.contextmanager
def part_mapper(workers: int | None = None, scheduler: str | None = None,
                progress: bool = False) -> Iterator[tuple[Any, str]]:
    """Where a split run's parts run (``sim.split``): ``(mapper, description)``, with
    ``mapper(fn, tasks)`` returning ``[fn(t) for t in tasks]`` in order — computed here
    (``workers == 1``), in a local pool of ``workers`` processes, or on the Dask
    scheduler at ``scheduler``. The results do not depend on which."""
    executor = make_executor(workers, scheduler)
    bar_of = _bar(progress)
    try:
        def mapper(fn: Any, tasks: list[Any]) -> list[Any]:
            with bar_of(len(tasks)) as bar:
                return executor.map_ordered(fn, tasks, done=lambda: bar.update(1))

        yield mapper, executor.description
    finally:
        executor.close()


def _bar(progress: bool) -> Any:
    """A progress bar over parts (shown only after two seconds), or none."""
    def bar(total: int) -> Any:
        if progress:
            from tqdm import tqdm

            return tqdm(total=total, unit="district", desc="districts", leave=False,
                        mininterval=0.5, delay=2.0)
        return contextlib.nullcontext(_NoBar())
    return bar


class _NoBar:
    def update(self, n: int) -> None:
        """No bar to move."""
