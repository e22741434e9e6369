"""The annual cost of a policy, in yuan (成本): what its levers buy in a year.

Costed: community (grid) workers [F30], part-time micro-grid workers' stipends [F16],
the pioneer points mobile grid workers earn [F25, F26], platform staff [F32], funded
community projects [F22], social-work station hours [F22] and support for volunteers'
hours [F23]. Unit costs are the scenario's ``[costs]`` section, each with
its source. Offices, departments and utilities are the same under every policy and are
not counted: the figure compares policies, it is not a city budget.

Costs are annual whatever the simulated period, and they come from what the model
actually built (rounding per community, micro-grids drawn as covered, projects placed)
and, for points, what riders earned (scaled to a year), so a run's ``annual_cost``
matches the people in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model import GovernanceModel
    from sim.scenario import Scenario

WEEKS_PER_YEAR = 52.0
DAYS_PER_YEAR = 365.0

COST_KEYS: tuple[str, ...] = (
    "annual_cost", "annual_cost_per_resident", "cost_community_workers", "cost_micro_grid",
    "cost_rider_points", "cost_platform", "cost_projects", "cost_social_work",
    "cost_volunteers",
)


@dataclass(frozen=True)
class Headcount:
    """Who (and what) a policy pays for, as the model built them."""

    residents: int
    community_workers: int
    micro_grid_workers: int
    volunteers: int
    projects: int = 0
    platform_staff: float = 0.0
    rider_points: float = 0.0  # pioneer points earned in the run [F26]
    days: int = 0  # days the run simulated (points are scaled to a year)


def headcount(model: GovernanceModel) -> Headcount:
    """The paid (or supported) people and projects of a built model."""
    residents = len(model.residents_list)
    return Headcount(
        residents=residents,
        community_workers=len(model._grid_worker_list),
        micro_grid_workers=len(model.micro_grid_workers),
        volunteers=len(model.volunteer_of),
        projects=int(getattr(model, "projects", 0)),
        platform_staff=platform_staff(model.p, residents),
        rider_points=float(sum(r.points for r in getattr(model, "_rider_list", ()))),
        days=len(model.recorder.rows),
    )


def platform_staff(scenario: Scenario, residents: int) -> float:
    """Platform staff [F32] a scenario funds, from its ``[platform]`` head-count rates.

    Every key naming staff or dispatchers per 10,000 / 100,000 residents counts (today
    ``intake_staff_per_100k`` and ``dispatchers_per_100k``), so keys added later are
    costed too; at community scale this is the community's share of the centres.
    """
    section: Any = getattr(scenario, "platform", None)
    fields = type(section).model_fields if section is not None else {}
    total = 0.0
    for name in fields:
        if not ("staff" in name or "dispatcher" in name):
            continue
        value = getattr(section, name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if name.endswith("per_10k"):
            total += float(value) * residents / 10_000
        elif name.endswith("per_100k"):
            total += float(value) * residents / 100_000
    return total


def annual_costs(scenario: Scenario, heads: Headcount) -> dict[str, float]:
    """The annual cost by line and in all (yuan), and per resident."""
    c = scenario.costs
    points_a_year = heads.rider_points * DAYS_PER_YEAR / heads.days if heads.days else 0.0
    station_hours_week = scenario.social_orgs.hours_per_week_per_10k * heads.residents / 10_000
    lines = {
        "cost_community_workers": heads.community_workers * c.community_worker_yuan,
        "cost_micro_grid": heads.micro_grid_workers * c.micro_grid_stipend_yuan,
        # Points are paid at the scheme's strength: none at incentive 0, in full at 1.
        "cost_rider_points": points_a_year * scenario.mobile_grid.incentive
        * c.rider_point_yuan,
        "cost_platform": heads.platform_staff * c.platform_staff_yuan,
        "cost_projects": heads.projects * c.project_yuan,
        "cost_social_work": station_hours_week * WEEKS_PER_YEAR * c.social_work_hour_yuan,
        "cost_volunteers": heads.volunteers * scenario.volunteers.hours_per_week
        * WEEKS_PER_YEAR * c.volunteer_hour_yuan,
    }
    total = float(sum(lines.values()))
    return {
        "annual_cost": total,
        "annual_cost_per_resident": total / heads.residents if heads.residents else float("nan"),
        **{k: float(v) for k, v in lines.items()},
    }
