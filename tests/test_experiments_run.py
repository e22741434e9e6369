"""Running batches and sweeps: results, resume, failures, executors, kill -9, reports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from experiments_fixtures import (
    BIN,
    REPO,
    RUN_FILES,
    SCENARIOS,
    batch_spec,
    complete_runs,
    kill_group,
    write_spec,
)

from sim.experiments import run_batch, run_sweep
from sim.experiments.analysis import paired_differences
from sim.experiments.cli import finish
from sim.experiments.executor import SerialExecutor
from sim.experiments.experiment import load_experiment
from sim.experiments.report import make_report
from sim.experiments.runner import _run
from sim.experiments.store import ResultStore


def _bytes(out: Path) -> dict[str, bytes]:
    return {n: (out / n).read_bytes() for n in ("runs.parquet", "daily.parquet")}


@pytest.fixture(scope="module")
def small_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 3 scenarios x 3 replicates batch, 30 days, run in this process."""
    tmp = tmp_path_factory.mktemp("batch")
    spec = batch_spec(tmp / "small.toml", replicates=3, days=30)
    res = run_batch(spec, out=tmp / "serial", workers=1, quiet=True)
    assert res.ok and res.executed == 9
    return spec, tmp / "serial"


def test_batch_writes_runs_tables_and_manifest(small_batch: tuple[Path, Path]) -> None:
    _spec, out = small_batch
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs["run_id"]) == [f"{s}-r{k:03d}" for s in
                                    ("nanjing_baseline", "staffing_22_per_10k", "no_micro_grid")
                                    for k in range(3)]
    assert (runs["status"] == "ok").all()
    for col in ("on_time_share", "resolution_rate", "incidents", "mean_trust"):
        assert runs[col].notna().all()
    daily = pd.read_parquet(out / "daily.parquet")
    assert len(daily) == 9 * 30
    assert daily.groupby("run_id")["day"].count().eq(30).all()
    # Each run's folder holds the complete set of files and nothing half-written.
    for rid in runs["run_id"]:
        assert {p.name for p in (out / "runs" / rid).iterdir()} >= RUN_FILES
    assert not (out / ".tmp").exists()
    man = json.loads((out / "manifest.json").read_text())
    assert man["status"] == "complete" and man["counts"]["ok"] == 9
    assert man["versions"]["mesa"].startswith("3.5")
    assert len(man["seeds"]) == 3 and man["root_seed"] == 11
    assert all(r["status"] == "ok" and r["wall_seconds"] > 0 for r in man["runs"])
    assert man["spec"]["kind"] == "batch"


def test_rerun_skips_complete_runs_and_keeps_tables(small_batch: tuple[Path, Path]) -> None:
    spec, out = small_batch
    before = _bytes(out)
    stamps = {r: (out / "runs" / r / "task.json").stat().st_mtime_ns for r in complete_runs(out)}
    res = run_batch(spec, out=out, workers=1, quiet=True)
    assert (res.executed, res.skipped) == (0, 9)
    assert stamps == {r: (out / "runs" / r / "task.json").stat().st_mtime_ns
                      for r in complete_runs(out)}
    assert _bytes(out) == before


def test_process_pool_gives_byte_identical_tables(small_batch: tuple[Path, Path],
                                                  tmp_path: Path) -> None:
    spec, serial = small_batch
    res = run_batch(spec, out=tmp_path / "pool", workers=2, quiet=True)
    assert res.ok
    assert _bytes(tmp_path / "pool") == _bytes(serial)


def test_common_random_numbers_pair_runs_exactly(tmp_path: Path) -> None:
    # A scenario identical to the baseline under another name: with common random numbers
    # every paired difference is exactly zero, although replicates differ from each other.
    twin = tmp_path / "baseline_twin.toml"
    twin.write_text(f'extends = "{SCENARIOS / "nanjing_baseline.toml"}"\nname = "twin"\n')
    spec = batch_spec(tmp_path / "crn.toml", ["nanjing_baseline"], replicates=3, days=30)
    spec.write_text(spec.read_text().replace('"]', f'", "{twin}"]'))
    run_batch(spec, out=tmp_path / "o", workers=1, quiet=True)
    runs = pd.read_parquet(tmp_path / "o" / "runs.parquet")
    diffs = paired_differences(runs, "nanjing_baseline", ["raised", "on_time_share"])
    assert (diffs["mean_diff"] == 0).all() and (diffs["n_pairs"] == 3).all()
    base = runs[runs["scenario"] == "nanjing_baseline"]
    assert base["raised"].nunique() > 1  # replicates are different streams


