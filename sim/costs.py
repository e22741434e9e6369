"""The annual cost of a policy, in yuan (成本): what its levers buy in a year.

Costed: community (grid) workers [F30], part-time micro-grid workers' stipends [F16],
the riders' points scheme for mobile grid workers [F25, F26], platform staff [F32]
(when the scenario staffs the platform), funded social-work projects [F22] and support
for volunteers' hours [F23]. Unit costs are the scenario's ``[costs]`` section, each with
its source. Offices, departments and utilities are the same under every policy and are
not counted: the figure compares policies, it is not a city budget.

Costs are annual whatever the simulated period, and they come from the headcount the
model actually built (rounding per community, micro-grids drawn as covered), so a
run's ``annual_cost`` matches the people in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model import GovernanceModel
    from sim.scenario import Scenario

WEEKS_PER_YEAR = 52.0

COST_KEYS: tuple[str, ...] = (
    "annual_cost", "annual_cost_per_resident", "cost_community_workers", "cost_micro_grid",
    "cost_rider_points", "cost_platform", "cost_projects", "cost_volunteers",
)


@dataclass(frozen=True)
class Headcount:
    """Who a policy pays for, as the model built them."""

    residents: int
    community_workers: int
    micro_grid_workers: int
    mobile_grid_workers: int
    volunteers: int
    platform_staff: float = 0.0


def headcount(model: GovernanceModel) -> Headcount:
    """The paid (or supported) people of a built model."""
    from sim.agents import Volunteer

    residents = len(model.residents_list)
    return Headcount(
        residents=residents,
        community_workers=len(model._grid_worker_list),
        micro_grid_workers=len(model.micro_grid_workers),
        mobile_grid_workers=sum(1 for r in model.riders if r.enrolled),
        volunteers=len(model.agents_by_type.get(Volunteer, ())),
        platform_staff=platform_staff(model.p, residents),
    )


def platform_staff(scenario: Scenario, residents: int) -> float:
    """Platform staff a scenario sets, read from its ``[platform]`` keys by name.

    A key ``staff`` is a head count, ``staff_per_10k`` / ``staff_per_100k`` are rates per
    residents; a scenario schema without such a key staffs no platform (0).
    """
    section: Any = getattr(scenario, "platform", None)
    fields = type(section).model_fields if section is not None else {}
    for name in fields:
        if not name.startswith("staff"):
            continue
        value = getattr(section, name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if name.endswith("per_10k"):
            return float(value) * residents / 10_000
        if name.endswith("per_100k"):
            return float(value) * residents / 100_000
        if name in ("staff", "staff_count"):
            return float(value)
    return 0.0


def annual_costs(scenario: Scenario, heads: Headcount) -> dict[str, float]:
    """The annual cost by line and in all (yuan), and per resident."""
    c = scenario.costs
    mobile = scenario.mobile_grid
    so_hours_week = scenario.social_orgs.hours_per_week_per_10k * heads.residents / 10_000
    lines = {
        "cost_community_workers": heads.community_workers * c.community_worker_yuan,
        "cost_micro_grid": heads.micro_grid_workers * c.micro_grid_stipend_yuan,
        "cost_rider_points": heads.mobile_grid_workers * mobile.incentive
        * c.rider_points_per_year * c.rider_point_yuan,
        "cost_platform": heads.platform_staff * c.platform_staff_yuan,
        # Projects are funded whole: 30 hours a week needs two 20-hour projects.
        "cost_projects": _projects(so_hours_week, c.project_hours_per_week) * c.project_yuan,
        "cost_volunteers": heads.volunteers * scenario.volunteers.hours_per_week
        * WEEKS_PER_YEAR * c.volunteer_hour_yuan,
    }
    total = float(sum(lines.values()))
    return {
        "annual_cost": total,
        "annual_cost_per_resident": total / heads.residents if heads.residents else float("nan"),
        **{k: float(v) for k, v in lines.items()},
    }


def _projects(hours_per_week: float, per_project: float) -> int:
    if hours_per_week <= 1e-9:
        return 0
    return math.ceil(hours_per_week / per_project - 1e-9)
