"""Work, burden and staffing: a grid worker's day and its administrative burden (行政负担),
how many workers each level has and how long its orders take, micro-grid workers (微网格员)
and the riders enrolled as mobile grid workers (流动网格员)."""

from __future__ import annotations

from pydantic import model_validator

from sim.scenario.base import _Section, cited


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
    """Staffing (人员配置): community workers (社区工作者) per 10,000 residents, the offices
    above them, and how long each level's orders take to follow through."""

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

