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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import InputError

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
    report_delay_days: float = cited(
        0.25, "assumption: mean time from noticing to reporting", ge=0, le=30
    )
    trust_gain_on_time: float = cited(0.03, "assumption", ge=0, le=1)
    trust_loss_late: float = cited(0.05, "assumption", ge=0, le=1)
    trust_loss_incident: float = cited(0.15, "assumption", ge=0, le=1)


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
    """A grid worker's day and its administrative burden (小马拉大车) [F10-F13]."""

    work_hours_per_day: float = cited(
        8.0, "assumption: statutory 8-hour day (PRC Labour Law art. 36)", gt=0, le=24
    )
    shift_start_hour: float = cited(8.5, "assumption", ge=0, lt=24)
    workdays_per_week: int = cited(5, "assumption: 40-hour week", ge=1, le=7)
    ledgers: int = cited(4, "P3: ledgers cut from 30+ a year to 4", ge=0, le=200)
    ledger_hours_each: float = cited(
        0.10, "assumption: calibrated so 30 ledgers give ~70% admin time [P2]", ge=0, le=8
    )
    certificate_items: int = cited(
        76, "assumption: 56 removed [F12] of about 76 items", ge=0, le=1000
    )
    certificate_items_removed: int = cited(0, "F12: 56 removed this year", ge=0, le=1000)
    certificate_hours_per_item: float = cited(
        0.0118, "assumption: 76 items ~ 0.9 h per worker-day", ge=0, le=1
    )
    inspection_hours: float = cited(
        1.2, "assumption: calibrated with P2 (70% admin before reform)", ge=0, le=24
    )
    inspection_cut: float = cited(0.0, "F12: inspections cut by 57%", ge=0, le=1)
    meeting_hours: float = cited(0.5, "assumption", ge=0, le=24)

    @model_validator(mode="after")
    def _removed_le_items(self) -> Burden:
        if self.certificate_items_removed > self.certificate_items:
            raise ValueError("certificate_items_removed must be <= certificate_items")
        if self.shift_start_hour + self.work_hours_per_day > 24:
            raise ValueError("shift_start_hour + work_hours_per_day must be <= 24")
        return self

    def lines(self) -> dict[str, float]:
        """Hours per worker-day taken by each burden line."""
        return {
            "ledgers": self.ledgers * self.ledger_hours_each,
            "certificates": (self.certificate_items - self.certificate_items_removed)
            * self.certificate_hours_per_item,
            "inspections": self.inspection_hours * (1.0 - self.inspection_cut),
            "meetings": self.meeting_hours,
        }

    def admin_hours(self) -> float:
        """Administrative hours per worker-day (capped by the working day)."""
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
    small_fix_days: float = cited(0.5, "assumption", ge=0, le=30)


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

    @model_validator(mode="after")
    def _enrolled_le_riders(self) -> MobileGrid:
        if self.mobile_grid_workers_per_10k > self.riders_per_10k:
            raise ValueError("mobile_grid_workers_per_10k must be <= riders_per_10k")
        return self


class Volunteers(_Section):
    rate: float = cited(0.03, "assumption; F23 four-level volunteer network", ge=0, le=1)
    hours_per_week: float = cited(2.0, "assumption", ge=0, le=80)
    trust_elasticity: float = cited(
        1.0, "assumption: hours scale with the volunteer's trust", ge=0, le=5
    )
    start_hour: float = cited(9.0, "assumption: volunteers' hours start at 9:00", ge=0, lt=24)


class SocialOrgs(_Section):
    hours_per_week_per_10k: float = cited(
        40.0, "assumption; F22: a social-work station in every street, 1,630 projects",
        ge=0, le=10_000,
    )


class Utilities(_Section):
    in_grid: bool = cited(True, "F17: power, water, gas, telecom staff embedded in grids")
    staff_per_community: float = cited(0.5, "assumption", ge=0, le=50)
    days_per_week: int = cited(7, "assumption: utilities answer every day", ge=1, le=7)


