"""Run an experiment: validate, skip what is done, execute the rest, combine, record.

``run_batch`` and ``run_sweep`` are the Python API; ``govsim batch`` and ``govsim sweep``
call them with the command-line flags.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import platform
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.experiments.executor import make_executor
from sim.experiments.experiment import Experiment, RunMeta, load_experiment
from sim.experiments.seeds import seed_record
from sim.experiments.spec import SpecError
from sim.experiments.store import ResultStore, read_json, write_json_atomic
from sim.outputs import default_place, resolve_output

_VERSIONED = ("govsim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "SALib", "dask",
              "distributed", "networkx", "pydantic")


@dataclass
class ExperimentResult:
    """What a batch or sweep command did."""

    out: Path
    total: int
    executed: int
    skipped: int
    failed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.missing


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape results."""
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def run_batch(spec: str | Path, **kwargs: Any) -> ExperimentResult:
    """Run a ``kind = "batch"`` spec; see :func:`run_experiment` for the options."""
    return run_experiment(spec, expect="batch", **kwargs)


def run_sweep(spec: str | Path, **kwargs: Any) -> ExperimentResult:
    """Run a ``kind = "sweep"`` spec; see :func:`run_experiment` for the options."""
    return run_experiment(spec, expect="sweep", **kwargs)


def run_experiment(
    spec: str | Path,
    *,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    quiet: bool = False,
    expect: str | None = None,
    report: bool = False,
) -> ExperimentResult:
    """Run every run of an experiment spec that is not already stored in ``out``.

    ``out`` defaults to ``results/<spec name>``; ``workers`` is the size of the local
    process pool (default: the machine's cores; 1 runs in this process); ``scheduler``
    is a Dask scheduler address (default: ``$GOVSIM_SCHEDULER``); ``force`` redoes
    runs already stored (and allows ``out`` to hold another experiment's results);
    ``report`` checks the report's place too (the caller writes the report).
    Raises ``InputError`` (before anything is written) for a bad spec or an unsafe
    ``out`` (see :mod:`sim.outputs`); failed runs are recorded and listed in the result, not raised.
    """
    start = time.perf_counter()
    exp = load_experiment(spec)
    if expect is not None and exp.kind != expect:
        raise SpecError(f"{spec}: kind: is {exp.kind!r}; use `govsim {exp.kind}` for it")
    # Where results go is settled (and refused if unsafe) before anything runs.
    default = None if out is not None else default_place(exp.name, str(spec))
    store = ResultStore(resolve_output(out, "results", default=default, origin=str(spec),
                                       experiment=(exp.name, exp.kind), force=force))
    if report:  # the report's place too, before hours of runs, not after
        resolve_output(None, "report", default=store.root / "report", origin=str(spec))
    executor = make_executor(workers, scheduler)  # a bad address fails before writing
    try:
        with _lock(store.root):
            return _run(exp, store, executor, force, quiet, start)
    finally:
        executor.close()


@contextlib.contextmanager
def _lock(root: Path) -> Iterator[None]:
    """One command at a time per results folder (released even by ``kill -9``)."""
    root.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(root / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"{root}: another govsim command is writing to this folder; "
                             "wait for it or use another --out") from None
        yield


def _run(exp: Experiment, store: ResultStore, executor: Any, force: bool, quiet: bool,
         start: float) -> ExperimentResult:
    store.prepare()
    if exp.design is not None:
        _write_design(exp, store)
    done = set() if force else {
        m.run_id for m in exp.runs if store.is_complete(m.run_id, exp.hashes[m.run_id])
    }
    todo = [m for m in exp.runs if m.run_id not in done]
    started = _now()
    write_json_atomic(store.root / "manifest.json",
                      _manifest(exp, store, executor, "running", started, None, done, {}))
    by_id = {m.run_id: m for m in exp.runs}
    statuses: dict[str, str] = {}
    bar = _progress(len(exp.runs), len(done), quiet, exp.name)
    try:
        for outcome in executor.imap(exp.tasks(todo)):
            meta = by_id[outcome.run_id]
            store.commit(meta, outcome, seed_record(exp.seeds[meta.replicate]))
            statuses[meta.run_id] = "ok" if outcome.ok else "failed"
            bar.update(1)
            if not outcome.ok:
                n_failed = sum(1 for s in statuses.values() if s == "failed")
                bar.set_postfix(failed=n_failed)
                if not quiet:
                    last = outcome.error.strip().splitlines()[-1] if outcome.error else ""
                    bar.write(f"run {meta.run_id} failed: {last}", file=sys.stderr)
    finally:
        bar.close()
    param_keys = list(exp.design.keys) if exp.design is not None else []
    table = store.combine_runs(exp.runs, exp.hashes, param_keys)
    store.combine_daily(exp.runs, exp.hashes)
    status_col = table.column("status").to_pylist()
    failed = [m.run_id for m, s in zip(exp.runs, status_col, strict=True) if s == "failed"]
    missing = [m.run_id for m, s in zip(exp.runs, status_col, strict=True) if s == "missing"]
    final = "complete" if not failed and not missing else "incomplete"
    write_json_atomic(store.root / "manifest.json",
                      _manifest(exp, store, executor, final, started, _now(), done, statuses))
    store.cleanup()
    return ExperimentResult(store.root, len(exp.runs), len(todo), len(done), failed, missing,
                            time.perf_counter() - start)