def test_failed_run_is_recorded_others_go_on_and_retry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = batch_spec(tmp_path / "f.toml", ["nanjing_baseline", "no_micro_grid"],
                      replicates=2, days=20)
    exp = load_experiment(spec)
    sc = exp.scenarios["no_micro_grid"]
    # A scenario that slipped past validation (model_copy skips it): the model raises.
    exp.scenarios["no_micro_grid"] = sc.model_copy(
        update={"layout": sc.layout.model_copy(update={"districts": 0})})
    store = ResultStore(tmp_path / "o")
    res = _run(exp, store, SerialExecutor(), force=False, quiet=True, start=time.perf_counter())
    assert sorted(res.failed) == ["no_micro_grid-r000", "no_micro_grid-r001"]
    assert not res.ok
    info = json.loads((store.root / "runs" / "no_micro_grid-r000.failed.json").read_text())
    assert "Traceback" in info["error"] and "Error" in info["error"]
    runs = pd.read_parquet(store.root / "runs.parquet")
    assert list(runs["status"]) == ["ok", "ok", "failed", "failed"]
    man = json.loads((store.root / "manifest.json").read_text())
    assert man["counts"]["failed"] == 2 and man["status"] == "incomplete"
    # Same command again (the scenario still broken): only the failed runs are retried.
    res2 = _run(exp, store, SerialExecutor(), force=False, quiet=True,
                start=time.perf_counter())
    assert res2.executed == 2 and res2.skipped == 2
    # The command's closing lines and exit code.
    assert finish(res2, quiet=True) == 1
    err = capsys.readouterr().err
    assert "2 of 4 runs failed" in err and "failed.json" in err


