"""The results folder of an experiment, written atomically and combined by streaming.

Layout of ``results/<name>/``::

    manifest.json              spec, seeds, versions, every run's status and timing
    runs.parquet               one row per run: ids, design values, status, outcomes
    daily.parquet              every run's daily table, with run_id (and scenario, ...)
    design.parquet             sweeps: the design points (unit sample and values)
    runs/<run_id>/             one run: daily.parquet, issues.parquet, summary.json,
                               scenario.toml, manifest.json (the model's), task.json
    runs/<run_id>.failed.json  a run that raised: its traceback
    .tmp/                      staging area; never read, cleaned on every start

A run folder appears only complete (written in ``.tmp/`` then renamed), so an
interrupted command leaves no partial run, and the next one skips every run whose
``task.json`` carries the same task digest.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiments.experiment import RunMeta

TASK_FILE = "task.json"
ID_COLUMNS = ("run_id", "scenario", "point", "replicate")
ROW_GROUP_ROWS = 32_768


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set | tuple):
        return list(obj)
    return str(obj)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` through a temporary file and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, default=_json_default, allow_nan=True)
                       + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_json(path: Path) -> Any:
    """Read a JSON file (``NaN`` allowed)."""
    return json.loads(path.read_text(encoding="utf-8"))


class ResultStore:
    """The results folder of one experiment."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.tmp_dir = self.root / ".tmp"

    # -- layout ------------------------------------------------------------------------
    def prepare(self) -> None:
        """Create the folders and clear what an interrupted command left in staging."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        if self.tmp_dir.exists():
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def cleanup(self) -> None:
        """Remove the staging folder."""
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def failed_file(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.failed.json"

    # -- runs --------------------------------------------------------------------------
    def task_info(self, run_id: str) -> dict[str, Any] | None:
        """The ``task.json`` of a complete run, or ``None``."""
        path = self.run_dir(run_id) / TASK_FILE
        try:
            return read_json(path)
        except (OSError, ValueError):
            return None

    def is_complete(self, run_id: str, task_hash: str) -> bool:
        """Whether a run with this exact task is already stored."""
        info = self.task_info(run_id)
        return info is not None and info.get("task_hash") == task_hash

    def commit(self, meta: RunMeta, outcome: Any, seed: dict[str, Any]) -> None:
        """Store one outcome: the run folder (atomically) or its failure record."""
        # What identifies the run, in its failure record and in its task.json alike.
        ident = {
            "run_id": meta.run_id,
            "task_hash": outcome.task_hash,
            "scenario": meta.scenario,
            "point": meta.point,
            "replicate": meta.replicate,
            "params": meta.params,
            "seed": seed,
        }
        if not outcome.ok:
            write_json_atomic(self.failed_file(meta.run_id),
                              {**ident, "host": outcome.host, "error": outcome.error})
            return
        from sim.run import write_run

        staging = self.tmp_dir / f"{meta.run_id}-{uuid.uuid4().hex}"
        write_run(outcome.result, staging)
        res = outcome.result
        info = {
            **ident,
            "wall_seconds": float(getattr(res, "wall_seconds", outcome.wall_seconds)),
            "task_seconds": outcome.wall_seconds,
            "peak_rss_mb": float(getattr(res, "peak_rss_mb", math.nan)),
            "host": outcome.host,
            "pid": outcome.pid,
        }
        (staging / TASK_FILE).write_text(
            json.dumps(info, indent=2, default=_json_default) + "\n", encoding="utf-8"
        )
        final = self.run_dir(meta.run_id)
        if final.exists():  # a stale run (another task digest) or --force: replace it
            trash = self.tmp_dir / f"old-{meta.run_id}-{uuid.uuid4().hex}"
            os.rename(final, trash)
            shutil.rmtree(trash, ignore_errors=True)
        os.rename(staging, final)
        self.failed_file(meta.run_id).unlink(missing_ok=True)

    # -- combined tables ---------------------------------------------------------------
    def combine_runs(self, runs: Iterable[RunMeta], hashes: dict[str, str],
                     param_keys: Iterable[str] = ()) -> pa.Table:
        """Write ``runs.parquet``: one row per run, in the experiment's run order."""
        param_keys = list(param_keys)
        rows: list[dict[str, Any]] = []
        outcome_keys: dict[str, None] = {}
        for meta in runs:
            row: dict[str, Any] = {
                "run_id": meta.run_id,
                "scenario": meta.scenario,
                "point": meta.point if meta.point is not None else -1,
                "replicate": meta.replicate,
            }
            for key in param_keys:
                row[key] = meta.params.get(key)
            summary: dict[str, Any] = {}
            if self.is_complete(meta.run_id, hashes[meta.run_id]):
                row["status"] = "ok"
                summary = read_json(self.run_dir(meta.run_id) / "summary.json")
            elif self.failed_file(meta.run_id).exists():
                row["status"] = "failed"
            else:
                row["status"] = "missing"
            for key, value in summary.items():
                if isinstance(value, int | float) or value is None:
                    outcome_keys.setdefault(key, None)
                    row[key] = math.nan if value is None else float(value)
            rows.append(row)
        columns: dict[str, list[Any]] = {c: [r[c] for r in rows] for c in ID_COLUMNS}
        arrays: dict[str, pa.Array] = {
            "run_id": pa.array(columns["run_id"], pa.string()),
            "scenario": pa.array(columns["scenario"], pa.string()),
            "point": pa.array(columns["point"], pa.int64()),
            "replicate": pa.array(columns["replicate"], pa.int64()),
        }
        for key in param_keys:
            arrays[key] = pa.array([r.get(key) for r in rows])
        arrays["status"] = pa.array([r["status"] for r in rows], pa.string())
        for key in outcome_keys:
            arrays[key] = pa.array([r.get(key, math.nan) for r in rows], pa.float64())
        table = pa.table(arrays)
        self._write_table_atomic(table, self.root / "runs.parquet")
        return table

    def combine_daily(self, runs: Iterable[RunMeta], hashes: dict[str, str]) -> int:
        """Write ``daily.parquet`` by streaming run files one at a time; returns rows."""
        complete = [m for m in runs if self.is_complete(m.run_id, hashes[m.run_id])]
        schema = self._daily_schema(complete)
        target = self.root / "daily.parquet"
        tmp = target.with_name(f".daily.parquet.{uuid.uuid4().hex}.tmp")
        rows = 0
        buffered: list[pa.Table] = []
        buffered_rows = 0
        try:
            with pq.ParquetWriter(tmp, schema) as writer:
                for meta in complete:
                    table = pq.read_table(self.run_dir(meta.run_id) / "daily.parquet")
                    n = table.num_rows
                    ids = {
                        "run_id": pa.array([meta.run_id] * n, pa.string()),
                        "scenario": pa.array([meta.scenario] * n, pa.string()),
                        "point": pa.array([meta.point if meta.point is not None else -1] * n,
                                          pa.int64()),
                        "replicate": pa.array([meta.replicate] * n, pa.int64()),
                    }
                    cols = []
                    for f in schema:
                        if f.name in ids:
                            cols.append(ids[f.name])
                        elif f.name in table.column_names:
                            cols.append(table.column(f.name).cast(f.type))
                        else:
                            cols.append(pa.nulls(n, f.type))
                    buffered.append(pa.Table.from_arrays(cols, schema=schema))
                    buffered_rows += n
                    rows += n
                    # Row groups of ~32k rows: few enough to read fast, small in memory.
                    if buffered_rows >= ROW_GROUP_ROWS:
                        writer.write_table(pa.concat_tables(buffered))
                        buffered, buffered_rows = [], 0
                if buffered:
                    writer.write_table(pa.concat_tables(buffered))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return rows

    def _daily_schema(self, complete: list[RunMeta]) -> pa.Schema:
        fields: dict[str, pa.DataType] = {
            "run_id": pa.string(), "scenario": pa.string(),
            "point": pa.int64(), "replicate": pa.int64(),
        }
        for meta in complete:
            schema = pq.read_schema(self.run_dir(meta.run_id) / "daily.parquet")
            for f in schema:
                if f.name.startswith("__index_level"):
                    continue
                old = fields.get(f.name)
                if old is None:
                    fields[f.name] = f.type
                elif old != f.type:
                    numeric = (pa.types.is_integer(old) or pa.types.is_floating(old)) and (
                        pa.types.is_integer(f.type) or pa.types.is_floating(f.type))
                    fields[f.name] = pa.float64() if numeric else pa.string()
        return pa.schema([pa.field(k, v) for k, v in fields.items()])

    def _write_table_atomic(self, table: pa.Table, target: Path) -> None:
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
