"""The long tail of work orders (工单流转) beyond one pass through a unit, and the
platform's side of an order (its closing and KPI clock) beside the resident's (the need
met). Mixed into :class:`sim.model.GovernanceModel` with :class:`sim.lifecycle.IssueLifecycle`.

Each mechanism has its switch in ``[work_orders]``, ``[appraisal]`` or ``[calendar]``
(``sim/scenario/flow.py``), all off by default; with all off nothing here runs and no
random number is drawn for it. The platform's orders are those it handled: reported by
hotline, app or rider, or passed up through a district centre.

- **Field crews** (``department_crews_per_100k``): a department order's works wait for
  one of the district's crews, in office hours on working days.
- **Returns** (部门回退, ``return_share``): a street office or department sends an order
  back to the district centre as not its own; the centre re-dispatches it, and its KPI
  clock restarts.
- **Closings that leave the need unmet** (``unmet_share``) and **closings on paper** at
  the deadline by units appraised on on-time closing (``appraisal.on_time_weight``).
- **Callbacks** (回访) after closing, and **reopening** (``reopen_unsatisfied``) when the
  caller is unsatisfied and the need was not met: back to the unit that closed it.
- **Extensions** (延期): a unit that cannot finish before the deadline applies on
  receipt; an approved one moves the KPI deadline, and so the order's place in the
  unit's queue (units work to the deadline they are appraised on).
- **Waiting on a reply** (待回复, ``reply_days``): the platform closes an order when the
  unit's reply arrives, after its work is done.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.issues import CH, RL, exponential_days, lognormal_days

if TYPE_CHECKING:
    from sim.work import Team

# Deliveries that look at an order without holding it (``GovernanceModel.whereabouts``).
WATCHES: frozenset[str] = frozenset(("deadline_watch", "callback"))
MAX_RETURNS = 3  # a k-th return happens with return_share ** k, at most this many


class WorkOrderFlow:
    """Returns, closings, callbacks, reopenings, extensions and replies [P3, P10, P11]."""

    def _init_flow(self) -> None:
        wo, ap = self.p.work_orders, self.p.appraisal
        # Whether any mechanism that needs the flow's columns and draws is on.
        self.flow_on = bool(wo.return_share > 0 or wo.callbacks or wo.unmet_share > 0
                            or wo.extensions or wo.reply_days > 0 or ap.on_time_weight > 0)
        self.paper_chance = ap.on_time_weight * ap.paper_close_share
        self._hop: dict[int, int] = {}  # times an order reached a unit (deadline watches)
        self._watch: dict[int, int] = {}  # order -> the hop its deadline watch is for
        self._dropped: dict[int, float] = {}  # closed on paper while at a unit: work left
        self._returning: set[int] = set()  # being assessed by a unit that will return it
        self._closer: dict[int, Team] = {}  # who closed an order (where a reopening goes)

    # ---------------------------------------------------------------- deadlines
    def deadline_from(self, now: float, cat: int) -> float:
        """A work order's deadline from ``now``: in working days where the calendar says so
        [P11], except for urgent categories (hours count round the clock)."""
        days = float(self.cats.deadline[cat])
        if (self.holidays is not None and self.p.calendar.working_day_deadlines
                and not self.cats.urgent[cat]):
            return self.holidays.add_working_days(now, days, self.p.burden.workdays_per_week)
        return now + days

    # ------------------------------------------------------------ reaching a unit
    def flow_enqueued(self, issue: int, team: Team, now: float, hours: float) -> None:
        """A platform order reaches a unit: it may apply for an extension [P11], and the
        unit's appraisal watches the deadline [P3]."""
        log, wo = self.issues, self.p.work_orders
        if wo.reopen_unsatisfied:  # where a reopening goes if it is closed here
            self._closer[issue] = team
        if wo.extensions and not log.extended[issue]:
            slack = float(log.kpi_deadline_at[issue]) - now
            need = team.backlog_days() + hours / max(team.daily_hours, 1e-9)
            if need > slack:  # one application an order: 1 refused, 2 granted
                log.extended[issue] = 1
                if log.u_extend[issue] < wo.extension_approval:
                    log.extended[issue] = 2
                    log.kpi_deadline_at[issue] = self._later(
                        float(log.kpi_deadline_at[issue]), wo.extension_days)
                    self.recorder.extended += 1
        if self.paper_chance > 0 and log.kpi_deadline_at[issue] > now:
            self._hop[issue] = hop = self._hop.get(issue, 0) + 1
            self._watch[issue] = hop
            self.transit.send(float(log.kpi_deadline_at[issue]), self.deadline_watch, issue)

    def _later(self, t: float, days: float) -> float:
        if self.holidays is not None and self.p.calendar.working_day_deadlines:
            return self.holidays.add_working_days(t, days, self.p.burden.workdays_per_week)
        return t + days

    def left_unit(self, issue: int) -> None:
        """The order left the unit that held it (passed up or returned)."""
        if self.flow_on and issue in self._hop:
            self._hop[issue] += 1

    def deadline_watch(self, issue: int, now: float) -> None:
        """The KPI deadline of an order still at the unit that held it when it came:
        the unit may close it on paper [P3, P10]."""
        log = self.issues
        if self._watch.get(issue) != self._hop.get(issue):
            return  # the order moved on since
        del self._watch[issue]
        if (not math.isnan(log.resolved_at[issue]) or not math.isnan(log.closed_at[issue])
                or issue in self._works_by or now < log.kpi_deadline_at[issue] - 1e-9
                or log.u_paper[issue] >= self.paper_chance):
            return
        # Closed on paper: the unit drops the work (a desk that reaches it finds nothing
        # left to do) and the need stays unmet.
        self._dropped[issue] = float(log.work_left[issue])
        log.work_left[issue] = 0.0
        log.paper_closings[issue] += 1
        self.recorder.paper_closed += 1
        self._closed_unmet(issue, now)

    # -------------------------------------------------------------- returns
    def returns_order(self, issue: int, team: Team, now: float) -> bool:
        """A street office or department may return a dispatched order as not its own
        (部门回退): it assesses it, then sends it back to the district centre."""
        log, share = self.issues, self.p.work_orders.return_share
        k = int(log.returns[issue]) + 1
        if (share <= 0 or team.level < RL["street"] or k > MAX_RETURNS
                or log.u_return[issue] >= share ** k):
            return False
        log.level[issue] = team.level
        self._returning.add(issue)
        self.enqueue_work(issue, team, now, self.p.staffing.triage_hours)
        return True

    def send_back(self, issue: int, team: Team, now: float) -> None:
        """The return itself: to the centre, which triages and re-dispatches to the same
        level; the KPI clock restarts [P11]."""
        log = self.issues
        self._returning.discard(issue)
        log.returns[issue] += 1
        self.recorder.returned += 1
        log.kpi_deadline_at[issue] = self.deadline_from(now, int(log.category[issue]))
        log.level[issue] = team.level - 1  # so the re-dispatch reaches this level again
        self.left_unit(issue)
        self.platform.pass_up(issue, now, False)

    # -------------------------------------------------------------- closing
    def dropped_reached(self, issue: int) -> bool:
        """A desk reached an order its unit closed on paper: nothing to do."""
        if issue in self._dropped:
            del self._dropped[issue]
            return True
        return False

    def flow_close(self, issue: int, now: float) -> bool:
        """A platform order is closed by the unit that worked it. True when the need was
        left unmet (the caller still waits); else the need is met now and the platform
        closes the order now or when the unit's reply arrives."""
        log, wo = self.issues, self.p.work_orders
        if not math.isnan(log.resolved_at[issue]):
            return True  # met before (a reopened order worked again): nothing changes
        k = int(log.reopens[issue]) + 1
        if wo.unmet_share > 0 and log.u_unmet[issue] < wo.unmet_share ** k:
            self._closed_unmet(issue, now)
            return True
        closed = now
        if wo.reply_days > 0:  # 已转办待回复: closed when the reply is in
            closed = now + exponential_days(float(log.u_reply[issue]), wo.reply_days)
        log.closed_at[issue] = closed
        if wo.callbacks:
            self.transit.send(closed + wo.callback_days, self.callback, issue)
        return False

    def _closed_unmet(self, issue: int, now: float) -> None:
        log, wo = self.issues, self.p.work_orders
        log.closed_at[issue] = now
        who = int(log.resident[issue])
        if who >= 0:  # the caller sees the order closed and the problem still there
            self.word_of_mouth.hear(who, -self.p.residents.trust_loss_late)
        if wo.callbacks:
            self.transit.send(now + wo.callback_days, self.callback, issue)

    # ------------------------------------------------------ callbacks, reopening
    def callback(self, issue: int, now: float) -> None:
        """The platform calls the caller back (回访) [P10]."""
        log, wo = self.issues, self.p.work_orders
        if math.isnan(log.closed_at[issue]):
            return  # reopened meanwhile
        met = not math.isnan(log.resolved_at[issue])
        ok = log.u_satisfied[issue] < (wo.satisfied_if_met if met else wo.satisfied_if_unmet)
        log.satisfied[issue] = 1 if ok else 0
        if ok or met or not wo.reopen_unsatisfied or log.reopens[issue] >= 1:
            self._closer.pop(issue, None)
            return
        # Reopened: back to the unit that closed it, with a new KPI clock.
        log.reopens[issue] += 1
        self.recorder.reopened += 1
        log.closed_at[issue] = math.nan
        log.kpi_deadline_at[issue] = self.deadline_from(now, int(log.category[issue]))
        if issue in self._dropped:  # still at the unit: its work is back on
            log.work_left[issue] = self._dropped.pop(issue)
            self._hop[issue] = hop = self._hop.get(issue, 0) + 1
            if self.paper_chance > 0:
                self._watch[issue] = hop
                self.transit.send(float(log.kpi_deadline_at[issue]), self.deadline_watch,
                                  issue)
            return
        self.transit.send(now + self.p.platform.dispatch_delay_days, self.reopened_arrives,
                          issue)

    def reopened_arrives(self, issue: int, now: float) -> None:
        team = self._closer.pop(issue, None)
        if team is None or not team.staffed:
            self.to_grid(issue, now)
        else:
            self.enqueue(issue, team, now)

    # -------------------------------------------------------------- field crews
    def to_crew(self, issue: int, team: Team, now: float) -> bool:
        """A department's order goes to its district's field crews for the works, if it
        has any: hours from the order's own quantile (paired across scenarios)."""
        wo = self.p.work_orders
        if wo.department_crews_per_100k <= 0 or team.kind != "department":
            return False
        crew = self.crew_teams[team.place]
        hours = lognormal_days(float(self.issues.u_works[issue]), wo.department_crew_hours,
                               self.p.staffing.works_cv)
        self.enqueue_work(issue, crew, now, hours)
        return True

    def crew_done(self, issue: int, team: Team, now: float) -> None:
        if self.flow_on and self.dropped_reached(issue):
            return
        self.resolve(issue, RL["department"], team.resolver, now)


def is_platform_order(log: object, issue: int) -> bool:
    """Reported by hotline, app or rider, or passed up through a district centre."""
    return bool(log.channel[issue] in (CH["hotline"], CH["app"], CH["rider"])
                or log.escalations[issue] > 0)
