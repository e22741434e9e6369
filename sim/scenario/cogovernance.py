"""Co-governance (共建共治): volunteers, social organisations, utilities' staff in the grids
and residents' consultation meetings."""

from __future__ import annotations

from typing import Literal

from sim.scenario.base import _Section, cited


class Volunteers(_Section):
    """Volunteers (志愿者) matched to residents' care needs by skill and hours [F23]."""

    rate: float = cited(0.03, "assumption; F23 four-level volunteer network", ge=0, le=1)
    hours_per_week: float = cited(2.0, "assumption", ge=0, le=80)
    matched_share: float = cited(
        0.05, "assumption: share of volunteers' hours given to matched one-to-one requests "
        "(the rest goes to events, patrols and campaigns)", ge=0, le=1
    )
    skills: int = cited(
        3, "assumption: kinds of care need (companionship, errands, home help); each "
        "volunteer has one", ge=1, le=20
    )
    trust_elasticity: float = cited(
        1.0, "assumption: hours scale with the volunteer's trust", ge=0, le=5
    )
    start_hour: float = cited(9.0, "assumption: volunteers' hours start at 9:00", ge=0, lt=24)


class SocialOrgs(_Section):
    """Social organisations and social workers (社会组织, 社工) [F21, F22, F24, F27]."""

    hours_per_week_per_10k: float = cited(
        40.0, "assumption; F22: a social-work station in every street", ge=0, le=10_000,
    )
    projects_per_10k: float = cited(
        1.7, "F22: 1,630+ funded community projects / 9.547 M residents [F2]", ge=0, le=100
    )
    project_hours_per_week: float = cited(
        6.0, "assumption: hours a funded project gives its category each week", ge=0, le=80
    )
    charity_fund_share: float = cited(
        0.057, "F24: 71 community charity funds / 1,253 communities [P1]", ge=0, le=1
    )
    fund_projects: int = cited(
        1, "assumption: projects a community charity fund pays for", ge=0, le=20
    )
    menu: Literal["residents", "assigned"] = cited(
        "residents", "F19: residents order the menu (projects follow residents' demand); "
        "'assigned': projects spread evenly over service categories"
    )
    five_society_linkage: bool = cited(
        True, "F21: community, social organisations, social workers, volunteers and "
        "charity resources work care and service issues as one team"
    )


class Utilities(_Section):
    """Utilities (水电气讯): power, water, gas and telecom staff who take utility issues."""

    in_grid: bool = cited(True, "F17: power, water, gas, telecom staff embedded in grids")
    staff_per_community: float = cited(0.5, "assumption", ge=0, le=50)
    days_per_week: int = cited(7, "assumption: utilities answer every day", ge=1, le=7)


class Consultation(_Section):
    """Consultation (协商议事) on collective issues [F8, F9]."""

    every_days: int = cited(
        30, "assumption: monthly micro-consultation [F9]; F8 requires >= 2 a year", ge=1,
        le=365,
    )
    assembly_every_days: int = cited(
        182, "F8: residents' representative assembly at least twice a year", ge=1, le=365
    )
    issues_per_meeting: int = cited(
        10, "assumption: collective issues one micro-consultation can take", ge=1, le=100
    )
    target_utilisation: float | None = cited(
        None, "assumption: None = issues_per_meeting as set. Else each community tables, "
        "per meeting, enough issues that collective issues arriving (its residents x the "
        "categories' collective rates, per every_days) fill this share of what its "
        "meetings settle (x agree_share x the chance of a quorum at the starting trust): "
        "below 1 the agenda has a steady state (docs/model.md, Consultation)", gt=0, le=1)
    prep_hours: float = cited(
        4.0, "assumption: worker hours to prepare and hold a meeting", ge=0, le=100
    )
    prep_hours_per_issue: float = cited(
        1.0, "assumption: extra worker hours per issue on the agenda", ge=0, le=100
    )
    turnout_per_trust: float = cited(
        0.8, "assumption: turnout = this x the community's mean trust", ge=0, le=5
    )
    quorum: float = cited(
        0.4, "assumption: turnout a meeting needs to decide", ge=0, le=1
    )
    agree_share: float = cited(
        0.8, "assumption: chance a quorate meeting agrees on an issue; else re-tabled",
        ge=0, le=1
    )
    representatives: int = cited(
        30, "assumption: residents' representatives invited to a meeting", ge=1, le=1000
    )

