"""A real Dask cluster on 127.0.0.1: same tables as local; a killed worker loses nothing."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from experiments_fixtures import (
    batch_spec,
    complete_runs,
    dask_cluster,
    free_port,
    kill_group,
)

from sim.errors import InputError
from sim.experiments import run_batch


def _bytes(out: Path) -> dict[str, bytes]:
    return {n: (out / n).read_bytes() for n in ("runs.parquet", "daily.parquet")}


@pytest.mark.dask
@pytest.mark.slow
def test_dask_cluster_matches_local_and_survives_a_killed_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = batch_spec(tmp_path / "d.toml", ["nanjing_baseline", "burden_cut_f12"],
                      replicates=6, days=90)
    local = tmp_path / "local"
    assert run_batch(spec, out=local, workers=1, quiet=True).ok

    with dask_cluster(tmp_path) as (address, workers):
        # 1. Through the scheduler (given by the environment variable, as on a cluster).
        monkeypatch.setenv("GOVSIM_SCHEDULER", address)
        res = run_batch(spec, out=tmp_path / "dask", quiet=True)
        monkeypatch.delenv("GOVSIM_SCHEDULER")
        assert res.ok and res.executed == 12
        assert _bytes(tmp_path / "dask") == _bytes(local)
        man = json.loads((tmp_path / "dask" / "manifest.json").read_text())
        assert man["executor"] == f"dask ({address})"
        assert len({r["host"] for r in man["runs"]}) >= 1

        # 2. Kill one worker (SIGKILL, nanny and all) while runs are in flight.
        out = tmp_path / "killed"
        killed_at: list[int] = []

        def killer() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                n = len(complete_runs(out))
                if n >= 2:
                    kill_group(workers[0])
                    killed_at.append(n)
                    return
                time.sleep(0.02)

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        res = run_batch(spec, out=out, scheduler=address, quiet=True)
        thread.join(timeout=5)
        assert killed_at and killed_at[0] < 12, "the worker was not killed mid-batch"
        assert workers[0].poll() is not None
        assert res.ok and res.executed == 12 and not res.failed
        runs = pd.read_parquet(out / "runs.parquet")
        assert runs["run_id"].is_unique and len(runs) == 12
        assert (runs["status"] == "ok").all()
        assert complete_runs(out) == sorted(runs["run_id"])
        assert _bytes(out) == _bytes(local)


@pytest.mark.dask
def test_unreachable_scheduler_is_bad_input_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVSIM_SCHEDULER_TIMEOUT", "2")
    spec = batch_spec(tmp_path / "u.toml", ["nanjing_baseline"], replicates=1, days=5)
    port = free_port()  # nothing listens there
    with pytest.raises(InputError, match="cannot reach a Dask scheduler"):
        run_batch(spec, out=tmp_path / "o", scheduler=f"tcp://127.0.0.1:{port}", quiet=True)
    assert not (tmp_path / "o").exists()
