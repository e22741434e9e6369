"""Scenario files: schema, defaults with their sources, loading, inheritance, overrides.

A scenario file is TOML. It states only what differs from the defaults below (or from
the file it ``extends``), and may cite a source for each value it sets in a
``[sources]`` table keyed by dotted parameter name. Every default in this module
carries the fact id (``F16``, ``P2``: see ``docs/model.md``) or public source it comes
from, or says plainly that it is an assumption. ``govsim show FILE`` prints the fully
resolved parameters with those sources.

Any problem with a file raises :class:`ScenarioError`, whose message is one line naming
the file, the key and what is allowed.
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.errors import InputError, shown, type_name
from sim.limits import MAX_EXTENDS, check_run_memory
from sim.outputs import name_problem

Level = Literal["grid", "community", "street", "department"]
LEVELS: tuple[str, ...] = ("grid", "community", "street", "department")
Scale = Literal["community", "street", "district", "city"]

# Scale presets: how many districts, streets and communities a run lays out.
# Nanjing: 12 districts/areas [F1], 1,253 communities and villages [P1], about 100
# streets and towns (assumption from public division lists) -> 8 streets x 13 communities.
SCALE_PRESETS: dict[str, dict[str, int]] = {
    "community": {"districts": 1, "streets_per_district": 1, "communities_per_street": 1},
    "street": {"districts": 1, "streets_per_district": 1, "communities_per_street": 12},
    "district": {"districts": 1, "streets_per_district": 8, "communities_per_street": 13},
    "city": {"districts": 12, "streets_per_district": 8, "communities_per_street": 13},
}


class ScenarioError(InputError):
    """A scenario file or override is wrong; the message is one line for the user."""


def cited(default: Any, source: str, **constraints: Any) -> Any:
    """A pydantic field whose default carries its source (a fact id or 'assumption')."""
    return Field(default, json_schema_extra={"source": source}, **constraints)


class _Section(BaseModel):
    # Unknown keys are errors, types are not coerced (a string is not a number) and
    # assignments are re-validated: a typo must never silently fall back to a default.
    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)


class RunParams(_Section):
    days: int = cited(365, "assumption: one simulated year", ge=1, le=3650)
    seed: int = cited(1, "assumption: any fixed root seed", ge=0, le=2**63 - 1)


class Layout(_Section):
    scale: Scale = cited("community", "assumption: one community, the workshop unit")
    districts: int | None = cited(None, "scale preset [F1]", ge=1, le=12)
    streets_per_district: int | None = cited(None, "scale preset (assumption)", ge=1, le=50)
    communities_per_street: int | None = cited(None, "scale preset [P1]", ge=1, le=60)
    residents_per_community: int = cited(
        7620, "F2, P1: 9.547 M residents / 1,253 communities", ge=50, le=100_000
    )
    grids_per_community: int = cited(
        14, "P4: 300-550 people per grid -> 7,620 / 550", ge=1, le=200
    )
    micro_grids_per_community: int = cited(
        33, "F16, P1: 41,000 micro-grids / 1,253 communities", ge=1, le=1000
    )

    @model_validator(mode="after")
    def _fill_preset(self) -> Layout:
        preset = SCALE_PRESETS[self.scale]
        for key, value in preset.items():
            if getattr(self, key) is None:
                object.__setattr__(self, key, value)
        if self.micro_grids_per_community < self.grids_per_community:
            raise ValueError(
                "micro_grids_per_community must be >= grids_per_community "
                "(every grid holds at least one micro-grid)"
            )
        if self.residents_per_community < self.micro_grids_per_community:
            raise ValueError("residents_per_community must be >= micro_grids_per_community")
        return self

    @property
    def communities(self) -> int:
        return self.districts * self.streets_per_district * self.communities_per_street

    @property
    def residents(self) -> int:
        return self.communities * self.residents_per_community


class Residents(_Section):
    elderly_share: float = cited(0.20, "assumption: about one in five residents aged 60+",
                                 ge=0, le=1)
    digital_access: float = cited(0.90, "assumption: share of non-elderly who use apps",
                                  ge=0, le=1)
    digital_access_elderly: float = cited(0.50, "assumption", ge=0, le=1)
    party_member_share: float = cited(
        0.07, "public: 99 M CPC members / 1.41 B people (2023)", ge=0, le=1
    )
    trust_mean: float = cited(0.60, "assumption: initial trust in the community, 0-1",
                              ge=0, le=1)
    trust_sd: float = cited(0.15, "assumption", ge=0, le=0.5)
    report_base: float = cited(
        0.70, "assumption; under-reporting is real [P9]", ge=0, le=1
    )
    elderly_report_factor: float = cited(
        0.70, "P9: older neighbourhoods under-report", ge=0, le=2
    )
    no_digital_report_factor: float = cited(
        0.85, "P9: poorer neighbourhoods under-report (assumption on size)", ge=0, le=2
    )
    party_report_factor: float = cited(
        1.20, "F5: Party members lead residents (assumption on size)", ge=0, le=3
    )
    trust_report_weight: float = cited(
        1.0, "assumption: report probability rises with trust", ge=0, le=5
    )
    trust_reference: float = cited(
        0.60, "assumption: the trust level at which report_base and volunteers' stated hours "
        "apply (trust acts as an absolute level)", gt=0, le=1
    )
    distrust_hotline: float = cited(
        2.0, "assumption: each point of trust below the reference raises the weight of the "
        "12345 hotline by this factor (distrust bypasses the community)", ge=0, le=20
    )
    floating_report_factor: float = cited(
        0.75, "P9: newer and poorer residents under-report (assumption on size)", ge=0, le=2
    )
    give_up_days: float = cited(
        21.0, "assumption: an unreported issue that is no hazard and that nobody has found "
        "within this time is given up: it stays unknown (P9: under-reported needs go unmet)",
        gt=0, le=3650
    )
    report_delay_days: float = cited(
        0.25, "assumption: mean time from noticing to reporting", ge=0, le=30
    )
    night_share: float = cited(
        0.375, "assumption: share of issues that arise between 22:00 and 07:00; 0.375 (9 "
        "of 24 hours) is evenly round the clock, less puts them in waking hours "
        "(scenarios/calibrated_baseline.toml fits it)", ge=0, le=1
    )
    trust_gain_on_time: float = cited(0.03, "assumption", ge=0, le=1)
    trust_loss_late: float = cited(0.05, "assumption", ge=0, le=1)
    trust_loss_incident: float = cited(0.15, "assumption", ge=0, le=1)


class NeighbourhoodType(_Section):
    """A kind of community: its share of communities, size and residents [F2, F3, P9]."""

    share: float = Field(ge=0, le=1)
    size_factor: float = Field(1.0, gt=0, le=10)
    elderly_share: float = Field(ge=0, le=1)
    digital_access: float = Field(ge=0, le=1)
    digital_access_elderly: float = Field(ge=0, le=1)
    party_member_share: float = Field(ge=0, le=1)
    floating_share: float = Field(ge=0, le=1)
    # Share of such communities with a property-management company ("red property" [F28]).
    property_management: float = Field(ge=0, le=1)
    # Multipliers of the categories' arrival rates, by category name.
    issue_rates: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _rates_positive(self) -> NeighbourhoodType:
        for name, factor in self.issue_rates.items():
            if not 0 <= factor <= 100:
                raise ValueError(f"issue_rates.{name} must be between 0 and 100")
        return self


def _nt(**kw: Any) -> dict[str, Any]:
    return kw


# Community types (assumption on every figure unless cited): shares with 12.8% rural
# villages [F3]; old estates older and less online, urban villages young and floating
# ([F2]: 12.2 M actual vs 9.547 M registered), commodity estates with property companies.
DEFAULT_NEIGHBOURHOOD_TYPES: dict[str, dict[str, Any]] = {
    "old_estate": _nt(share=0.30, size_factor=1.0, elderly_share=0.30, digital_access=0.85,
                      digital_access_elderly=0.35, party_member_share=0.09,
                      floating_share=0.12, property_management=0.3,
                      issue_rates={"repair": 1.5, "safety_hazard": 1.3, "care": 1.4}),
    "commodity_estate": _nt(share=0.40, size_factor=1.2, elderly_share=0.14,
                            digital_access=0.96, digital_access_elderly=0.70,
                            party_member_share=0.07, floating_share=0.15,
                            property_management=1.0,
                            issue_rates={"repair": 0.7, "property": 1.4, "care": 0.7}),
    "resettlement_estate": _nt(share=0.10, size_factor=1.1, elderly_share=0.22,
                               digital_access=0.85, digital_access_elderly=0.40,
                               party_member_share=0.06, floating_share=0.10,
                               property_management=0.8,
                               issue_rates={"neighbour_dispute": 1.4, "property": 1.2}),
    "urban_village": _nt(share=0.072, size_factor=0.9, elderly_share=0.10,
                         digital_access=0.80, digital_access_elderly=0.35,
                         party_member_share=0.03, floating_share=0.60,
                         property_management=0.0,
                         issue_rates={"environment": 1.6, "safety_hazard": 1.6,
                                      "public_order": 1.8, "repair": 1.2}),
    "rural_village": _nt(share=0.128, size_factor=0.5, elderly_share=0.28,
                         digital_access=0.75, digital_access_elderly=0.30,
                         party_member_share=0.06, floating_share=0.08,
                         property_management=0.0,
                         issue_rates={"environment": 1.2, "care": 1.3, "repair": 0.8}),
}
NEIGHBOURHOOD_TYPES_SOURCE = (
    "F3: 12.8% rural; F2: floating population; P9: unequal reporting; every other figure "
    "an assumption"
)


class Neighbourhoods(_Section):
    """Community types (老旧小区, 商品房小区, 安置房, 城中村, 村) and their sizes."""

    mix: Literal["typed", "uniform"] = cited(
        "typed", "F3, P9: communities differ (typed: each community's type drawn from the "
        "shares below; uniform: every community alike, with the [residents] traits and no "
        "spread of sizes)"
    )
    size_cv: float = cited(
        0.35, "assumption: spread of community sizes (lognormal), beyond the type's factor",
        ge=0, le=3
    )
    residents_per_building: int = cited(
        80, "assumption: a residential building (楼栋) of ~30 households", ge=1, le=5000
    )
    household_size: float = cited(
        2.62, "public: China's 2020 census, 2.62 people per household", ge=1, le=10
    )
    property_cut: float = cited(
        0.5, "assumption: share of repair and property issues a property company takes "
        "where there is one [F28]", ge=0, le=1
    )
    property_staff_per_10k: float = cited(
        5.0, "assumption: property-company staff who take residents' repair and property "
        "issues", ge=0, le=1000
    )
    types: dict[str, NeighbourhoodType] = Field(
        default_factory=lambda: {k: NeighbourhoodType(**v)
                                 for k, v in DEFAULT_NEIGHBOURHOOD_TYPES.items()},
        json_schema_extra={"source": NEIGHBOURHOOD_TYPES_SOURCE},
    )

    @model_validator(mode="after")
    def _shares(self) -> Neighbourhoods:
        if not self.types:
            raise ValueError("types must not be empty")
        total = sum(t.share for t in self.types.values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"types shares must sum to 1 (they sum to {total:.4g})")
        return self


class Ties(_Section):
    """Residents' ties, for word of mouth: households, neighbours, a few longer ties."""

    building: int = cited(4, "assumption: neighbours known in the same building", ge=0, le=50)
    micro_grid: int = cited(2, "assumption: acquaintances in the micro-grid", ge=0, le=50)
    community: int = cited(1, "assumption: longer ties across the community", ge=0, le=50)
    household_weight: float = cited(
        0.5, "assumption: share of an outcome's trust change passed to household members",
        ge=0, le=1
    )
    tie_weight: float = cited(
        0.15, "assumption: share passed to each other tie (word of mouth, damped)", ge=0, le=1
    )


