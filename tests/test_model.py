"""The model's books balance, its graph and agents are what the design says, and the
same seed gives the same numbers."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import SCENARIOS, baseline

from sim import agents
from sim.cli import main
from sim.model import GovernanceModel
from sim.run import simulate, write_run


@pytest.fixture(scope="module")
def year() -> tuple[GovernanceModel, pd.DataFrame, pd.DataFrame]:
    model = GovernanceModel(baseline(), rng=7)
    model.run(365)
    return model, model.daily_frame(), model.issues_frame()


def test_every_issue_is_resolved_or_open_every_day(year) -> None:
    _, daily, issues = year
    assert len(daily) == 365 and list(daily["day"]) == list(range(365))
    assert (daily["raised"].cumsum() == daily["raised_total"]).all()
    assert (daily["resolved"].cumsum() == daily["resolved_total"]).all()
    assert (daily["raised_total"] == daily["resolved_total"] + daily["open"]).all()
    assert (daily["open"] == daily["open_known"] + daily["open_unknown"]).all()
    assert (daily["resolved"] == daily["resolved_on_time"] + daily["resolved_late"]).all()
    # The daily books agree with the issue records, day by day: none lost, none twice.
    ends = np.arange(1, 366)
    raised = np.searchsorted(np.sort(issues["raised_at"]), ends, side="left")
    resolved_at = np.sort(issues["resolved_at"].dropna())
    resolved = np.searchsorted(resolved_at, ends, side="left")
    known = np.searchsorted(np.sort(issues["known_at"].dropna()), ends, side="left")
    assert (raised == daily["raised_total"]).all()
    assert (resolved == daily["resolved_total"]).all()
    assert (known == daily["known_total"]).all()
    assert issues["issue_id"].is_unique and len(issues) == daily["raised_total"].iloc[-1]
    assert (daily["incidents"].cumsum().iloc[-1] == issues["became_incident"].sum())


def test_issue_records_are_consistent(year) -> None:
    _, _, issues = year
    done = issues["resolved_at"].notna()
    assert (issues.loc[done, "resolved_at"] >= issues.loc[done, "known_at"]).all()
    assert (issues["known_at"].dropna() >= issues.loc[issues["known_at"].notna(),
                                                      "raised_at"]).all()
    assert issues.loc[~done, "on_time"].isna().all()
    assert issues.loc[done, "resolved_level"].notna().all()
    expected = (issues.loc[done, "resolved_at"] <= issues.loc[done, "deadline_at"])
    assert (issues.loc[done, "on_time"].astype(bool) == expected).all()
    # Work done above the grid only after being passed up.
    above = issues["resolved_level"].isin(["street", "department"])
    assert (issues.loc[above & (issues["category"] != "utility"), "escalations"] >= 1).all()


def test_hours_add_up_to_the_working_day(year) -> None:
    """Admin, consultations, casework, visits and patrols fill each workday exactly;
    admin is the community's shared tasks plus meetings, and inspection visits come on
    about the scenario's share of days."""
    model, daily, _ = year
    b = model.p.burden
    workers = len(model._grid_worker_list)
    weekday = daily["day"] % 7 < b.workdays_per_week
    acts = ["admin_hours", "governance_hours", "case_hours", "visit_hours", "patrol_hours"]
    total = daily[acts].sum(axis=1)
    assert np.allclose(total[weekday], workers * b.work_hours_per_day)
    assert np.allclose(total[~weekday], 0.0)
    (workday,) = model.workdays
    plain = workday.shared_per_worker + b.meeting_hours
    admin = daily.loc[weekday, "admin_hours"] / workers
    assert admin.round(9).mode().iloc[0] == pytest.approx(plain)
    expected = plain + b.lines()["inspections"]
    se = b.inspection_block() * np.sqrt(b.inspection_visit_days
                                        * (1 - b.inspection_visit_days) / len(admin))
    assert abs(admin.mean() - expected) < 3 * se + 0.01


def test_graph_and_agents_follow_the_layout(year) -> None:
    model, _, _ = year
    kinds = pd.Series(dict(model.graph.nodes(data="kind"))).value_counts()
    lay = model.p.layout
    assert kinds["community"] == 1 and kinds["grid"] == lay.grids_per_community
    assert kinds["micro_grid"] == lay.micro_grids_per_community
    for kind in ("city", "district", "street", "platform", "department", "utility",
                 "social_org", "volunteer_station"):
        assert kinds[kind] >= 1, kind
    edge_kinds = {k for _, _, k in model.graph.edges(data="kind")}
    assert edge_kinds == {"contains", "serves", "dispatches", "passes"}
    assert len(model.residents) == lay.residents_per_community
    # 18 per 10,000 [F30] of 7,620 residents
    assert len(model.grid_workers) == round(18 * 7620 / 10_000)
    for cls in (agents.Resident, agents.GridWorker, agents.MicroGridWorker, agents.Volunteer,
                agents.SocialOrganisation, agents.NewEmploymentWorker, agents.Department,
                agents.Utility, agents.CommunityCommittee, agents.StreetOffice,
                agents.Platform, agents.VolunteerStation):
        assert len(model.agents_by_type[cls]) >= 1, cls.__name__