class Platform(_Section):
    dispatch_delay_days: float = cited(
        0.5, "assumption; F32 one-network work-order flow (P5: 3.7 min intake only)", ge=0,
        le=30,
    )


class Consultation(_Section):
    every_days: int = cited(
        30, "assumption: monthly micro-consultation [F9]; F8 requires >= 2 a year", ge=1,
        le=365,
    )


class Costs(_Section):
    """Annual costs, in yuan, of what the levers buy (see ``sim/costs.py``).

    Only what a policy changes is costed: community (grid) workers, micro-grid
    stipends, the riders' points, platform staff, funded social-work projects and
    volunteer support. Offices, departments and utilities are the same in every policy.
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
        1.0, "assumption: one pioneer-index point [F26] redeems for about 1 yuan", ge=0, le=10_000,
    )
    rider_points_per_year: float = cited(
        1_200.0, "assumption: points a mobile grid worker earns in a year on the full scheme",
        ge=0, le=1_000_000,
    )
    platform_staff_yuan: float = cited(
        120_698.0, "public: NBS 2023 urban non-private average wage (as community workers; "
        "assumption)", ge=0, le=10_000_000,
    )
    project_yuan: float = cited(
        100_000.0, "assumption: one venture-philanthropy community project a year [F22]",
        ge=0, le=100_000_000,
    )
    project_hours_per_week: float = cited(
        20.0, "assumption: service hours a week one funded project delivers [F22]",
        gt=0, le=10_000,
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
    "repair": _cat(rate_per_1000_per_year=90, hidden_share=0.1, deadline_days=3,
                   levels={"grid": 0.7, "community": 0.2, "street": 0.05, "department": 0.05},
                   handling={"dist": "lognormal", "mean_hours": 2.0, "cv": 1.0}),
    "property": _cat(rate_per_1000_per_year=60, hidden_share=0.05, deadline_days=5,
                     collective_share=0.2,
                     levels={"grid": 0.3, "community": 0.5, "street": 0.15, "department": 0.05},
                     handling={"dist": "lognormal", "mean_hours": 3.0, "cv": 1.0}),
    "neighbour_dispute": _cat(rate_per_1000_per_year=40, hidden_share=0.2, deadline_days=7,
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
    "care": _cat(rate_per_1000_per_year=40, hidden_share=0.3, deadline_days=3,
                 service="volunteer", levels={"grid": 0.8, "community": 0.2},
                 handling={"dist": "deterministic", "mean_hours": 2.0, "cv": 0.0}),
    "legal": _cat(rate_per_1000_per_year=15, hidden_share=0.1, deadline_days=10,
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
}
CATEGORIES_SOURCE = (
    "assumption; total ~430 per 1,000 a year from P5 (Beijing 12345), themes from F15"
)


class Scenario(_Section):
    """A fully resolved scenario: every lever of the model, each with a default."""

    name: str = cited("unnamed", "the file's own name")
    description: str = cited("", "the file")
    run: RunParams = Field(default_factory=RunParams)
    layout: Layout = Field(default_factory=Layout)
    residents: Residents = Field(default_factory=Residents)
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
        return self

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
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_one_line(origin, exc)) from None
    object.__setattr__(scenario, "sources", sources)
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
        msg = f"must be one of {ctx.get('expected', '')}"
    elif kind in _BOUND_ERRORS or kind.endswith(("_type", "_parsing")):
        msg = f"{err['msg'].lower()} (got {err.get('input')!r}){_range_hint(key)}"
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
        return f"; expected {field.annotation}"
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
        if part == "categories":
            model = Category
            i += 2  # skip the category name
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
        if isinstance(value, Mapping) and value and key != "levels":
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


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(data: Mapping[str, Any], source_of: Any = None) -> str:
    """Write nested tables as TOML, with ``# source`` comments when given."""
    lines: list[str] = []

    def emit(table: Mapping[str, Any], path: str) -> None:
        scalars = {k: v for k, v in table.items() if v is not None and not (
            isinstance(v, Mapping) and k != "levels")}
        subtables = {k: v for k, v in table.items() if isinstance(v, Mapping) and k != "levels"}
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