class Channels(_Section):
    """Share of reports by channel; shares are renormalised over the channels a
    resident can use (an app needs digital access, a micro-grid worker must exist)."""

    grid_worker: float = cited(0.35, "assumption", ge=0, le=1)
    micro_grid_worker: float = cited(0.25, "assumption", ge=0, le=1)
    hotline: float = cited(0.30, "assumption; P5: 90.7% of 12345 requests by phone", ge=0, le=1)
    app: float = cited(0.10, "assumption; F33 smart-community apps", ge=0, le=1)
    relay_delay_days: float = cited(
        0.25, "assumption: a micro-grid worker relays to the grid worker", ge=0, le=30
    )

    @model_validator(mode="after")
    def _some_channel(self) -> Channels:
        if self.grid_worker + self.micro_grid_worker + self.hotline + self.app <= 0:
            raise ValueError("at least one channel share must be > 0")
        return self


class Burden(_Section):
    """A grid worker's day and its administrative burden (小马拉大车) [F10-F13].

    Tasks from above land on the community and its grid workers share them: each line
    is stated in hours per worker-day *at the reference staffing* (18 per 10,000 [F30]),
    so a community with more workers spreads the same tasks thinner. Meetings are per
    worker (everyone attends); inspections (迎检迎查) come as visits on some days, when
    they take hours from every worker.
    """

    work_hours_per_day: float = cited(
        8.0, "assumption: statutory 8-hour day (PRC Labour Law art. 36)", gt=0, le=24
    )
    shift_start_hour: float = cited(8.5, "assumption", ge=0, lt=24)
    workdays_per_week: int = cited(5, "assumption: 40-hour week", ge=1, le=7)
    reference_workers_per_10k: float = cited(
        18.0, "F30: the staffing at which the burden lines below are stated", gt=0, le=200
    )
    ledgers: int = cited(4, "P3: ledgers cut from 30+ a year to 4", ge=0, le=200)
    ledger_hours_each: float = cited(
        0.105, "assumption: calibrated so the 2012 burden gives ~70% admin time [P2]", ge=0,
        le=8
    )
    certificate_items: int = cited(
        76, "assumption: 56 removed [F12] of about 76 items", ge=0, le=1000
    )
    certificate_items_removed: int = cited(0, "F12: 56 removed this year", ge=0, le=1000)
    certificate_hours_per_item: float = cited(
        0.0118, "assumption: 76 items ~ 0.9 h per worker-day", ge=0, le=1
    )
    inspection_hours: float = cited(
        0.8, "assumption: calibrated with P2 (70% admin before reform); mean per worker-day",
        ge=0, le=24
    )
    inspection_cut: float = cited(0.0, "F12: inspections cut by 57%", ge=0, le=1)
    inspection_visit_days: float = cited(
        0.10, "assumption: share of workdays an inspection visit lands on a community "
        "(the mean hours above come as whole blocks on those days)", gt=0, le=1
    )
    meeting_hours: float = cited(0.5, "assumption", ge=0, le=24)
    form_hours: float = cited(
        0.4, "assumption: forms and reports demanded by departments (P3: 25 tasks, 42 "
        "bodies removed)", ge=0, le=24
    )
    duty_list: bool = cited(
        True, "F13: two ledgers, three lists define what communities must / may do"
    )
    outside_duty_share: float = cited(
        0.5, "assumption: share of departments' forms outside the duty lists, refused when "
        "the lists are in force [F13]", ge=0, le=1
    )
    visit_hours: float = cited(
        1.6, "assumption: home visits (入户走访) per worker-day at the reference staffing; "
        "P2: ~20% of time on self-governance in 2012", ge=0, le=24
    )
    visit_find_per_hour: float = cited(
        0.03, "assumption: chance an hour of home visits finds a given hidden household "
        "issue in the grid", ge=0, le=1
    )

    @model_validator(mode="after")
    def _removed_le_items(self) -> Burden:
        if self.certificate_items_removed > self.certificate_items:
            raise ValueError("certificate_items_removed must be <= certificate_items")
        if self.shift_start_hour + self.work_hours_per_day > 24:
            raise ValueError("shift_start_hour + work_hours_per_day must be <= 24")
        return self

    def lines(self) -> dict[str, float]:
        """Mean hours per worker-day taken by each burden line, at the reference staffing."""
        forms = self.form_hours * ((1.0 - self.outside_duty_share) if self.duty_list else 1.0)
        return {
            "ledgers": self.ledgers * self.ledger_hours_each,
            "certificates": (self.certificate_items - self.certificate_items_removed)
            * self.certificate_hours_per_item,
            "inspections": self.inspection_hours * (1.0 - self.inspection_cut),
            "meetings": self.meeting_hours,
            "forms": forms,
        }

    def shared_hours(self) -> float:
        """Hours per worker-day, at the reference staffing, of the tasks a community's
        workers share (ledgers, certificates, forms)."""
        lines = self.lines()
        return lines["ledgers"] + lines["certificates"] + lines["forms"]

    def inspection_block(self) -> float:
        """Hours an inspection visit takes from each worker on the day it comes."""
        return self.inspection_hours / self.inspection_visit_days

    def admin_hours(self) -> float:
        """Mean administrative hours per worker-day at the reference staffing (capped by
        the working day)."""
        return min(sum(self.lines().values()), self.work_hours_per_day)


