"""The results board: the tables' submitted policies run with replicates in the
background, ranked with 95% intervals against a common reference, with their costs.

Each submission becomes a scenario file (the picked file plus the moved levers, the way
"save as scenario" writes it: :func:`sim.viz.save.scenario_toml`) named after its
table, and all of them with the reference go into one batch spec in the room's folder
(``$GOVSIM_ROOM_DIR``, default ``results/workshop_room``). The batch is ``govsim batch``
itself (:mod:`sim.experiments`), run as **one child process with one worker**, so the
page's server keeps its cores for the tables: the same replicate seeds for every table
(common random numbers), a run stored as it finishes, an unchanged policy never rerun.
The board reads the finished runs as they land and pairs them with the reference
(:func:`sim.experiments.analysis.paired_differences`); the export is ``govsim report``
on the same folder, so the planner's report lists the tables by name.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.viz.room_state import Room, Submission, room

ENV_DIR = "GOVSIM_ROOM_DIR"
ENV_REPLICATES = "GOVSIM_BOARD_REPLICATES"
ENV_DAYS = "GOVSIM_BOARD_DAYS"
ENV_REFERENCE = "GOVSIM_BOARD_REFERENCE"
ROOT_SEED = 20240601  # any fixed number: the replicate seeds every table shares
# what the board ranks by, with the better direction (+1: higher is better)
RANKED: dict[str, int] = {"on_time_share": 1, "mean_trust": 1,
                          "median_days_to_resolve": -1, "incidents": -1}
OUTCOMES = (*RANKED, "annual_cost")


def env_int(name: str, default: int, lo: int, hi: int) -> int:
    raw = os.environ.get(name, "").strip()
    value = int(raw) if raw.isdigit() else default
    return min(max(value, lo), hi)


def stem_of(table: str) -> str:
    """The scenario name a table's policy runs under (a word: spaces become ``_``)."""
    return "table_" + re.sub(r"[^\w-]", "_", table)


def table_title(table: str) -> str:
    """``Table 3``, ``Table B``; a name that already says table is kept."""
    return table if table.lower().startswith("table") else f"Table {table}"


@dataclass
class Progress:
    total: int = 0
    done: int = 0
    running: bool = False
    error: str | None = None
    report: Path | None = None
    reporting: bool = False
    runs: dict[str, tuple[str, int]] = field(default_factory=dict)  # run id -> (scn, rep)
    hashes: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)  # scenario name -> table
    reference: str = ""
    version: int = 0  # the room's submissions these runs are for


