"""Costs and pilots: what the levers cost a year (成本), and the pilot units (创新观察点)
that try a reform before the rest."""

from __future__ import annotations

from typing import Any

from sim.scenario.base import _Section, cited


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

