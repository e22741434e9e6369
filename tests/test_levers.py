"""Levers act where the source says they act, with paired seeds (common random numbers).

Each claim is a paired difference over 10 replicates of a year at community scale; the
test asks that the 95% confidence interval of the mean difference lies on the claimed
side of zero.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from helpers import SCENARIOS
from scipy import stats

from sim.run import simulate
from sim.scenario import load_scenario

REPLICATES = 10


@functools.cache
def _summary(name: str, overrides: tuple[tuple[str, float], ...], seed: int) -> dict:
    scenario = load_scenario(SCENARIOS / f"{name}.toml", dict(overrides) or None)
    return simulate(scenario, seed=seed).summary


def paired(a: str, b: str, outcome: str, b_overrides: dict | None = None) -> np.ndarray:
    """Outcome of scenario ``b`` minus ``a`` for each replicate (same seed in both)."""
    over = tuple(sorted((b_overrides or {}).items()))
    return np.array([_summary(b, over, k)[outcome] - _summary(a, (), k)[outcome]
                     for k in range(REPLICATES)])


def paired_over(name: str, a: dict, b: dict, outcome: str,
                replicates: int = REPLICATES) -> np.ndarray:
    """``name`` with overrides ``b`` minus with ``a``, replicate by replicate."""
    ta, tb = tuple(sorted(a.items())), tuple(sorted({**a, **b}.items()))
    return np.array([_summary(name, tb, k)[outcome] - _summary(name, ta, k)[outcome]
                     for k in range(replicates)])


def ci95(diff: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    return diff.mean() - half, diff.mean() + half


@pytest.mark.slow
@pytest.mark.parametrize("outcome,side", [("on_time_share", +1),
                                          ("mean_days_to_resolve", -1), ("incidents", -1)])
def test_more_staff_under_the_2012_load_resolves_sooner(outcome: str, side: int) -> None:
    """Under the 2012 burden the day is full [F10]: staff 14 -> 22 per 10,000 frees
    casework, visit and patrol hours, so issues close on time more often and fewer
    hazards become incidents."""
    diff = paired_over("pre_reform_2012", {"staffing.workers_per_10k": 14.0},
                       {"staffing.workers_per_10k": 22.0}, outcome)
    assert side * ci95(diff)[0 if side > 0 else 1] > 0, diff


@pytest.mark.slow
def test_more_staff_today_catches_more_hazards() -> None:
    """Today's workers have slack, so 18 -> 22 per 10,000 buys patrols: fewer incidents
    (on-time share and days to resolve do not move measurably: docs/model.md)."""
    diff = paired("nanjing_baseline", "staffing_22_per_10k", "incidents")
    assert ci95(diff)[1] < 0, diff


F12_CUT = {"burden.certificate_items_removed": 56, "burden.inspection_cut": 0.57}


@pytest.mark.slow
@pytest.mark.parametrize("outcome", ["case_hours", "patrol_hours", "resolved"])
def test_burden_cut_frees_hours_and_resolves_more(outcome: str) -> None:
    """The F12 cuts where the burden binds (the 2012 burden, 70% of the day [P2]):
    the freed hours go to casework and patrols, and more issues are resolved."""
    diff = paired("pre_reform_2012", "pre_reform_2012", outcome, F12_CUT)
    assert ci95(diff)[0] > 0, diff


@pytest.mark.slow
def test_burden_cut_in_todays_practice_goes_to_patrols() -> None:
    """Where workers already have slack (today's baseline) the cut buys patrol time."""
    diff = paired("nanjing_baseline", "burden_cut_f12", "patrol_hours")
    assert ci95(diff)[0] > 0, diff


@pytest.mark.slow
def test_no_micro_grid_workers_means_more_incidents() -> None:
    diff = paired("nanjing_baseline", "no_micro_grid", "incidents")
    assert ci95(diff)[0] > 0, diff


@pytest.mark.slow
def test_pre_reform_day_matches_the_2012_admin_share_and_slows_resolution() -> None:
    """P2: ~70% of the 2012 day on administration, the share the burden lines are
    calibrated to. The split is simulated (inspection visits come on random days and
    carry over), so it is checked as a mean over replicates. (P2's other two shares,
    ~20% self-governance and ~10% services, are targets for calibration: the model
    gives about 21% and 8%; docs/model.md.)"""
    admin = np.mean([_summary("pre_reform_2012", (), k)["admin_share"]
                     for k in range(REPLICATES)])
    assert admin == pytest.approx(0.70, abs=0.02), admin
    diff = paired("nanjing_baseline", "pre_reform_2012", "mean_days_to_resolve")
    assert ci95(diff)[0] > 0, diff


@pytest.mark.slow
def test_mobile_grid_workers_find_hazards_earlier() -> None:
    diff = paired("nanjing_baseline", "mobile_grid_6000", "incidents")
    assert ci95(diff)[1] < 0, diff


BURDEN_LINES = {
    "ledgers 30 -> 4 [P3]": {"burden.ledgers": 4},
    "certificates -56 [F12]": {"burden.certificate_items_removed": 56},
    "inspections -57% [F12]": {"burden.inspection_cut": 0.57},
    "no meetings": {"burden.meeting_hours": 0.0},
    "duty lists in force [F13]": {"burden.duty_list": True},
}


@pytest.mark.slow
@pytest.mark.parametrize("line", list(BURDEN_LINES))
def test_each_burden_line_frees_hours_and_raises_on_time_share(line: str) -> None:
    """Cut one burden line at a time from the 2012 load: less admin, more patrol, and
    more issues on time."""
    cut = BURDEN_LINES[line]
    for outcome, side in (("admin_hours", -1), ("patrol_hours", +1), ("on_time_share", +1)):
        diff = paired_over("pre_reform_2012", {}, cut, outcome)
        lo, hi = ci95(diff)
        assert (lo > 0) if side > 0 else (hi < 0), (outcome, diff)


@pytest.mark.slow
@pytest.mark.parametrize("low,high", [(0.002, 0.03), (0.03, 0.15)])
def test_more_volunteer_hours_put_more_care_on_time(low: float, high: float) -> None:
    """Volunteers with the skill and the hours take care requests [F23]; more of them,
    more care on time (the matched hours are real capacity, not 38x demand)."""
    diff = paired_over("nanjing_baseline", {"volunteers.rate": low},
                       {"volunteers.rate": high}, "on_time_share_care")
    assert ci95(diff)[0] > 0, diff


@pytest.mark.slow
@pytest.mark.parametrize("low,high", [(0.0, 40.0), (40.0, 400.0)])
def test_social_work_hours_are_monotone(low: float, high: float) -> None:
    """More social-work station hours never do worse than fewer [F22]: a station is
    sent work only when it can clear it before the deadline, so they take more issues
    and the overall on-time share does not fall."""
    key = "social_orgs.hours_per_week_per_10k"
    taken = paired_over("nanjing_baseline", {key: low}, {key: high}, "social_org_resolved")
    assert ci95(taken)[0] > 0, taken
    on_time = paired_over("nanjing_baseline", {key: low}, {key: high}, "on_time_share")
    assert ci95(on_time)[1] > 0 and on_time.mean() > -0.005, on_time


@pytest.mark.slow
def test_five_society_linkage_puts_more_care_on_time() -> None:
    """Working care and service issues as one team [F21] sends each to whoever has the
    skill and the hours first."""
    diff = paired_over("nanjing_baseline", {"social_orgs.five_society_linkage": False},
                       {"social_orgs.five_society_linkage": True}, "on_time_share_care")
    assert ci95(diff)[0] > 0, diff


@pytest.mark.slow
def test_more_frequent_consultation_settles_collective_issues_sooner_at_a_cost() -> None:
    """Meeting every 14 days instead of 60 [F9]: suggestions close on time more often,
    and workers spend more hours preparing meetings. About 150 suggestions a year make
    the on-time share noisy (sd of the paired difference ≈ 0.07 for an effect of ≈ 0.06),
    so this claim takes 30 replicates."""
    a, b = {"consultation.every_days": 60}, {"consultation.every_days": 14}
    diff = paired_over("nanjing_baseline", a, b, "on_time_share_suggestion", 30)
    assert ci95(diff)[0] > 0, diff
    assert ci95(paired_over("nanjing_baseline", a, b, "governance_hours"))[0] > 0


@pytest.mark.slow
def test_low_trust_empties_consultations() -> None:
    """Turnout follows trust: at trust 0.3 more meetings miss their quorum and fewer
    collective issues are settled."""
    a, b = {}, {"residents.trust_mean": 0.3}
    assert ci95(paired_over("nanjing_baseline", a, b, "meetings_failed"))[0] > 0
    assert ci95(paired_over("nanjing_baseline", a, b, "consultation_resolved"))[1] < 0


@pytest.mark.slow
def test_rider_points_raise_reporting() -> None:
    """Pioneer-index points [F26] raise what enrolled riders report."""
    diff = paired_over("mobile_grid_6000", {"mobile_grid.incentive": 0.0},
                       {"mobile_grid.incentive": 1.0}, "rider_points")
    assert ci95(diff)[0] > 0, diff


@pytest.mark.slow
def test_rider_points_keep_riders_enrolled_at_street_scale() -> None:
    """Points cut dropout from the programme [F26]: more riders still enrolled after a
    year (street scale: ~58 enrolled riders, so the count is not all noise)."""
    street = {"layout.scale": "street", "run.days": 365}
    diff = np.array([
        _street("mobile_grid_6000", {**street, "mobile_grid.incentive": 1.0}, k)
        - _street("mobile_grid_6000", {**street, "mobile_grid.incentive": 0.0}, k)
        for k in range(6)])
    assert ci95(diff)[0] > 0, diff


def _street(name: str, overrides: dict, seed: int) -> float:
    # Only the riders matter here: a street-scale year with nothing else is quick.
    return _summary(name, tuple(sorted(overrides.items())), seed)["enrolled_riders"]


@pytest.mark.slow
def test_dispatch_time_follows_the_platform_load() -> None:
    """The district command centre is a queue with staff [F32]. At street scale with
    15 minutes' triage an order, 2 dispatchers per 100,000 (one on duty) are loaded;
    10 per 100,000 (two on duty) clear orders faster, and more issues close on time."""
    base = {"layout.scale": "street", "platform.triage_minutes": 15.0, "run.days": 180}
    few = tuple(sorted({**base, "platform.dispatchers_per_100k": 2.0}.items()))
    more = tuple(sorted({**base, "platform.dispatchers_per_100k": 10.0}.items()))
    runs = [(_summary("nanjing_baseline", few, k), _summary("nanjing_baseline", more, k))
            for k in range(REPLICATES)]
    # Waits in a loaded queue are heavy-tailed: compare them on the log scale (ratios).
    wait = np.log([b["mean_dispatch_days"] / a["mean_dispatch_days"] for a, b in runs])
    assert ci95(wait)[1] < 0, wait
    on_time = np.array([b["on_time_share"] - a["on_time_share"] for a, b in runs])
    assert ci95(on_time)[0] > 0, on_time


@pytest.mark.slow
def test_a_longer_sign_for_time_lowers_on_time_share() -> None:
    diff = paired_over("nanjing_baseline", {}, {"platform.dispatch_delay_days": 1.0},
                       "on_time_share")
    assert ci95(diff)[1] < 0, diff


@pytest.mark.slow
def test_no_community_office_staff_strands_nothing() -> None:
    """With nobody in the community office, its work orders are passed on through the
    platform (and counted) instead of waiting forever: resolution holds within 2 points."""
    diff = paired_over("nanjing_baseline", {}, {"staffing.community_office_staff": 0},
                       "resolution_rate")
    lo, hi = ci95(diff)
    assert lo > -0.02 and hi < 0.02, diff
    passed = paired_over("nanjing_baseline", {}, {"staffing.community_office_staff": 0},
                         "passed_on")
    assert (passed > 0).all()