class Staffing(_Section):
    workers_per_10k: float = cited(18.0, "F30, P8: 18 community workers per 10,000", ge=0,
                                   le=200)
    community_office_staff: int = cited(
        2, "assumption: secretary and deputy take community-level work", ge=0, le=50
    )
    street_staff_per_community: float = cited(0.5, "assumption", ge=0, le=20)
    department_staff_per_100k: float = cited(13.0, "assumption", ge=0, le=1000)
    patrol_find_per_hour: float = cited(
        0.08, "assumption: chance an hour of patrol finds a given hidden issue in the grid",
        ge=0, le=1,
    )
    triage_hours: float = cited(
        0.5, "assumption: hours to assess and pass on an issue above one's level", ge=0, le=24
    )
    # Follow-through (calendar days after the desk work), by the level that resolves an
    # order; lognormal with cv works_cv; 0 = done when the desk work is. None is published: the
    # calibration fits them (scenarios/calibrated_baseline.toml).
    grid_works_days: float = cited(
        0.0, "assumption: mean days a grid-level order waits after its desk hours (an "
        "appointment, both parties of a dispute, a part)", ge=0, le=365
    )
    round_fix_share: float = cited(
        0.0, "assumption: share of the small matters a grid worker finds on a patrol or "
        "home visit that they settle there and then (现场处置), rather than taking them "
        "back to the grid's queue", ge=0, le=1
    )
    grid_at_once_share: float = cited(
        0.0, "assumption: share of grid-level orders settled when worked, with no "
        "follow-through (on the spot: 现场处置); the rest follow through for "
        "grid_works_days", ge=0, le=1
    )
    community_works_days: float = cited(
        0.0, "assumption: as grid_works_days, for orders the community level resolves "
        "(committee, property company, social organisations, volunteers)", ge=0, le=365
    )
    street_works_days: float = cited(
        0.0, "assumption: as grid_works_days, for a street office's orders (a contractor, "
        "materials, a second visit)", ge=0, le=365
    )
    department_works_days: float = cited(
        0.0, "assumption: as street_works_days, for a district department's orders",
        ge=0, le=365
    )
    works_cv: float = cited(
        1.0, "assumption: coefficient of variation of follow-through times (P7: closure "
        "times are lognormal and very spread)", gt=0, le=20
    )


