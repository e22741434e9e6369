"""Issue categories (事项类别): each one's rate, share hidden, deadline, the levels that
resolve it and its handling time; the default table of eleven categories."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, model_validator

from sim.scenario.base import Level, _Section, cited


class Handling(_Section):
    """Desk hours to handle one issue of a category: their distribution, mean and spread."""

    dist: Literal["exponential", "deterministic", "lognormal", "gamma"] = cited(
        "lognormal", "P7: closure times fit gamma / lognormal"
    )
    mean_hours: float = cited(2.0, "assumption", gt=0, le=1000)
    cv: float = cited(1.0, "assumption: coefficient of variation", ge=0, le=10)


class Category(_Section):
    """A category of issue (事项类别): how often it arises and stays hidden, its deadline,
    the levels that resolve it and who else can take it."""

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

