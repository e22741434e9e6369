"""Platform and channels: how residents report (渠道) and the one-network work-order
platform (一网统管) that takes hotline and app reports to the level that handles them."""

from __future__ import annotations

from pydantic import model_validator

from sim.scenario.base import _Section, cited


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

