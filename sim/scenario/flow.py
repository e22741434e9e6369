"""The long tail of work orders (工单流转) and what the platform reports: the working
calendar (工作日与法定节假日), departments' field crews, returns (部门回退), callbacks and
reopening (回访不满意), extensions (延期), waiting on a reply (待回复) and the appraisal on
the platform's KPIs (考核). Every switch is off by default, so a scenario that does not
name these sections runs as before."""

from __future__ import annotations

import datetime as dt

from pydantic import field_validator

from sim.scenario.base import _Section, cited

# Public holidays and make-up workdays (调休上班) from the State Council's yearly notices:
# 2024 国办发明电〔2023〕7号, 2025 国办发明电〔2024〕12号, 2026 国办发明电〔2025〕7号 (Xinhua).
HOLIDAY_DATES: list[str] = [
    "2024-01-01", "2024-02-10/2024-02-17", "2024-04-04/2024-04-06", "2024-05-01/2024-05-05",
    "2024-06-10", "2024-09-15/2024-09-17", "2024-10-01/2024-10-07",
    "2025-01-01", "2025-01-28/2025-02-04", "2025-04-04/2025-04-06", "2025-05-01/2025-05-05",
    "2025-05-31/2025-06-02", "2025-10-01/2025-10-08",
    "2026-01-01/2026-01-03", "2026-02-15/2026-02-23", "2026-04-04/2026-04-06",
    "2026-05-01/2026-05-05", "2026-06-19/2026-06-21", "2026-09-25/2026-09-27",
    "2026-10-01/2026-10-07",
]
MAKE_UP_WORKDAYS: list[str] = [
    "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14",
    "2024-09-29", "2024-10-12",
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
]
NOTICES = ("public: State Council notices on the year's holidays (国务院办公厅关于部分节假日安排的"
           "通知): 2024 国办发明电〔2023〕7号, 2025 〔2024〕12号, 2026 〔2025〕7号")


def _check_dates(values: list[str]) -> list[str]:
    for value in values:
        for part in value.split("/"):
            try:
                dt.date.fromisoformat(part)
            except ValueError:
                raise ValueError(f"{value!r} is not a date YYYY-MM-DD or a range "
                                 "YYYY-MM-DD/YYYY-MM-DD") from None
    return values


class Calendar(_Section):
    """The working calendar (工作日历): which days offices and grid workers work, and how
    work-order deadlines are counted [P11]."""

    start_date: str = cited(
        "2025-01-06", "assumption: day 0 is a Monday (2025-01-06), as the weekly pattern "
        "without the calendar has it, so the calendar only adds holidays")
    holidays: bool = cited(
        False, f"{NOTICES}; off: every week has burden.workdays_per_week workdays. On: "
        "offices, departments' crews, social-work stations and grid workers do not work on "
        "public holidays and do on make-up workdays (the 12345 platform, utilities and "
        "property companies keep their days)")
    working_day_deadlines: bool = cited(
        False, "P11: time limits counted in working days (one bureau: 3 or 13 working "
        "days); off: calendar days. Urgent categories keep calendar time (P11: "
        "emergencies 2 h, utilities 24 h)")
    holiday_dates: list[str] = cited(HOLIDAY_DATES, NOTICES)
    make_up_workdays: list[str] = cited(MAKE_UP_WORKDAYS, NOTICES)
    rule_years: bool = cited(
        True, "public: the 2025 notice's rule (全国年节及纪念日放假办法, revised 2024-11): Spring "
        "Festival 8 days from lunar New Year's Eve, 1-5 May, 1-7 October, 1 January; "
        "applied to years with no listed date (no make-up days; Qingming, Dragon Boat "
        "and Mid-Autumn left out)")

    @field_validator("start_date")
    @classmethod
    def _is_date(cls, value: str) -> str:
        _check_dates([value])
        if "/" in value:
            raise ValueError("start_date is one date YYYY-MM-DD")
        return value

    @field_validator("holiday_dates", "make_up_workdays")
    @classmethod
    def _are_dates(cls, values: list[str]) -> list[str]:
        return _check_dates(values)


class WorkOrders(_Section):
    """How work orders move beyond one pass through a unit (工单流转): departments'
    field crews, returns, callbacks and reopening, extensions, replies. Applies to the
    platform's orders (reported by hotline, app or rider, or passed up by a centre)."""

    department_crews_per_100k: float = cited(
        0.0, "assumption: 0 = off (a department's follow-through is a delay with no queue, "
        "staffing.department_works_days). Field crews of district departments (维修、执法、"
        "施工) who carry out the works of department orders in office hours on working "
        "days, one queue a district: at 13 per 100k a community's share is one crew",
        ge=0, le=1000)
    department_crew_hours: float = cited(
        8.0, "assumption: crew hours the works of one department order take (mean; "
        "lognormal with cv staffing.works_cv, from the order's own quantile)", gt=0, le=1000)
    return_share: float = cited(
        0.0, "assumption: share of orders a street office or department returns to the "
        "district centre as not its own (部门回退), after staffing.triage_hours; the centre "
        "triages and re-dispatches it and its KPI clock restarts. A k-th return happens "
        "with this share to the power k, at most 3", ge=0, le=0.9)
    callbacks: bool = cited(
        False, "P10: cities report satisfaction from callbacks (Shanghai 2016: 93%); on: "
        "the platform calls back every order it closes after callback_days")
    callback_days: float = cited(
        1.0, "assumption: days from closing to the callback (回访)", ge=0, le=30)
    satisfied_if_met: float = cited(
        0.95, "assumption: chance a caller whose need was met says they are satisfied",
        ge=0, le=1)
    satisfied_if_unmet: float = cited(
        0.15, "assumption: chance a caller whose need was not met says they are satisfied",
        ge=0, le=1)
    reopen_unsatisfied: bool = cited(
        False, "assumption: an unsatisfied callback on an unmet need reopens the order "
        "(重新派单): back to the unit that closed it, KPI clock restarted; at most once")
    unmet_share: float = cited(
        0.0, "assumption: share of closings that leave the need unmet (P10: Shanghai's "
        "departments judged 82% of closed orders resolved); a second closing fails with "
        "this share squared", ge=0, le=0.9)
    extensions: bool = cited(
        False, "P11: extensions on application; on: a unit that cannot finish an order "
        "before its deadline (its queue ahead) applies on receipt, once")
    extension_days: float = cited(
        7.0, "P11: general requests 7 days (the extension granted: assumption)", gt=0,
        le=365)
    extension_approval: float = cited(
        0.8, "assumption: share of applications for extension the platform approves",
        ge=0, le=1)
    reply_days: float = cited(
        0.0, "assumption: 0 = off. Mean days (exponential) from a unit's work done to its "
        "reply reaching the platform and the order being closed (已转办待回复)", ge=0,
        le=60)


class Appraisal(_Section):
    """How units are appraised on the platform's KPIs (考核) [P3, P10]."""

    on_time_weight: float = cited(
        0.0, "P3: appraisal was 70% residents' satisfaction + 30% work review after the "
        "reform; this is the weight of the on-time-closing KPI in units' appraisal. 0 = no "
        "unit closes an order on paper for the KPI", ge=0, le=1)
    paper_close_share: float = cited(
        0.5, "assumption: chance that a unit appraised wholly on on-time closing closes "
        "an order it has not finished on paper at its deadline (答复即办结; need unmet); "
        "the chance is on_time_weight x this", ge=0, le=1)
    response_days: float = cited(
        1.0, "assumption: an order counts as responded to (P10's response rate) when first "
        "worked on within this many days of becoming known", gt=0, le=30)
