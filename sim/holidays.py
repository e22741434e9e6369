"""The working calendar (工作日历): which model days are working days, and deadlines
counted in working days [P11].

Day 0 is ``calendar.start_date``. Without ``calendar.holidays`` a day is a working day
when ``day % 7 < workdays_per_week`` (day 0 a Monday), as the model has always had it;
with it, the weekday comes from the date, public holidays are off and make-up workdays
(调休上班) are on, from the State Council's notices or, for years none lists, the 2025
notice's rule (``sim/scenario/flow.py``).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.scenario import Calendar

# Lunar New Year's Day (春节, 正月初一), 2020-2040, from the published Chinese calendar;
# the holiday starts on the eve (除夕), the day before.
LUNAR_NEW_YEAR: dict[int, str] = {
    2020: "01-25", 2021: "02-12", 2022: "02-01", 2023: "01-22", 2024: "02-10",
    2025: "01-29", 2026: "02-17", 2027: "02-06", 2028: "01-26", 2029: "02-13",
    2030: "02-03", 2031: "01-23", 2032: "02-11", 2033: "01-31", 2034: "02-19",
    2035: "02-08", 2036: "01-28", 2037: "02-15", 2038: "02-04", 2039: "01-24",
    2040: "02-12",
}


def _expand(values: list[str]) -> set[dt.date]:
    out: set[dt.date] = set()
    for value in values:
        first, _, last = value.partition("/")
        a = dt.date.fromisoformat(first)
        b = dt.date.fromisoformat(last) if last else a
        out.update(a + dt.timedelta(days=k) for k in range((b - a).days + 1))
    return out


def rule_holidays(year: int) -> set[dt.date]:
    """A year's holidays by the 2025 notice's rule, where no notice is listed: Spring
    Festival 8 days from the eve, 1 January, 1-5 May, 1-7 October."""
    days = {dt.date(year, 1, 1)}
    days.update(dt.date(year, 5, d) for d in range(1, 6))
    days.update(dt.date(year, 10, d) for d in range(1, 8))
    if year in LUNAR_NEW_YEAR:
        first = dt.date.fromisoformat(f"{year}-{LUNAR_NEW_YEAR[year]}") - dt.timedelta(days=1)
        days.update(first + dt.timedelta(days=k) for k in range(8))
    return days


class WorkCalendar:
    """Working days of the model's days, for a given number of workdays a week."""

    def __init__(self, calendar: Calendar) -> None:
        self.cal = calendar
        self.start = dt.date.fromisoformat(calendar.start_date)
        self.use_holidays = calendar.holidays
        self._holidays = _expand(calendar.holiday_dates)
        self._make_up = _expand(calendar.make_up_workdays)
        listed = {d.year for d in self._holidays}
        self._rule_years = calendar.rule_years
        self._listed_years = listed
        self._days: dict[int, np.ndarray] = {}  # workdays a week -> bool by day
        self._cum: dict[int, np.ndarray] = {}  # working days before each day

    def holiday(self, date: dt.date) -> bool:
        if date in self._holidays:
            return True
        return (self._rule_years and date.year not in self._listed_years
                and date in rule_holidays(date.year))

    def _build(self, per_week: int, n: int) -> np.ndarray:
        days = np.arange(n)
        if not self.use_holidays:
            return days % 7 < per_week
        weekday = (self.start.weekday() + days) % 7
        work = weekday < per_week
        rules: dict[int, set[dt.date]] = {}
        for d in range(n):
            date = self.start + dt.timedelta(days=d)
            if date in self._make_up:
                work[d] = True
                continue
            if date in self._holidays:
                work[d] = False
            elif self._rule_years and date.year not in self._listed_years:
                if date.year not in rules:
                    rules[date.year] = rule_holidays(date.year)
                if date in rules[date.year]:
                    work[d] = False
        return work

    def days(self, per_week: int, upto: int) -> np.ndarray:
        """Whether each day from 0 to at least ``upto`` is a working day."""
        have = self._days.get(per_week)
        if have is None or len(have) <= upto:
            n = max(upto + 1, 2 * len(have) if have is not None else 4096)
            have = self._build(per_week, n)
            self._days[per_week] = have
            self._cum[per_week] = np.concatenate(([0], np.cumsum(have)))
        return have

    def is_workday(self, day: int, per_week: int) -> bool:
        return bool(self.days(per_week, day)[day])

    def add_working_days(self, t: float, k: float, per_week: int) -> float:
        """The time at which ``k`` working days have passed since ``t`` (working time runs
        only on working days; from a day off, the clock starts the next working day)."""
        day = math.floor(t)
        # Enough days ahead for k working days even over a Spring Festival.
        work = self.days(per_week, day + int(2 * k) + 30)
        cum = self._cum[per_week]
        target = cum[day] + (t - day if work[day] else 0.0) + k
        # The first day d whose working time reaches the target: cum[d + 1] >= target.
        d = int(np.searchsorted(cum[1:], target, side="left"))
        while d >= len(work):  # beyond what is built: build further
            work = self.days(per_week, 2 * len(work))
            cum = self._cum[per_week]
            d = int(np.searchsorted(cum[1:], target, side="left"))
        return d + (target - cum[d])
