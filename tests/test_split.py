"""One run split by district (sim/split.py, issue 20): the same tables on 1, 2 and 4
local workers and on 2 Dask workers; the join is exact (one part joined is the model's own
tables); a split run covers the city; Little's law holds on it; bad flags are refused."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from experiments_fixtures import dask_cluster
from helpers import SCENARIOS, baseline, littles_law

from sim.cli import main
from sim.model import GovernanceModel
from sim.outcomes import issues_table
from sim.places import Offsets
from sim.run import RunResult, simulate
from sim.scenario import Scenario, load_scenario
from sim.split import join, part_of, split_tasks

TABLES = ("daily.parquet", "issues.parquet", "summary.json")
FLOW = {"calendar.holidays": True, "calendar.working_day_deadlines": True,
        "work_orders.department_crews_per_100k": 13.0, "work_orders.return_share": 0.3,
        "work_orders.callbacks": True, "work_orders.unmet_share": 0.2,
        "work_orders.reopen_unsatisfied": True, "work_orders.extensions": True,
        "work_orders.reply_days": 1.0}


def simulate_split(sc: Scenario, **kw: object) -> RunResult:
    """``simulate`` of ``sc`` split by district (run.split), in this process."""
    return simulate(sc.with_overrides({"run.split": "district"}), **kw)


def _same(a: float, b: float) -> bool:
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize(("overrides", "days", "seed"), [
    ({"layout.scale": "street"}, 60, 3),
    ({**FLOW, "run.warmup_days": 30}, 50, 4),
    ({"pilot.communities": 4, "pilot.start_day": 10, "pilot.overrides": {"burden.ledgers": 5},
      "layout.scale": "street"}, 40, 5),
])
def test_one_part_joined_is_the_model_itself(overrides: dict, days: int, seed: int) -> None:
    """The join reads exactly what the model's own tables read: one model's part, joined
    alone, gives its daily table, issues table and summary, to the last bit."""
    sc = load_scenario(SCENARIOS / "nanjing_baseline.toml", overrides)
    model = GovernanceModel(sc, rng=seed)
    model.run(days + sc.run.warmup_days)
    joined = join(sc, model.places, [part_of(model, 0, Offsets(0, 0, 0, 0, 0, 0))])
    pd.testing.assert_frame_equal(joined.recorder.daily_frame(), model.daily_frame())
    pd.testing.assert_frame_equal(issues_table(joined), model.issues_frame())
    mine, theirs = model.summary(), joined.recorder.summary()
    assert list(mine) == list(theirs)
    differ = {k: (mine[k], theirs[k]) for k in mine if not _same(mine[k], theirs[k])}
    assert not differ


def _three_districts(tmp: Path, days: int = 120) -> Path:
    """A street-sized city of three districts (4 communities each)."""
    path = tmp / "three_districts.toml"
    path.write_text(
        f'extends = "{(SCENARIOS / "nanjing_baseline.toml").as_posix()}"\n'
        'name = "three_districts"\n'
        '[layout]\nscale = "street"\ndistricts = 3\ncommunities_per_street = 4\n'
        f'[run]\ndays = {days}\nseed = 11\n', encoding="utf-8")
    return path


def _digests(out: Path) -> dict[str, str]:
    return {n: hashlib.sha256((out / n).read_bytes()).hexdigest() for n in TABLES}


@pytest.mark.dask
@pytest.mark.slow
def test_split_run_writes_the_same_tables_on_1_2_and_4_workers_and_on_dask(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _three_districts(tmp_path)
    outs = {}
    for label, flags in (("one", ["--workers", "1"]), ("two", ["--workers", "2"]),
                         ("four", ["--workers", "4"])):
        outs[label] = tmp_path / label
        assert main(["run", str(spec), "--split", "district", *flags, "--quiet",
                     "--out", str(outs[label])]) == 0
    with dask_cluster(tmp_path) as (address, _workers):
        outs["dask"] = tmp_path / "dask"
        assert main(["run", str(spec), "--split", "district", "--scheduler", address,
                     "--quiet", "--out", str(outs["dask"])]) == 0
    capsys.readouterr()
    digests = {label: _digests(out) for label, out in outs.items()}
    assert digests["one"] == digests["two"] == digests["four"] == digests["dask"]
    daily = pd.read_parquet(outs["two"] / "daily.parquet")
    assert len(daily) == 120 and daily["raised"].sum() > 5_000


def test_a_split_run_covers_the_whole_city_in_city_numbering() -> None:
    sc = load_scenario(SCENARIOS / "nanjing_baseline.toml", {
        "layout.districts": 3, "layout.communities_per_street": 2, "pilot.communities": 2,
        "pilot.community_ids": [5], "platform.intake_staff_per_100k": 40.0})
    places, tasks = split_tasks(sc, 30, 2)
    result = simulate_split(sc, days=30, seed=2)
    assert result.scenario.run.split == "district" and result.extra["split"]["parts"] == 3
    assert "split = \"district\"" in result.scenario.to_toml()  # the folder reproduces it
    s, iss = result.summary, result.issues
    assert s["residents"] == places.n_residents
    assert s["pilot_communities"] == 3
    assert iss["pilot"].sum() > 0 and iss.loc[iss["community"] == 5, "pilot"].all()
    assert iss["issue_id"].is_monotonic_increasing and iss["issue_id"].is_unique
    assert set(iss["community"]) == set(range(places.n_communities))
    # Each issue's micro-grid, grid and community are one place in the city's numbering.
    assert (places.micro_grid_grid[iss["micro_grid"]] == iss["grid"]).all()
    assert (places.grid_community[iss["grid"]] == iss["community"]).all()
    # The city's intake desks shared out, none lost or added.
    from sim.builder.platform import ON_DUTY

    desks = [max(1, round(t.scenario.platform.intake_staff_per_100k * t.places.n_residents
                          / 100_000 * ON_DUTY)) for t in tasks]
    assert sum(desks) == max(1, round(sc.platform.intake_staff_per_100k
                                      * places.n_residents / 100_000 * ON_DUTY))
    # Raised, resolved and open agree between the summary and the daily table.
    daily = result.daily
    assert s["raised"] == daily["raised"].sum() == len(iss)
    assert s["resolved"] == daily["resolved"].sum() == iss["resolved_at"].notna().sum()
    assert s["open_at_end"] == daily["open"].iloc[-1]
    assert s["on_time_share"] == pytest.approx(daily["on_time_share"].iloc[-1])


def test_the_seed_is_not_changed_by_a_split_run() -> None:
    seed = np.random.SeedSequence(42, spawn_key=(3,))
    sc = baseline().with_overrides({"layout.districts": 2})
    first = simulate_split(sc, days=20, seed=seed)
    again = simulate_split(sc, days=20, seed=seed)
    assert first.summary == again.summary or all(
        _same(first.summary[k], again.summary[k]) for k in first.summary)
    pd.testing.assert_frame_equal(first.issues, again.issues)


@pytest.mark.slow
def test_littles_law_on_reported_issues_holds_on_a_split_run() -> None:
    """As tests/test_long_tail.py checks one model: L = lambda W for known issues over two
    years after a year's warm-up, here for a city of two one-community districts split by
    district; pooled over 3 seeds within 2%."""
    lo, hi, tail = 365, 1095, 240
    sc = baseline(**{"run.warmup_days": lo, "consultation.target_utilisation": 0.8,
                     "layout.districts": 2})
    area = lw = 0.0
    for seed in range(3):
        iss = simulate_split(sc, days=hi - lo + tail, seed=seed).issues
        a, b = littles_law(iss, lo, hi, float(hi + tail))
        print(f"\nsplit, seed {seed}: L = {a:.2f}, lambda W = {b:.2f}: {a / b - 1:+.2%}")
        area, lw = area + a, lw + b
    assert area == pytest.approx(lw, rel=0.02)


@pytest.mark.slow
def test_a_split_run_and_one_model_differ_only_by_chance_in_what_users_read() -> None:
    """The split's one change of meaning, the intake centre shared out, moves nothing a
    user reads beyond chance: 6 replicates each of one model and of the split, a city of
    four districts of 13 communities (396,240 residents; 4 intake desks, one a district,
    so the share-out adds none), 120 days (the same seeds, but not paired: the split's
    streams are its own). The differences in mean on-time share, median days to close
    and share closed within 7 days within 1 point, 5% and 1 point (docs/performance.md
    gives them with 95% intervals)."""
    sc = load_scenario(SCENARIOS / "nanjing_baseline.toml", {
        "layout.districts": 4, "layout.communities_per_street": 13})
    one = [simulate(sc, days=120, seed=s).summary for s in range(6)]
    split = [simulate_split(sc, days=120, seed=s).summary for s in range(6)]
    for key, bound in (("on_time_share", 0.01), ("median_days_to_close", 0.05),
                       ("closed_within_7d_share", 0.01)):
        a = np.array([r[key] for r in one])
        b = np.array([r[key] for r in split])
        diff = b.mean() - a.mean()
        half = 1.96 * math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        limit = bound * a.mean() if key.startswith("median") else bound
        print(f"\n{key}: one model {a.mean():.4f}, split {b.mean():.4f}, "
              f"difference {diff:+.4f} (95% CI {diff - half:+.4f} to {diff + half:+.4f})")
        assert abs(diff) < limit


def test_workers_without_split_is_bad_input(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "never"
    assert main(["run", str(SCENARIOS / "nanjing_baseline.toml"), "--workers", "2",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--split district" in err[0]
    assert not out.exists()


def test_each_local_executor_maps_parts_in_order_and_reports_each_one_done() -> None:
    """A split run's parts come back in their order, whichever finishes first, and the
    progress bar moves once a part (Dask: in the tables test above)."""
    from sim.experiments.executor import PoolExecutor, SerialExecutor

    items = [-x for x in range(9)]
    for executor in (SerialExecutor(), PoolExecutor(2)):
        done: list[int] = []
        with executor:
            got = executor.map_ordered(abs, items, done=lambda d=done: d.append(1))
        assert got == [abs(x) for x in items]
        assert len(done) == len(items)