@pytest.mark.parametrize("scale,communities,residents", [
    ("street", 12, 91_440), ("district", 104, 792_480), ("city", 1248, 9_509_760)])
def test_scale_presets(scale: str, communities: int, residents: int) -> None:
    s = baseline(**{"layout.scale": scale})
    assert s.layout.communities == communities and s.layout.residents == residents


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_byte_identical_tables(tmp_path: Path) -> None:
    s = baseline(**{"run.days": 60})
    for k in range(2):
        write_run(simulate(s, seed=11), tmp_path / f"r{k}")
    for name in ("daily.parquet", "issues.parquet"):
        assert _digest(tmp_path / "r0" / name) == _digest(tmp_path / "r1" / name)
    other = simulate(s, seed=12)
    first = pd.read_parquet(tmp_path / "r0" / "daily.parquet")
    assert not first["raised"].equals(other.daily["raised"])


def test_common_random_numbers_across_scenarios() -> None:
    """The same replicate sees the same issues whatever the policy (paired comparisons)."""
    a = simulate(baseline(**{"run.days": 60}), seed=3).issues
    b = simulate(baseline(**{"run.days": 60, "staffing.workers_per_10k": 25.0}), seed=3).issues
    cols = ["category", "micro_grid", "raised_at"]
    assert a[cols].equals(b[cols])


def test_govsim_run_writes_the_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    code = main(["run", str(SCENARIOS / "nanjing_baseline.toml"), "--days", "30", "--seed", "5",
                 "--out", str(out), "--quiet", "--set", "staffing.workers_per_10k=20"])
    assert code == 0
    text = capsys.readouterr().out
    assert "resolved on time" in text and "hazards caught" in text
    assert sorted(p.name for p in out.iterdir()) == [
        "daily.parquet", "issues.parquet", "manifest.json", "scenario.toml", "summary.json"]
    daily = pd.read_parquet(out / "daily.parquet")
    for col in ("day", "raised", "known", "resolved", "open", "resolved_on_time",
                "resolved_late", "incidents", "admin_hours", "case_hours", "patrol_hours",
                "mean_trust"):
        assert col in daily.columns
    issues = pd.read_parquet(out / "issues.parquet")
    for col in ("issue_id", "category", "community", "grid", "micro_grid", "raised_at",
                "known_at", "channel", "resolved_at", "resolved_level", "deadline_at", "on_time",
                "escalations", "became_incident"):
        assert col in issues.columns
    assert issues["raised_at"].dtype == np.float64 and issues["resolved_at"].dtype == np.float64
    assert issues["resolved_at"].isna().any()  # open issues are null
    import json
    import tomllib

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"]["entropy"] == "5" and manifest["days"] == 30
    assert {"mesa", "numpy"} <= set(manifest["packages"]) and manifest["peak_rss_mb"] > 0
    resolved = tomllib.loads((out / "scenario.toml").read_text())
    assert resolved["staffing"]["workers_per_10k"] == 20 and resolved["run"]["days"] == 30
    # The resolved scenario re-runs to the same numbers.
    again = tmp_path / "again"
    assert main(["run", str(out / "scenario.toml"), "--out", str(again), "--quiet"]) == 0
    assert _digest(out / "daily.parquet") == _digest(again / "daily.parquet")


def test_a_seed_sequence_gives_the_same_run_each_time_it_is_passed() -> None:
    s = baseline(**{"run.days": 20})
    seed = np.random.SeedSequence(2024).spawn(3)[1]
    first = simulate(s, seed=seed).daily
    second = simulate(s, seed=seed).daily
    assert first.equals(second)
    assert not first.equals(simulate(s, seed=np.random.SeedSequence(2024).spawn(3)[2]).daily)


def test_summary_keys_are_documented_and_listed(year) -> None:
    model, _, _ = year
    from sim.outcomes import EQUITY_METRICS, neighbourhood_names, summary_keys

    assert list(model.summary()) == summary_keys(model.cats.names,
                                                 neighbourhood_names(model.p))
    documented = (Path(__file__).resolve().parent.parent / "docs" / "outputs.md").read_text()
    for key in summary_keys([], []):
        if key.startswith("equity_") or "_gap_" in key:
            continue  # documented as patterns, below
        assert f"`{key}`" in documented or key.startswith("resolved_at_"), key
    for metric in EQUITY_METRICS:  # documented as patterns
        assert f"`equity_{metric}_<type or group>`" in documented, metric
        assert f"`{metric}_gap_types`" in documented and f"`{metric}_gap_<group>`" in (
            documented), metric
