"""Shared test helpers: scenario builders for controlled experiments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.scenario import DEFAULT_CATEGORIES, Scenario, load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def littles_law(issues: Any, lo: float, hi: float, end: float) -> tuple[float, float]:
    """``(L, lambda W)`` for known issues in the window [lo, hi) of a run ending at
    ``end``: L the time-average number known and open in the window, lambda the rate
    they became known in it, W their mean time from known to resolved (the open ones
    counted until ``end``)."""
    known = issues[issues["known_at"].notna()]
    start = known["known_at"].clip(lower=lo)
    stop = known["resolved_at"].fillna(end).clip(upper=hi)
    area = float((stop - start).clip(lower=0).sum()) / (hi - lo)
    inside = known[(known["known_at"] >= lo) & (known["known_at"] < hi)]
    lw = len(inside) / (hi - lo) * float((inside["resolved_at"].fillna(end)
                                          - inside["known_at"]).mean())
    return area, lw


def baseline(**overrides: Any) -> Scenario:
    return load_scenario(SCENARIOS / "nanjing_baseline.toml", overrides or None)


def queue_only(c: int, arrivals_per_day: float, mean_hours: float, *,
               dist: str = "exponential", residents: int = 1000) -> Scenario:
    """One grid, ``c`` workers round the clock, one Poisson stream of grid-level issues:
    burden, patrols, micro-grids, riders, escalation and trust feedback all off."""
    data: dict[str, Any] = {
        "name": f"mmc_{c}",
        "layout": {"scale": "community", "residents_per_community": residents,
                   "grids_per_community": 1, "micro_grids_per_community": 1},
        "staffing": {"workers_per_10k": c * 10_000 / residents, "patrol_find_per_hour": 0.0},
        "burden": {"work_hours_per_day": 24.0, "shift_start_hour": 0.0, "workdays_per_week": 7,
                   "ledgers": 0, "certificate_items": 0, "inspection_hours": 0.0,
                   "meeting_hours": 0.0, "form_hours": 0.0, "visit_hours": 0.0},
        "micro_grid": {"coverage": 0.0},
        "neighbourhoods": {"mix": "uniform"},  # no property company takes repairs
        "mobile_grid": {"riders_per_10k": 0.0},
        "volunteers": {"rate": 0.0},
        "social_orgs": {"hours_per_week_per_10k": 0.0},
        "residents": {"report_base": 1.0, "trust_report_weight": 0.0,
                      "elderly_report_factor": 1.0, "no_digital_report_factor": 1.0,
                      "party_report_factor": 1.0, "report_delay_days": 0.0,
                      "trust_gain_on_time": 0.0, "trust_loss_late": 0.0,
                      "trust_loss_incident": 0.0},
        "channels": {"grid_worker": 1.0, "micro_grid_worker": 0.0, "hotline": 0.0, "app": 0.0},
        "categories": {name: {"rate_per_1000_per_year": 0.0} for name in DEFAULT_CATEGORIES},
    }
    data["categories"]["repair"] = {
        "rate_per_1000_per_year": arrivals_per_day * 365 * 1000 / residents,
        "hidden_share": 0.0, "deadline_days": 365.0, "collective_share": 0.0,
        "levels": {"grid": 1.0, "community": 0.0, "street": 0.0, "department": 0.0},
        "handling": {"dist": dist, "mean_hours": mean_hours, "cv": 1.0},
    }
    return scenario_from_dict(data)