def test_quiet_and_progress_output(tmp_path: Path) -> None:
    spec = batch_spec(tmp_path / "p.toml", ["nanjing_baseline"], replicates=2, days=10)
    loud = subprocess.run([str(BIN / "govsim"), "batch", str(spec), "--out",
                           str(tmp_path / "a"), "--workers", "1"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert loud.returncode == 0, loud.stderr
    assert "2/2" in loud.stderr and "run" in loud.stderr  # the tqdm bar: runs done / total
    quiet = subprocess.run([str(BIN / "govsim"), "batch", str(spec), "--out",
                            str(tmp_path / "b"), "--workers", "1", "--quiet"],
                           capture_output=True, text=True, cwd=REPO, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert quiet.stdout.strip().splitlines() == [
        next(line for line in quiet.stdout.splitlines() if line.startswith("2 runs"))]


@pytest.mark.slow
def test_kill_9_mid_batch_then_resume(tmp_path: Path, small_batch: tuple[Path, Path]) -> None:
    spec = batch_spec(tmp_path / "k.toml", ["nanjing_baseline", "burden_cut_f12"],
                      replicates=6, days=90)
    ref = tmp_path / "uninterrupted"
    run_batch(spec, out=ref, workers=1, quiet=True)
    out = tmp_path / "killed"
    cmd = [str(BIN / "govsim"), "batch", str(spec), "--out", str(out), "--workers", "2",
           "--quiet"]
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(complete_runs(out)) < 3 and time.monotonic() < deadline:
            assert proc.poll() is None, "the batch finished before it could be killed"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)  # the batch process only, as `kill -9 PID`
        proc.wait(timeout=10)
    finally:
        kill_group(proc)  # and whatever it left behind
    done = complete_runs(out)
    assert 3 <= len(done) < 12
    # No partial file visible: complete run folders only, no combined tables yet.
    visible = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert visible <= {"runs", "manifest.json"}
    for rid in done:
        assert {p.name for p in (out / "runs" / rid).iterdir()} == RUN_FILES
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]
    stamps = {r: (out / "runs" / r / "task.json").stat().st_mtime_ns for r in done}
    again = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    man = json.loads((out / "manifest.json").read_text())
    assert man["counts"]["skipped"] == len(done)
    assert man["counts"]["executed"] == 12 - len(done)
    assert {r: (out / "runs" / r / "task.json").stat().st_mtime_ns for r in done} == stamps
    assert _bytes(out) == _bytes(ref)


@pytest.mark.slow
def test_sweeps_and_their_reports(tmp_path: Path) -> None:
    base = str(SCENARIOS / "nanjing_baseline.toml")
    top = {"kind": "sweep", "replicates": 1, "seed": 5, "days": 20, "base": base,
           "outcomes": ["on_time_share", "incidents", "admin_share"]}
    params = [{"key": "burden.inspection_cut", "range": [0.0, 0.9]},
              {"key": "burden.ledgers", "range": [4, 60]}]
    spec = write_spec(tmp_path / "sob.toml", {**top, "name": "sob"},
                      {"kind": "sobol", "samples": 8}, params)
    res = run_sweep(spec, out=tmp_path / "sob", workers=2, quiet=True)
    assert res.ok and res.total == 8 * 4
    runs = pd.read_parquet(tmp_path / "sob" / "runs.parquet")
    assert {"burden.inspection_cut", "burden.ledgers"} <= set(runs.columns)
    assert runs["burden.ledgers"].map(type).eq(int).all()
    html = make_report(tmp_path / "sob")
    sens = pd.read_csv(html.parent / "tables" / "sensitivity.csv")
    admin = sens[sens["outcome"] == "admin_share"].set_index("parameter")
    assert admin[["S1", "ST"]].notna().all().all()
    # Admin share is set by the burden levers alone (no noise): their total effects
    # carry the variance, and ledgers (4 to 60 x 0.1 h) outweigh inspections (<= 1.1 h).
    assert admin.loc["burden.ledgers", "ST"] > admin.loc["burden.inspection_cut", "ST"]
    assert (html.parent / "figures" / "sensitivity.png").is_file()
    assert (html.parent / "figures" / "sensitivity.svg").is_file()

    mor = write_spec(tmp_path / "mor.toml", {**top, "name": "mor"},
                     {"kind": "morris", "samples": 4, "levels": 4}, params)
    assert run_sweep(mor, out=tmp_path / "mor", workers=1, quiet=True).ok
    sens = pd.read_csv(make_report(tmp_path / "mor").parent / "tables" / "sensitivity.csv")
    assert {"mu_star", "sigma"} <= set(sens.columns)
    assert sens["mu_star"].notna().all()

    fac = write_spec(tmp_path / "fac.toml", {**top, "name": "fac", "replicates": 2},
                     {"kind": "factorial"},
                     [{"key": "staffing.workers_per_10k", "levels": [12.0, 24.0]},
                      {"key": "micro_grid.coverage", "levels": [0.0, 1.0]}])
    assert run_sweep(fac, out=tmp_path / "fac", workers=1, quiet=True).total == 8
    page = make_report(tmp_path / "fac").read_text()
    assert "workers_per_10k=24.0" in page  # factorial points labelled by their values


def test_report_is_self_contained_bilingual_with_figures(small_batch: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    import warnings

    _, out = small_batch
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        html_path = make_report(out, out=tmp_path / "rep")
    missing_glyphs = [w for w in caught if "Glyph" in str(w.message)]
    assert not missing_glyphs, missing_glyphs[0].message
    page = html_path.read_text(encoding="utf-8")
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    import re

    srcs = re.findall(r'src="([^"]+)"', page)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    names = ("forest_paired_differences", "daily_series", "closure_times", "ci_convergence")
    for name in names:
        assert (tmp_path / "rep" / "figures" / f"{name}.png").stat().st_size > 5000
        assert (tmp_path / "rep" / "figures" / f"{name}.svg").is_file()
        assert f"figures/{name}.png" in md
    from sim.experiments.report import setup_fonts

    if Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists():
        assert setup_fonts() == "Noto Sans CJK SC"
        assert "按时办结率" in page and "按时办结率" in md
    # The tables a planner reads: summary with intervals, paired differences.
    assert "staffing_22_per_10k" in md and "[95% CI]" in md
    diffs = pd.read_csv(tmp_path / "rep" / "tables" / "paired_differences.csv")
    assert set(diffs["scenario"]) == {"staffing_22_per_10k", "no_micro_grid"}
    conv = pd.read_csv(tmp_path / "rep" / "tables" / "ci_convergence.csv")
    assert set(conv["replicates"]) == {3}
    # Who is left behind: the equity gaps by scenario, with intervals [P9].
    assert "equity gaps" in md and "谁被落下" in page
    gaps = pd.read_csv(tmp_path / "rep" / "tables" / "equity_gaps.csv")
    assert {"known_share_gap_elderly", "on_time_share_gap_offline"} <= set(gaps["outcome"])
    assert (tmp_path / "rep" / "tables" / "equity_paired_differences.csv").is_file()
    closure = pd.read_csv(tmp_path / "rep" / "tables" / "closure_times.csv")
    assert len(closure) == 3 and (closure["resolved"] > 0).all()


def test_second_command_on_the_same_folder_is_refused(small_batch: tuple[Path, Path]) -> None:
    import fcntl

    from sim.errors import InputError

    spec, out = small_batch
    with open(out / ".lock", "w") as fh:  # as a running command holds it
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(InputError, match="another govsim command"):
            run_batch(spec, out=out, workers=1, quiet=True)
    assert run_batch(spec, out=out, workers=1, quiet=True).skipped == 9