class MicroGrid(_Section):
    """Micro-grids and their part-time workers (精网微格) [F16]."""

    coverage: float = cited(
        1.0, "F16: 46,000 micro-grid workers for 41,000 micro-grids", ge=0, le=1
    )
    notice_rate_per_day: float = cited(
        0.10, "assumption: daily chance to notice a given hidden issue", ge=0, le=1
    )
    small_fix_share: float = cited(
        0.30, "assumption: grid-level issues fixed on the spot", ge=0, le=1
    )
    small_fix_days: float = cited(
        0.5, "assumption: mean days an on-the-spot fix takes (exponential)", ge=0, le=30
    )


class MobileGrid(_Section):
    """New-employment workers: couriers, riders, drivers (新就业群体) [F20, F25, F26]."""

    riders_per_10k: float = cited(
        40.0, "assumption: couriers, riders and drivers working an area", ge=0, le=1000
    )
    mobile_grid_workers_per_10k: float = cited(
        0.0, "baseline without the programme; F25: 6,000+ city-wide = 6.3 per 10k", ge=0,
        le=1000,
    )
    micro_grids_per_route: int = cited(
        20, "assumption: micro-grids a rider passes in a day", ge=1, le=500
    )
    detect_per_pass: float = cited(
        0.02, "assumption: chance to spot a given hidden issue on one pass", ge=0, le=1
    )
    incentive: float = cited(
        0.0, "F26 pioneer-index points; 0 = none, 1 = full scheme", ge=0, le=1
    )
    incentive_effect: float = cited(
        1.0, "assumption: full points double the reporting of what is seen", ge=0, le=10
    )
    rider_friendly_share: float = cited(
        0.11, "F20: 136 rider-friendly places / 1,253 communities", ge=0, le=1
    )
    rider_friendly_effect: float = cited(
        0.5, "assumption: getting in the gate raises what riders see", ge=0, le=10
    )
    rider_friendly_cut: float = cited(
        0.6, "assumption: F20 rider-friendly sites cut riders' own issues (gate, parking) by "
        "this share", ge=0, le=1
    )
    unenrolled_report_factor: float = cited(
        0.1, "assumption: riders not enrolled report what they see this often, relative "
        "to mobile grid workers", ge=0, le=1
    )
    points_target: float = cited(
        12.0, "assumption: pioneer-index points [F26] at which a rider's boost is full",
        gt=0, le=10_000
    )
    dropout_per_year: float = cited(
        0.6, "assumption: yearly rate at which enrolled riders leave the programme "
        "(delivery work turns over fast)", ge=0, le=20
    )
    retention_effect: float = cited(
        0.6, "assumption: full points cut that dropout by this share [F26]", ge=0, le=1
    )

    @model_validator(mode="after")
    def _enrolled_le_riders(self) -> MobileGrid:
        if self.mobile_grid_workers_per_10k > self.riders_per_10k:
            raise ValueError("mobile_grid_workers_per_10k must be <= riders_per_10k")
        return self


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
    in_grid: bool = cited(True, "F17: power, water, gas, telecom staff embedded in grids")
    staff_per_community: float = cited(0.5, "assumption", ge=0, le=50)
    days_per_week: int = cited(7, "assumption: utilities answer every day", ge=1, le=7)


class Platform(_Section):
    """The "1 + 12 + N" one-network platform (一网统管): a city intake centre, district
    command centres, departments [F32]."""

    dispatch_delay_days: float = cited(
        0.25, "assumption: time for the receiving unit to sign for a dispatched order "
        "(the queueing at the centres is modelled on its own)", ge=0, le=30,
    )
    intake_staff_per_100k: float = cited(
        4.0, "assumption: 12345 call takers; ~1 request per resident a year [P5] at "
        "3.7 min keeps them ~3/4 busy", ge=0, le=1000,
    )
    intake_minutes: float = cited(
        3.7, "P5: ~3.7 min from call to work order (Beijing 12345, 2025)", ge=0, le=600
    )
    enquiries_per_request: float = cited(
        1.41, "P5: 58.5% of calls are enquiries per 41.5% needing action", ge=0, le=100
    )
    dispatchers_per_100k: float = cited(
        2.0, "assumption: district command-centre staff who triage and dispatch", ge=0,
        le=1000,
    )
    triage_minutes: float = cited(
        10.0, "assumption: triage and dispatch of a hotline order", ge=0, le=600
    )
    app_triage_minutes: float = cited(
        4.0, "assumption: an app report carries photo and location [F33], less triage",
        ge=0, le=600,
    )
    joint_share: float = cited(
        0.2, "assumption: share of department-level orders needing more than one "
        "department (cross-department work, F32)", ge=0, le=1,
    )
    joint_hours: float = cited(
        2.0, "assumption: centre hours to coordinate a joint order", ge=0, le=100
    )


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


