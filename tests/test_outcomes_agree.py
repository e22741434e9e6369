"""Every counted outcome is the same whether read from the summary, the daily table or
the issue log (issue 21: the page's cards said 9 incidents while its chart said 6).

A run of D days covers days 0 to D-1. The model opens day D at the instant day D-1 ends
(consultations at the day's start, incidents made known at the boundary): what day D did
is in no daily row yet, so the summary and the issue table leave it out too; hazards whose
clock ran out during a day count as that day's incidents.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SCENARIOS

from sim.run import simulate
from sim.scenario import load_scenario

CASES = [("nanjing_baseline", 20, 1), ("nanjing_baseline", 21, 1), ("nanjing_baseline", 60, 1),
         ("pre_reform_2012", 45, 2), ("mobile_grid_6000", 30, 3), ("combined_reform", 61, 4)]
# The work-order flow's mechanisms all on (sim/tail.py), and a warm-up (issue 19): the
# window's tables count what happened in it, and the issue table adds what was still
# open when it started (carried over).
FLOW = {"calendar.holidays": True, "calendar.working_day_deadlines": True,
        "work_orders.department_crews_per_100k": 13.0, "work_orders.return_share": 0.3,
        "work_orders.callbacks": True, "work_orders.unmet_share": 0.2,
        "work_orders.reopen_unsatisfied": True, "work_orders.extensions": True,
        "work_orders.reply_days": 1.0, "appraisal.on_time_weight": 1.0}
FLOW_CASES = [("nanjing_baseline", 60, 5, FLOW), ("nanjing_baseline", 40, 6,
                                                   {"run.warmup_days": 50}),
              ("pre_reform_2012", 45, 7, {**FLOW, "run.warmup_days": 45})]


@pytest.mark.parametrize(("name", "days", "seed", "overrides"),
                         [(*case, {}) for case in CASES] + FLOW_CASES)
def test_summary_daily_table_and_issue_log_count_the_same(name, days, seed, overrides) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.toml", overrides or None)
    result = simulate(scenario, days=days, seed=seed)
    s, daily, issues = result.summary, result.daily, result.issues
    w = scenario.run.warmup_days
    resolved = issues["resolved_at"].notna()
    assert len(daily) == days and daily["day"].iloc[-1] == w + days - 1
    assert s["days"] == days and s["warmup_days"] == w
    assert s["carried_over"] == issues["carried_over"].sum()
    assert not (issues["resolved_at"] < w).any()  # carried over: open when it started
    incidents = issues["became_incident"] & ~(issues["incident_at"] < w)
    counts = {
        "raised": (s["raised"], daily["raised"].sum(), (~issues["carried_over"]).sum()),
        "known": (s["known"], daily["known"].sum(), (issues["known_at"] >= w).sum()),
        "resolved": (s["resolved"], daily["resolved"].sum(), resolved.sum()),
        "resolved on time": (round(s["on_time_share"] * s["resolved"]),
                             daily["resolved_on_time"].sum(),
                             issues.loc[resolved, "on_time"].sum()),
        "resolved late": (s["resolved"] - round(s["on_time_share"] * s["resolved"]),
                          daily["resolved_late"].sum(), (~issues.loc[resolved, "on_time"]).sum()),
        "open at the end": (s["open_at_end"], daily["open"].iloc[-1], (~resolved).sum()),
        "incidents": (s["incidents"], daily["incidents"].sum(), incidents.sum()),
        "escalations": (round(s["escalation_share"] * s["resolved"]),
                        None, (issues.loc[resolved, "escalations"] > 0).sum()),
        "passed on": (s["passed_on"], daily["passed_on"].sum(), None),
        "meetings failed": (s["meetings_failed"], daily["meetings_failed"].sum(), None),
    }
    # Per-issue counts are over an issue's life: a carried-over one's include its warm-up.
    lifetime = None if w else issues
    counts["escalation hops"] = (None, daily["escalations"].sum(),
                                 None if w else issues["escalations"].sum())
    for summary_key, column in (("returned", "returns"), ("reopened", "reopens"),
                                ("paper_closed", "paper_closings")):
        counts[summary_key] = (s[summary_key], daily[summary_key].sum(),
                               None if lifetime is None else lifetime[column].sum())
    counts["extended"] = (s["extended"], daily["extended"].sum(),
                          None if w else issues["extended"].sum())
    # The platform's side, from the issue table (docs/outputs.md).
    orders = issues["via_platform"] & (issues["known_at"] >= w)
    closed = orders & issues["closed_at"].notna()
    counts["platform orders"] = (s["platform_orders"], None, orders.sum())
    counts["closed on time (KPI)"] = (round(s["kpi_on_time_share"] * closed.sum()), None,
                                      issues.loc[closed, "kpi_on_time"].sum())
    counts["need met"] = (round(s["need_met_share"] * closed.sum()), None,
                          (closed & resolved).sum())
    for what, values in counts.items():
        seen = {int(v) for v in values if v is not None}
        assert len(seen) == 1, f"{what}: summary, daily, issues = {values}"
    # Nothing in the issue table happened at or after the run's end.
    for column in ("known_at", "dispatched_at", "started_at", "resolved_at", "closed_at"):
        assert not (issues[column] >= w + days).any(), column
    assert issues.loc[~resolved, "resolved_level"].isna().all()
    assert np.isclose(s["carried_over"] + daily["raised"].sum() - daily["resolved"].sum(),
                      daily["open"].iloc[-1])
    if not overrides:  # without the flow the platform closes an order when its need is met
        assert issues["closed_at"].equals(issues["resolved_at"])
        assert s["kpi_on_time_share"] == pytest.approx(
            (issues.loc[closed, "on_time"]).mean(), nan_ok=True)


def test_a_longer_run_continues_the_shorter_one() -> None:
    """Stopping at day 20 and reading the tables changes nothing of the run itself."""
    short = simulate(load_scenario(SCENARIOS / "nanjing_baseline.toml"), days=20, seed=1)
    long = simulate(load_scenario(SCENARIOS / "nanjing_baseline.toml"), days=21, seed=1)
    assert long.daily.iloc[:20].equals(short.daily)