class Board:
    """The background runner and what it found (one per server)."""

    def __init__(self, the_room: Room | None = None) -> None:
        self.room = the_room or room()
        self.folder = Path(os.environ.get(ENV_DIR) or "results/workshop_room").resolve()
        self.replicates = env_int(ENV_REPLICATES, 5, 2, 50)
        self.days = env_int(ENV_DAYS, 365, 1, 3650)
        self.reference = os.environ.get(ENV_REFERENCE) or "nanjing_baseline.toml"
        self.progress = Progress()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}

    @property
    def results(self) -> Path:
        return self.folder / "results"

    def progress_now(self) -> Progress:
        """A copy of what the runner found so far (what a worker's proxy gets)."""
        return copy.copy(self.progress)

    def about(self) -> dict[str, Any]:
        return {"replicates": self.replicates, "days": self.days,
                "reference": self.reference}

    def start(self) -> None:
        """Start the runner once (the first time the board or a submission asks)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, daemon=True,
                                                name="govsim-board")
                self._thread.start()

    def _loop(self) -> None:
        done = 0
        while True:
            version = self.room.wait_version(done, 5.0)
            if version == done:
                continue
            done = version
            subs = self.room.submissions()
            try:
                spec = self.write_spec(subs)
                self.progress.version = version
                self._run(["batch", str(spec), "--out", str(self.results), "--workers", "1",
                           "--quiet"])
            except Exception as exc:  # said on the board; the next submission tries again
                self.progress.error = str(exc).strip().splitlines()[-1][:300]
                self.progress.version = version
            finally:
                self.progress.running = False

    def _run(self, args: list[str]) -> None:
        self.progress.running, self.progress.error = True, None
        proc = subprocess.run([sys.executable, "-m", "sim.experiments", *args],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError((proc.stderr or proc.stdout or "failed").strip())

    def write_spec(self, subs: list[Submission]) -> Path:
        """The policies' scenario files and the batch spec; the runs' ids and hashes for
        reading them back (the same resolution ``govsim batch`` makes)."""
        from sim.experiments.experiment import load_experiment
        from sim.viz.opening import load_picked, scenarios_root
        from sim.viz.picker import resolve_scenario
        from sim.viz.save import scenario_toml

        policies = self.folder / "policies"
        policies.mkdir(parents=True, exist_ok=True)
        root = scenarios_root()
        ref_path = resolve_scenario(self.reference, root)
        files = [os.path.relpath(ref_path, self.folder)]
        tables: dict[str, str] = {}
        for s in subs:
            stem = stem_of(s.table)
            moved = "".join(f"; {k}={v:g}" for k, v in s.levers.items())
            text = scenario_toml(s.scenario, resolve_scenario(s.scenario, root), policies,
                                 stem, s.levers, None,
                                 f"{table_title(s.table)}: {s.scenario}{moved}")
            (policies / f"{stem}.toml").write_text(text, encoding="utf-8")
            files.append(f"policies/{stem}.toml")
            tables[stem] = s.table
        ref_name = load_picked(self.reference).name
        lines = ['kind = "batch"', 'name = "workshop_room"',
                 'description = "The workshop tables\' submitted policies"',
                 f"seed = {ROOT_SEED}", f"replicates = {self.replicates}",
                 f"days = {self.days}", 'scale = "community"',
                 f"scenarios = {json.dumps(files, ensure_ascii=False)}",
                 f"reference = {json.dumps(ref_name)}",
                 f"outcomes = {json.dumps(list(OUTCOMES))}"]
        spec = self.folder / "room_batch.toml"
        spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
        exp = load_experiment(spec)
        self.progress.runs = {m.run_id: (m.scenario, m.replicate) for m in exp.runs}
        self.progress.hashes = dict(exp.hashes)
        self.progress.tables = tables
        self.progress.reference = ref_name
        self.progress.total = len(exp.runs)
        self.progress.report = None
        return spec

    def finished_runs(self) -> list[dict[str, Any]]:
        """One row per stored run of the current policies (stale ones are left out)."""
        rows = []
        for run_id, (scn, rep) in list(self.progress.runs.items()):
            digest = self.progress.hashes.get(run_id, "")
            key = (run_id, digest)
            if key not in self._cache:
                folder = self.results / "runs" / run_id
                try:
                    task = json.loads((folder / "task.json").read_text(encoding="utf-8"))
                    if task.get("task_hash") != digest:
                        continue
                    summary = json.loads((folder / "summary.json").read_text("utf-8"))
                except (OSError, ValueError):
                    continue
                self._cache[key] = {k: summary.get(k) for k in OUTCOMES}
            rows.append({"scenario": scn, "replicate": rep, "status": "ok",
                         **self._cache[key]})
        self.progress.done = len(rows)
        return rows

    def standings(self, by: str = "on_time_share") -> list[dict[str, Any]]:
        """The tables ranked by their paired difference in ``by`` (better first), each
        with its interval, its runs done and its cost; tables without a pair yet last."""
        import pandas as pd

        from sim.experiments.analysis import group_summary, paired_differences

        by = by if by in RANKED else "on_time_share"
        rows = self.finished_runs()
        subs = {stem_of(s.table): s for s in self.room.submissions()}
        out: list[dict[str, Any]] = []
        frame = pd.DataFrame(rows)
        diffs = means = pd.DataFrame()
        if not frame.empty:
            for col in OUTCOMES:
                frame[col] = pd.to_numeric(frame[col], errors="coerce")
            means = group_summary(frame, OUTCOMES)
            if (frame["scenario"] == self.progress.reference).any():
                diffs = paired_differences(frame, self.progress.reference, OUTCOMES)
        for stem, sub in subs.items():
            row: dict[str, Any] = {"table": sub.table, "submission": sub,
                                   "runs": int((frame["scenario"] == stem).sum())
                                   if not frame.empty else 0, "cost": sub.cost}
            if not means.empty:
                cost = means[(means["scenario"] == stem) & (means["outcome"] == "annual_cost")]
                if len(cost):
                    row["cost"] = float(cost["mean"].iloc[0])
            if not diffs.empty:
                d = diffs[(diffs["scenario"] == stem) & (diffs["outcome"] == by)]
                if len(d) and int(d["n_pairs"].iloc[0]) >= 2:
                    row.update(diff=float(d["mean_diff"].iloc[0]),
                               low=float(d["ci_low"].iloc[0]),
                               high=float(d["ci_high"].iloc[0]),
                               pairs=int(d["n_pairs"].iloc[0]))
            out.append(row)
        sign = RANKED[by]
        out.sort(key=lambda r: (0, -sign * r["diff"]) if "diff" in r else (1, 0.0))
        return out

    def reference_mean(self, by: str) -> dict[str, float] | None:
        rows = [r for r in self.finished_runs() if r["scenario"] == self.progress.reference]
        if len(rows) < 2:
            return None
        from sim.experiments.analysis import t_interval

        return t_interval([float(r[by]) for r in rows])

    def export(self) -> None:
        """Write the planner's report (``govsim report``) once the runs are done."""
        def work() -> None:
            self.progress.reporting = True
            try:
                while self.progress.running:
                    threading.Event().wait(1.0)
                self._run(["report", str(self.results), "--quiet"])
                self.progress.report = self.results / "report" / "report.html"
            except Exception as exc:
                self.progress.error = str(exc).strip().splitlines()[-1][:300]
            finally:
                self.progress.reporting = self.progress.running = False

        threading.Thread(target=work, daemon=True, name="govsim-board-report").start()


_BOARD: Board | None = None
_BOARD_LOCK = threading.Lock()


def board() -> Board:
    """The server's board, its runner started (in a worker of several: a proxy to the
    supervisor's, :mod:`sim.viz.room_service`)."""
    global _BOARD
    from sim.viz.room_service import shared_board

    shared = shared_board()
    if shared is not None:
        return shared
    with _BOARD_LOCK:
        if _BOARD is None:
            _BOARD = Board()
        _BOARD.start()
        return _BOARD