class Costs(_Section):
    """Annual costs (成本), in yuan, of what the levers buy (see ``sim/costs.py``).

    Only what a policy changes is costed: community (grid) workers, micro-grid
    stipends, the riders' points, platform staff, funded projects, social-work station
    hours and volunteer support. Offices, departments and utilities are the same in
    every policy.
    """

    community_worker_yuan: float = cited(
        120_698.0, "public: NBS, average wage in urban non-private units 2023, 120,698 yuan "
        "(China Statistical Yearbook 2024); community workers paid about that (assumption)",
        ge=0, le=10_000_000,
    )
    micro_grid_stipend_yuan: float = cited(
        3_600.0, "assumption: a part-time micro-grid worker's stipend, 300 yuan a month [F16]",
        ge=0, le=1_000_000,
    )
    rider_point_yuan: float = cited(
        50.0, "assumption: what one pioneer-index point [F26] is worth to a rider at the full "
        "scheme (a voucher or service); paid at mobile_grid.incentive x this", ge=0,
        le=100_000,
    )
    platform_staff_yuan: float = cited(
        120_698.0, "public: NBS 2023 urban non-private average wage (as community workers; "
        "assumption)", ge=0, le=10_000_000,
    )
    project_yuan: float = cited(
        100_000.0, "assumption: one venture-philanthropy community project a year [F22]",
        ge=0, le=100_000_000,
    )
    social_work_hour_yuan: float = cited(
        60.0, "public: NBS 2023 average wage 120,698 yuan / ~2,000 working hours; a "
        "social-work station hour [F22] (assumption)", ge=0, le=100_000,
    )
    volunteer_hour_yuan: float = cited(
        5.0, "assumption: insurance, training and time-bank rewards per volunteer hour [F23]",
        ge=0, le=10_000,
    )


class Handling(_Section):
    dist: Literal["exponential", "deterministic", "lognormal", "gamma"] = cited(
        "lognormal", "P7: closure times fit gamma / lognormal"
    )
    mean_hours: float = cited(2.0, "assumption", gt=0, le=1000)
    cv: float = cited(1.0, "assumption: coefficient of variation", ge=0, le=10)


class Category(_Section):
    rate_per_1000_per_year: float = Field(ge=0, le=100_000)
    hidden_share: float = Field(0.0, ge=0, le=1)
    deadline_days: float = Field(gt=0, le=365)
    urgent: bool = False
    hazard: bool = False
    incident_after_days: float = Field(30.0, gt=0, le=3650)
    levels: dict[Level, float]
    handling: Handling = Field(default_factory=Handling)
    collective_share: float = Field(0.0, ge=0, le=1)
    service: Literal["none", "volunteer", "social_org"] = "none"
    utility: bool = False
    street_visible: bool = False  # riders passing by can see it [F25]
    # Social organisations can take it (mediation, legal aid, care) [F21, F22, F27].
    social_work: bool = False
    # A property-management company takes part of it where there is one [F28].
    property_managed: bool = False
    # Who raises it: residents (rate per 1,000 residents) or riders (per 1,000 riders:
    # their own problems of getting in the gate and parking [F20]).
    raised_by: Literal["residents", "riders"] = "residents"

    @model_validator(mode="after")
    def _levels_sum(self) -> Category:
        for level, share in self.levels.items():
            if not 0 <= share <= 1:
                raise ValueError(f"levels.{level} must be between 0 and 1")
        total = sum(self.levels.values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"levels shares must sum to 1 (they sum to {total:.4g})")
        return self


def _cat(**kw: Any) -> dict[str, Any]:
    return kw


# Categories follow the article's suggestion themes and 12345 practice [F15, P5, P6].
# Rates: about 430 actionable issues per 1,000 residents a year in all, in line with
# Beijing 12345's ~1 request per resident a year of which 41.5% need action [P5]; the
# split by category, hidden shares, deadlines and handling times are assumptions.
DEFAULT_CATEGORIES: dict[str, dict[str, Any]] = {
    "repair": _cat(property_managed=True, rate_per_1000_per_year=90, hidden_share=0.1,
                   deadline_days=3,
                   levels={"grid": 0.7, "community": 0.2, "street": 0.05, "department": 0.05},
                   handling={"dist": "lognormal", "mean_hours": 2.0, "cv": 1.0}),
    "property": _cat(property_managed=True, rate_per_1000_per_year=60, hidden_share=0.05,
                     deadline_days=5,
                     collective_share=0.2,
                     levels={"grid": 0.3, "community": 0.5, "street": 0.15, "department": 0.05},
                     handling={"dist": "lognormal", "mean_hours": 3.0, "cv": 1.0}),
    "neighbour_dispute": _cat(social_work=True, rate_per_1000_per_year=40, hidden_share=0.2,
                              deadline_days=7,
                              levels={"grid": 0.7, "community": 0.25, "street": 0.05},
                              handling={"dist": "lognormal", "mean_hours": 3.0, "cv": 1.2}),
    "safety_hazard": _cat(street_visible=True,
                          rate_per_1000_per_year=50, hidden_share=0.7, deadline_days=2,
                          urgent=True, hazard=True, incident_after_days=14,
                          levels={"grid": 0.6, "community": 0.1, "street": 0.15,
                                  "department": 0.15},
                          handling={"dist": "gamma", "mean_hours": 2.0, "cv": 0.8}),
    "environment": _cat(street_visible=True,
                        rate_per_1000_per_year=60, hidden_share=0.3, deadline_days=3,
                        collective_share=0.1,
                        levels={"grid": 0.5, "community": 0.3, "street": 0.1, "department": 0.1},
                        handling={"dist": "exponential", "mean_hours": 1.5, "cv": 1.0}),
    "care": _cat(social_work=True, rate_per_1000_per_year=40, hidden_share=0.3, deadline_days=3,
                 service="volunteer", levels={"grid": 0.8, "community": 0.2},
                 handling={"dist": "deterministic", "mean_hours": 2.0, "cv": 0.0}),
    "legal": _cat(social_work=True, rate_per_1000_per_year=15, hidden_share=0.1, deadline_days=10,
                  service="social_org", levels={"grid": 0.6, "community": 0.4},
                  handling={"dist": "lognormal", "mean_hours": 1.5, "cv": 0.8}),
    "utility": _cat(street_visible=True,
                    rate_per_1000_per_year=30, hidden_share=0.3, deadline_days=2,
                    urgent=True, hazard=True, incident_after_days=30, utility=True,
                    levels={"department": 1.0},
                    handling={"dist": "gamma", "mean_hours": 2.5, "cv": 0.7}),
    "public_order": _cat(street_visible=True,
                         rate_per_1000_per_year=25, hidden_share=0.2, deadline_days=3,
                         levels={"grid": 0.3, "community": 0.2, "street": 0.3,
                                 "department": 0.2},
                         handling={"dist": "lognormal", "mean_hours": 2.0, "cv": 1.0}),
    "suggestion": _cat(rate_per_1000_per_year=20, hidden_share=0.0, deadline_days=15,
                       collective_share=0.5, levels={"community": 0.7, "street": 0.3},
                       handling={"dist": "deterministic", "mean_hours": 1.0, "cv": 0.0}),
    # Riders' own issues: getting in the gate, parking (F20 "bee-walker plan"); per
    # 1,000 riders working the area, reported through the app.
    "rider_access": _cat(raised_by="riders", rate_per_1000_per_year=2000, hidden_share=0.0,
                         deadline_days=5,
                         levels={"grid": 0.3, "community": 0.6, "street": 0.1},
                         handling={"dist": "lognormal", "mean_hours": 1.5, "cv": 1.0}),
}
CATEGORIES_SOURCE = (
    "assumption; total ~430 per 1,000 a year from P5 (Beijing 12345), themes from F15; "
    "rider_access from F20 (assumption: 2 a rider a year)"
)


