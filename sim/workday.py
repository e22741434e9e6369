"""A community's grid workers' day: one time budget that the day's work competes for.

"A small horse pulling a big cart" (小马拉大车) [F10] is about the whole day. Each
workday a community's grid workers, in this order of precedence:

1. do what comes from above — their share of the community's administrative tasks
   (ledgers, certificates, departments' forms: shared, so more staff spread them
   thinner), meetings (each attends), and on inspection-visit days (迎检迎查) a block of
   hours for everyone [F12, F13, P2, P3]; then self-governance that has a date:
   preparing and holding consultations [F8, F9]. What does not fit carries over;
2. work the grid's queue of work orders (casework, urgent and earliest deadline first);
3. with what is left, home visits (入户走访) up to their share of the community's
   target, then patrols (巡查).

So when work piles up, visits and patrols are dropped before deadlines slip, and
staffing and every burden line act through the same hours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.agents import GridWorker
    from sim.model import GovernanceModel
    from sim.scenario import Burden


class CommunityWorkday:
    """The grid workers of one community and how their day is split."""

    __slots__ = ("__weakref__", "admin_backlog", "admin_today", "burden", "close_hour",
                 "community", "gov_backlog", "gov_today", "model", "reference_workers",
                 "shared_per_worker", "visit_target", "workers")

    def __init__(self, model: GovernanceModel, community: int, workers: list[GridWorker],
                 reference_workers: float) -> None:
        self.model = model
        self.community = community
        self.workers = workers
        self.reference_workers = reference_workers
        self.set_burden(model.p.burden)
        b = self.burden
        self.close_hour = b.shift_start_hour + b.work_hours_per_day
        self.admin_backlog = 0.0  # hours per worker carried from earlier days
        self.gov_backlog = 0.0
        self.admin_today = 0.0
        self.gov_today = 0.0

    def set_burden(self, burden: Burden) -> None:
        """The community's burden lines (a pilot community changes its own [F35])."""
        self.burden = burden
        n = max(len(self.workers), 1)
        # Shared tasks and the visit target are stated at the reference staffing [F30].
        self.shared_per_worker = burden.shared_hours() * self.reference_workers / n
        self.visit_target = burden.visit_hours * self.reference_workers / n

    @property
    def inspection_chance(self) -> float:
        """Chance an inspection visit lands on a workday."""
        b = self.burden
        return b.inspection_visit_days * (1.0 - b.inspection_cut)

    def add_governance(self, hours: float) -> None:
        """Worker hours of self-governance work (a consultation) to be done, shared."""
        self.gov_backlog += hours / max(len(self.workers), 1)

    def plan(self, day: int, inspection_visit: bool) -> None:
        """Split the start of the day; the desks open for casework when it is done."""
        m = self.model
        b = self.burden
        due = self.admin_backlog + self.shared_per_worker + b.meeting_hours
        if inspection_visit:
            due += b.inspection_block()
        hours = b.work_hours_per_day
        self.admin_today = min(due, hours)
        self.admin_backlog = due - self.admin_today
        self.gov_today = min(self.gov_backlog, hours - self.admin_today)
        self.gov_backlog -= self.gov_today
        open_hour = b.shift_start_hour + self.admin_today + self.gov_today
        if self.workers and open_hour < self.close_hour:
            m.schedule_event(self.open, at=day + open_hour / 24.0)

    def skip_day(self) -> None:
        self.admin_today = self.gov_today = 0.0

    def open(self) -> None:
        now = self.model.time
        close_at = float(np.floor(now)) + self.close_hour / 24.0
        for w in self.workers:
            w.desk.open(now, close_at)

    def close(self, now: float, workday: bool) -> int:
        """Book each worker's hours for the day that ends at ``now``; returns how many
        were overloaded (no patrol, visits short, work still waiting)."""
        shift = self.model.p.burden.work_hours_per_day if workday else 0.0
        overloaded = 0
        for w in self.workers:
            w.admin_hours = self.admin_today
            w.governance_hours = self.gov_today
            w.case_hours = w.desk.take_hours(now)
            left = max(0.0, shift - self.admin_today - self.gov_today - w.case_hours)
            w.visit_hours = min(left, self.visit_target)
            w.patrol_hours = left - w.visit_hours
            if workday and w.patrol_hours < 0.01 and w.visit_hours < self.visit_target - 0.01 \
                    and len(w.desk.team):
                overloaded += 1
        return overloaded
