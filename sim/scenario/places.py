"""Places and residents: the run's length, the layout of districts, streets,
communities (社区) and grids (网格), the residents, the kinds of community (小区类型) and
residents' ties."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.register import Register, RegisterError, read_register
from sim.scenario.base import _Section, cited

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


class RunParams(_Section):
    """How long a run lasts, in days, and its root seed."""

    days: int = cited(365, "assumption: one simulated year", ge=1, le=3650)
    seed: int = cited(1, "assumption: any fixed root seed", ge=0, le=2**63 - 1)
    warmup_days: int = cited(
        0, "assumption: 0 = the tables start with the run, from an empty city. Days run "
        "before the tables start, so they cover a city in its steady state (issues open "
        "at the window's start are carried over: docs/outputs.md)", ge=0, le=3650)
    split: Literal["none", "district"] = cited(
        "none", "assumption: one model of the whole layout. \"district\": each district "
        "its own model (sim/split.py), runnable on several cores or Dask workers; the "
        "city's intake centre is shared out among the districts and each district has "
        "its own random streams, so the numbers are not the unsplit model's "
        "(docs/performance.md)")


class Layout(_Section):
    """The layout: districts (区), streets (街道), communities (社区), grids (网格) and
    micro-grids (微网格); counts left unset come from the scale's preset."""

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
    register_file: str | None = cited(
        None, "assumption: no register; the scale's preset layout. A community register "
        "CSV (sim/register.py), relative to the file that names it, lays out the city's "
        "own districts, streets and communities instead"
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

    @field_validator("register_file")
    @classmethod
    def _readable_register(cls, path: str | None) -> str | None:
        if path is not None:
            try:
                read_register(path)
            except RegisterError as exc:
                raise ValueError(f"{path}: {exc}") from None
        return path

    def community_register(self) -> Register | None:
        """The community register the layout is read from, if it names one."""
        return read_register(self.register_file) if self.register_file is not None else None

    @property
    def streets(self) -> int:
        reg = self.community_register()
        return len(reg.street_names) if reg else self.districts * self.streets_per_district

    @property
    def communities(self) -> int:
        reg = self.community_register()
        if reg is not None:
            return reg.n_communities
        return self.districts * self.streets_per_district * self.communities_per_street

    @property
    def residents(self) -> int:
        reg = self.community_register()
        return reg.n_residents if reg else self.communities * self.residents_per_community


class Residents(_Section):
    """Residents (居民): age, digital access, Party membership, trust in the community and
    how readily they report what they notice."""

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