# Keys a pilot may change for its communities from its start day [F35]: what a
# community can try on its own (burden, consultation, property linkage).
PILOT_KEYS: tuple[str, ...] = (
    "burden.ledgers", "burden.ledger_hours_each", "burden.certificate_items_removed",
    "burden.inspection_cut", "burden.meeting_hours", "burden.form_hours", "burden.duty_list",
    "burden.visit_hours", "consultation.every_days", "consultation.issues_per_meeting",
    "consultation.quorum", "neighbourhoods.property_cut",
)


class Pilot(_Section):
    """Pilot units (创新观察点) [F35]: chosen streets and communities that apply
    ``overrides`` from ``start_day``; the rest are the comparison."""

    streets: int = cited(0, "F35: 6 streets as first innovation observation points "
                         "(pilot_f35.toml); 0 = no pilot streets", ge=0, le=10_000)
    communities: int = cited(0, "F35: 20 communities (pilot_f35.toml); drawn with the seed "
                             "among those not in a pilot street", ge=0, le=100_000)
    street_ids: list[int] = cited([], "assumption: none chosen by id")
    community_ids: list[int] = cited([], "assumption: none chosen by id")
    start_day: int = cited(0, "assumption: pilots start at the beginning", ge=0, le=3650)
    overrides: dict[str, Any] = cited({}, "assumption: a pilot changes nothing unless its "
                                      "file says what (F35 pilots: see pilot_f35.toml)")

    @property
    def active(self) -> bool:
        return bool(self.streets or self.communities or self.street_ids
                    or self.community_ids)


class Scenario(_Section):
    """A fully resolved scenario: every lever of the model, each with a default."""

    name: str = cited("unnamed", "the file's own name")
    description: str = cited("", "the file")
    run: RunParams = Field(default_factory=RunParams)
    layout: Layout = Field(default_factory=Layout)
    residents: Residents = Field(default_factory=Residents)
    neighbourhoods: Neighbourhoods = Field(default_factory=Neighbourhoods)
    ties: Ties = Field(default_factory=Ties)
    channels: Channels = Field(default_factory=Channels)
    burden: Burden = Field(default_factory=Burden)
    staffing: Staffing = Field(default_factory=Staffing)
    micro_grid: MicroGrid = Field(default_factory=MicroGrid)
    mobile_grid: MobileGrid = Field(default_factory=MobileGrid)
    volunteers: Volunteers = Field(default_factory=Volunteers)
    social_orgs: SocialOrgs = Field(default_factory=SocialOrgs)
    utilities: Utilities = Field(default_factory=Utilities)
    platform: Platform = Field(default_factory=Platform)
    consultation: Consultation = Field(default_factory=Consultation)
    pilot: Pilot = Field(default_factory=Pilot)
    costs: Costs = Field(default_factory=Costs)
    categories: dict[str, Category] = Field(
        default_factory=lambda: {k: Category(**v) for k, v in DEFAULT_CATEGORIES.items()},
        json_schema_extra={"source": CATEGORIES_SOURCE},
    )
    # Where each value came from, by dotted key; filled by the loader, not by users.
    sources: dict[str, str] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="after")
    def _some_category(self) -> Scenario:
        if not self.categories:
            raise ValueError("categories must not be empty")
        pl, lay = self.pilot, self.layout
        n_streets = lay.districts * lay.streets_per_district
        if pl.streets + len(pl.street_ids) > n_streets:
            raise ValueError(f"pilot.streets: {pl.streets + len(pl.street_ids)} pilot streets "
                             f"but the layout has {n_streets}")
        if pl.communities + len(pl.community_ids) > lay.communities:
            raise ValueError(f"pilot.communities: more pilot communities than the layout's "
                             f"{lay.communities}")
        for key, ids, top in (("street_ids", pl.street_ids, n_streets),
                              ("community_ids", pl.community_ids, lay.communities)):
            bad = [i for i in ids if not 0 <= i < top]
            if bad:
                raise ValueError(f"pilot.{key}: {bad[0]} is not an id from 0 to {top - 1}")
        for key in pl.overrides:
            if key not in PILOT_KEYS:
                raise ValueError(f"pilot.overrides.{key}: a pilot cannot change this key; "
                                 f"allowed: {', '.join(PILOT_KEYS)}")
        for name, kind in self.neighbourhoods.types.items():
            unknown = set(kind.issue_rates) - set(self.categories)
            if unknown:
                raise ValueError(
                    f"neighbourhoods.types.{name}.issue_rates: unknown category "
                    f"{sorted(unknown)[0]!r}; allowed: {', '.join(self.categories)}")
        return self

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        # The name becomes the output folder results/<name> (see sim/outputs.py).
        problem = name_problem(name)
        if problem:
            raise ValueError(f"{problem} (it names the output folder results/<name>)")
        return name

    # -- views -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The resolved parameters as plain data (what ``scenario.toml`` holds)."""
        return self.model_dump(mode="python", exclude={"sources"})

    def to_toml(self) -> str:
        """The fully resolved scenario as TOML, with each value's source as a comment."""
        return dump_toml(self.to_dict(), self.source_of)

    def flat(self) -> dict[str, Any]:
        """Every leaf parameter by dotted key."""
        return dict(_flatten(self.to_dict()))

    def source_of(self, key: str) -> str:
        """Where the value at dotted ``key`` comes from."""
        if key in self.sources:
            return self.sources[key]
        for prefix in _prefixes(key):
            if prefix in self.sources:
                return self.sources[prefix]
        return _default_source(key)

    def pilot_view(self) -> Scenario:
        """The scenario as its pilot units run it after the start day."""
        data = self.model_dump(mode="python", exclude={"sources"}, exclude_unset=True)
        data["categories"] = {k: v.model_dump() for k, v in self.categories.items()}
        data.pop("pilot", None)
        for key, value in self.pilot.overrides.items():
            _set_dotted(data, key, value, "pilot.overrides")
        return _validate(data, "pilot.overrides", dict(self.sources))

    def with_overrides(self, overrides: Mapping[str, Any], origin: str = "--set") -> Scenario:
        """A validated copy with dotted-key overrides applied."""
        # Start from what was set explicitly, so derived values (scale presets) follow
        # an override of what they derive from.
        data = self.model_dump(mode="python", exclude={"sources"}, exclude_unset=True)
        data["categories"] = {k: v.model_dump() for k, v in self.categories.items()}
        sources = dict(self.sources)
        for key, value in overrides.items():
            _set_dotted(data, key, value, origin)
            sources[key] = "set by --set" if origin.endswith("--set") else f"set by {origin}"
        return _validate(data, origin, sources)


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------


