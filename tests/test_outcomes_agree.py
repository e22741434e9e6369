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


@pytest.mark.parametrize(("name", "days", "seed"), CASES)
def test_summary_daily_table_and_issue_log_count_the_same(name, days, seed) -> None:
    result = simulate(load_scenario(SCENARIOS / f"{name}.toml"), days=days, seed=seed)
    s, daily, issues = result.summary, result.daily, result.issues
    resolved = issues["resolved_at"].notna()
    assert len(daily) == days and daily["day"].iloc[-1] == days - 1
    assert s["days"] == days
    counts = {
        "raised": (s["raised"], daily["raised"].sum(), len(issues)),
        "known": (s["known"], daily["known"].sum(), issues["known_at"].notna().sum()),
        "resolved": (s["resolved"], daily["resolved"].sum(), resolved.sum()),
        "resolved on time": (round(s["on_time_share"] * s["resolved"]),
                             daily["resolved_on_time"].sum(),
                             issues.loc[resolved, "on_time"].sum()),
        "resolved late": (s["resolved"] - round(s["on_time_share"] * s["resolved"]),
                          daily["resolved_late"].sum(), (~issues.loc[resolved, "on_time"]).sum()),
        "open at the end": (s["open_at_end"], daily["open"].iloc[-1], (~resolved).sum()),
        "incidents": (s["incidents"], daily["incidents"].sum(), issues["became_incident"].sum()),
        "escalations": (round(s["escalation_share"] * s["resolved"]),
                        None, (issues.loc[resolved, "escalations"] > 0).sum()),
        "escalation hops": (None, daily["escalations"].sum(), issues["escalations"].sum()),
        "passed on": (s["passed_on"], daily["passed_on"].sum(), None),
        "meetings failed": (s["meetings_failed"], daily["meetings_failed"].sum(), None),
    }
    for what, values in counts.items():
        seen = {int(v) for v in values if v is not None}
        assert len(seen) == 1, f"{what}: summary, daily, issues = {values}"
    # Nothing in the issue table happened at or after the run's end.
    for column in ("known_at", "dispatched_at", "started_at", "resolved_at"):
        assert not (issues[column] >= days).any(), column
    assert issues.loc[~resolved, "resolved_level"].isna().all()
    assert np.isclose(daily["raised"].cumsum().iloc[-1] - daily["resolved"].sum(),
                      daily["open"].iloc[-1])


def test_a_longer_run_continues_the_shorter_one() -> None:
    """Stopping at day 20 and reading the tables changes nothing of the run itself."""
    short = simulate(load_scenario(SCENARIOS / "nanjing_baseline.toml"), days=20, seed=1)
    long = simulate(load_scenario(SCENARIOS / "nanjing_baseline.toml"), days=21, seed=1)
    assert long.daily.iloc[:20].equals(short.daily)