class _NoBar:
    def update(self, n: int = 1) -> None: ...
    def set_postfix(self, **kw: Any) -> None: ...
    def write(self, s: str, file: Any = None) -> None:
        print(s, file=file or sys.stderr)
    def close(self) -> None: ...


def _progress(total: int, initial: int, quiet: bool, name: str) -> Any:
    if quiet:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="run", desc=name, file=sys.stderr,
                dynamic_ncols=True, smoothing=0.1)


def _write_design(exp: Experiment, store: ResultStore) -> None:
    import pyarrow as pa

    design = exp.design
    assert design is not None
    cols: dict[str, Any] = {"point": pa.array(range(len(design)), pa.int64())}
    for j, key in enumerate(design.keys):
        cols[key] = pa.array([v[key] for v in design.values])
        if design.unit is not None:
            cols[f"unit:{key}"] = pa.array(design.unit[:, j], pa.float64())
    store._write_table_atomic(pa.table(cols), store.root / "design.parquet")


def _manifest(exp: Experiment, store: ResultStore, executor: Any, status: str, started: str,
              finished: str | None, skipped: set[str], statuses: dict[str, str]
              ) -> dict[str, Any]:
    runs = []
    for meta in exp.runs:
        runs.append(_run_entry(meta, store, exp, skipped, statuses))
    spec = exp.spec
    return {
        "experiment": exp.name,
        "kind": exp.kind,
        "status": status,
        "spec_file": str(exp.path),
        "spec": exp.raw,
        "scenario_files": exp.scenario_files,
        "reference": exp.reference,
        "outcomes": list(spec.outcomes),
        "root_seed": spec.seed,
        "replicates": spec.replicates,
        "seeds": [seed_record(s) for s in exp.seeds],
        "design": None if exp.design is None else {
            "kind": exp.design.kind, "keys": list(exp.design.keys),
            "points": len(exp.design), "problem": exp.design.problem,
            "levels": getattr(spec, "design", None) and spec.design.levels,
            "second_order": getattr(spec, "design", None) and spec.design.second_order,
        },
        "versions": versions(),
        "executor": executor.description,
        "started_at": started,
        "finished_at": finished,
        "counts": {
            "runs": len(exp.runs),
            "skipped": len(skipped),
            "executed": len(statuses),
            "ok": sum(1 for r in runs if r["status"] == "ok"),
            "failed": sum(1 for r in runs if r["status"] == "failed"),
        },
        "runs": runs,
    }


def _run_entry(meta: RunMeta, store: ResultStore, exp: Experiment, skipped: set[str],
               statuses: dict[str, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"run_id": meta.run_id, "scenario": meta.scenario,
                             "point": meta.point, "replicate": meta.replicate}
    if meta.run_id in statuses or meta.run_id in skipped:
        info = store.task_info(meta.run_id)
        if info is not None and info.get("task_hash") == exp.hashes[meta.run_id]:
            entry.update(status="ok", skipped=meta.run_id in skipped,
                         wall_seconds=info.get("wall_seconds"),
                         peak_rss_mb=info.get("peak_rss_mb"), host=info.get("host"))
        elif store.failed_file(meta.run_id).exists():
            err = read_json(store.failed_file(meta.run_id)).get("error", "")
            entry.update(status="failed", error=(err.strip().splitlines() or [""])[-1],
                         traceback_file=str(store.failed_file(meta.run_id).name))
        else:
            entry.update(status="missing")
    else:
        entry.update(status="pending")
    return entry