def load_scenario(
    path: str | Path,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
) -> Scenario:
    """Read, resolve (``extends``), validate and apply overrides to a scenario file.

    ``overrides`` is either a mapping of dotted keys to values or a sequence of
    ``"dotted.key=value"`` strings (as given to ``--set``; the value is parsed as TOML,
    falling back to a bare string).
    """
    path = Path(path)
    data, sources = _read_chain(path, seen=())
    scenario = _validate(data, str(path), sources)
    if overrides:
        mapping = parse_overrides(overrides) if not isinstance(overrides, Mapping) else overrides
        scenario = scenario.with_overrides(mapping, origin=f"{path} --set")
    return scenario


def scenario_from_dict(data: Mapping[str, Any], origin: str = "<dict>") -> Scenario:
    """Validate a scenario given as nested data (as a TOML file would hold it)."""
    return _validate(dict(data), origin, {})


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """Parse ``key=value`` strings; values are TOML literals (``22``, ``true``, ``"x"``)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError(f"--set {item!r}: expected dotted.key=value")
        raw = raw.strip()
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        out[key] = value
    return out


def read_toml(path: Path, what: str, error: type[InputError] = InputError) -> dict[str, Any]:
    """A TOML file's data; a missing, unreadable or broken file raises ``error`` with one
    line naming the file."""
    if not path.is_file():
        raise error(f"{path}: no such {what}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None


def _read_chain(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    resolved = path.resolve()
    if resolved in seen:
        raise ScenarioError(f"{path}: extends: circular inheritance")
    if len(seen) >= MAX_EXTENDS:
        raise ScenarioError(f"{seen[0]}: extends: the chain is more than {MAX_EXTENDS} files "
                            f"deep (at {path}); allowed: at most {MAX_EXTENDS}")
    data = read_toml(path, "scenario file", ScenarioError)
    file_sources = data.pop("sources", {})
    if not isinstance(file_sources, dict) or not all(
        isinstance(v, str) for v in file_sources.values()
    ):
        raise ScenarioError(f"{path}: sources: must be a table of dotted key = \"source\"")
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        base: dict[str, Any] = {}
        sources: dict[str, str] = {}
    else:
        if not isinstance(parent_ref, str):
            raise ScenarioError(f"{path}: extends: must be a file name string")
        parent = path.parent / parent_ref
        if not parent.is_file():
            raise ScenarioError(f"{path}: extends: no such file {parent_ref!r} beside it")
        base, sources = _read_chain(parent, (*seen, resolved))
        base.pop("name", None)
        base.pop("description", None)
    name = path.stem
    for key, _ in _flatten(data):
        if key in {"name", "description"}:
            sources[key] = f"{name}.toml"
            continue
        sources[key] = file_sources.get(key) or _nearest(file_sources, key) or (
            f"{name}.toml (no source given)"
        )
    for key in file_sources:
        if key not in sources and not any(k.startswith(key + ".") for k in sources):
            raise ScenarioError(f"{path}: sources.{key}: cites a key the file does not set")
    merged = _deep_merge(base, data)
    merged.setdefault("name", name)
    return merged, sources


def _validate(data: dict[str, Any], origin: str, sources: dict[str, str]) -> Scenario:
    # A file may change one field of one category: merge over the default table.
    cats = data.get("categories", {})
    if not isinstance(cats, dict):
        raise ScenarioError(f"{origin}: categories: must be a table of category tables")
    data = {**data, "categories": _deep_merge(DEFAULT_CATEGORIES, cats)}
    hood = data.get("neighbourhoods", {})
    if isinstance(hood, dict) and isinstance(hood.get("types", {}), dict):
        types = hood.get("types", {})
        data["neighbourhoods"] = {**hood, "types": _deep_merge(DEFAULT_NEIGHBOURHOOD_TYPES,
                                                                types)}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_one_line(origin, exc)) from None
    try:  # validate checks what run would hit: the machine's memory (sim/limits.py)
        check_run_memory(scenario.layout.residents, scenario.run.days, origin)
    except InputError as exc:
        raise ScenarioError(str(exc)) from None
    object.__setattr__(scenario, "sources", sources)
    if scenario.pilot.overrides:
        try:
            scenario.pilot_view()
        except ScenarioError as exc:  # name the file and the pilot key at fault
            detail = str(exc).removeprefix("pilot.overrides: ")
            raise ScenarioError(f"{origin}: pilot.overrides: {detail}") from None
    return scenario


_BOUND_ERRORS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}


def _one_line(origin: str, exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    key = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-after"))
    kind = err["type"]
    ctx = err.get("ctx", {}) or {}
    if kind == "extra_forbidden":
        parent = key.rpartition(".")[0]
        allowed = _allowed_keys(parent)
        msg = f"unknown key; allowed here: {', '.join(allowed)}" if allowed else "unknown key"
    elif kind == "literal_error":
        msg = f"must be one of {ctx.get('expected', '')} (got {shown(err.get('input'))})"
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        msg = f"must be a table of keys (got {shown(err.get('input'))})"
    elif kind in _BOUND_ERRORS or kind.endswith(("_type", "_parsing")):
        msg = f"{err['msg'].lower()} (got {shown(err.get('input'))}){_range_hint(key)}"
    else:
        msg = err["msg"].removeprefix("Value error, ")
    extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    where = f"{key}: " if key else ""
    return f"{origin}: {where}{msg}{extra}"


def _range_hint(key: str) -> str:
    field = _field_for(key)
    if field is None:
        return ""
    lo = hi = None
    for meta in field.metadata:
        lo = getattr(meta, "ge", getattr(meta, "gt", lo)) if lo is None else lo
        hi = getattr(meta, "le", getattr(meta, "lt", hi)) if hi is None else hi
    if lo is None and hi is None:
        return f"; expected {type_name(field.annotation)}"
    return f"; allowed {lo if lo is not None else '-inf'} to {hi if hi is not None else 'inf'}"


def _field_for(key: str) -> Any:
    model: Any = Scenario
    field = None
    parts = key.split(".")
    i = 0
    while i < len(parts):
        part = parts[i]
        if model is None or part not in getattr(model, "model_fields", {}):
            return None
        field = model.model_fields[part]
        ann = field.annotation
        if part == "categories" or (part == "types" and model is Neighbourhoods):
            model = Category if part == "categories" else NeighbourhoodType
            i += 2  # skip the category's or type's name
            continue
        model = ann if _is_section(ann) else None
        i += 1
    return field


def _allowed_keys(parent: str) -> list[str]:
    if not parent:
        return [k for k in Scenario.model_fields if k != "sources"] + ["extends", "sources"]
    field = _field_for(parent)
    if parent.startswith("categories.") and parent.count(".") == 1:
        return list(Category.model_fields)
    if parent.startswith("neighbourhoods.types.") and parent.count(".") == 2:
        return list(NeighbourhoodType.model_fields)
    if field is None:
        return []
    ann = field.annotation
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return list(ann.model_fields)
    return []


@functools.cache
def _default_source(key: str) -> str:
    if key.startswith("categories."):
        return CATEGORIES_SOURCE
    if key.startswith("neighbourhoods.types."):
        return NEIGHBOURHOOD_TYPES_SOURCE
    field = _field_for(key)
    extra = getattr(field, "json_schema_extra", None) if field is not None else None
    if isinstance(extra, dict) and "source" in extra:
        return str(extra["source"])
    return "assumption"


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _set_dotted(data: dict[str, Any], key: str, value: Any, origin: str) -> None:
    parts = key.split(".")
    if parts[0] == "categories" and len(parts) >= 2:
        known = data.get("categories", {})
        if parts[1] not in known:
            raise ScenarioError(
                f"{origin}: {key}: unknown category; allowed: {', '.join(known)}"
            )
    is_level = len(parts) == 4 and parts[0] == "categories" and parts[2] == "levels"
    if is_level and parts[3] not in LEVELS:
        raise ScenarioError(f"{origin}: {key}: unknown level; allowed: {', '.join(LEVELS)}")
    is_rate = len(parts) == 5 and parts[:2] == ["neighbourhoods", "types"] \
        and parts[3] == "issue_rates"
    if is_rate and parts[4] not in data.get("categories", DEFAULT_CATEGORIES):
        raise ScenarioError(f"{origin}: {key}: unknown category; allowed: "
                            f"{', '.join(data.get('categories', DEFAULT_CATEGORIES))}")
    is_level = is_level or is_rate
    field = _field_for(key)
    if field is None and not is_level:
        allowed = _allowed_keys(".".join(parts[:-1]))
        hint = f"; allowed here: {', '.join(allowed)}" if allowed else ""
        raise ScenarioError(f"{origin}: {key}: unknown key{hint}")
    if (field is not None and _is_section(field.annotation)) or key == "categories":
        raise ScenarioError(f"{origin}: {key}: is a section; set one of its keys")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and key not in _LEAF_TABLES:
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def _prefixes(key: str) -> Iterator[str]:
    parts = key.split(".")
    for i in range(len(parts) - 1, 0, -1):
        yield ".".join(parts[:i])


def _nearest(sources: Mapping[str, str], key: str) -> str | None:
    for prefix in _prefixes(key):
        if prefix in sources:
            return sources[prefix]
    return None


_LEAF_TABLES = {"levels", "overrides"}  # tables that are one value (written inline)


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(data: Mapping[str, Any], source_of: Any = None) -> str:
    """Write nested tables as TOML, with ``# source`` comments when given."""
    lines: list[str] = []

    def emit(table: Mapping[str, Any], path: str) -> None:
        scalars = {k: v for k, v in table.items() if v is not None and not (
            isinstance(v, Mapping) and k not in _LEAF_TABLES)}
        subtables = {k: v for k, v in table.items()
                     if isinstance(v, Mapping) and k not in _LEAF_TABLES}
        if path and scalars:
            lines.append(f"\n[{path}]")
        for key, value in scalars.items():
            dotted = f"{path}.{key}" if path else key
            comment = f"  # {source_of(dotted)}" if source_of else ""
            lines.append(f"{key} = {_toml_value(value)}{comment}")
        for key, value in subtables.items():
            emit(value, f"{path}.{key}" if path else key)

    emit(data, "")
    return "\n".join(lines).lstrip("\n") + "\n"
