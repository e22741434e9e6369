"""The life of an issue (诉求): reported or hidden, routed, worked, escalated, resolved.

Mixed into :class:`sim.model.GovernanceModel`; every method here is one step of an
issue's route, called by an agent or a Mesa event. The model's set-up and day live in
``sim/model.py``.
"""

from __future__ import annotations

import math
from heapq import heappop
from typing import TYPE_CHECKING

import numpy as np

from sim.issues import BY, CH, LV, RL
from sim.work import Team

if TYPE_CHECKING:
    from collections.abc import Callable

    from sim.agents import Resident


class IssueLifecycle:
    """Routing of work orders: grid → community → street → department [F32, F34]."""

    def _report(self, channel: int) -> Callable[[int, float], None]:
        return (self.report_to_grid_worker, self.report_to_micro_grid_worker,
                self.report_to_platform, self.report_by_app)[channel]

    # Residents' reporting, by channel -------------------------------------------------
    def report_probability(self, r: Resident) -> float:
        rp = self.p.residents
        p = rp.report_base * (1 + rp.trust_report_weight * (r.trust - rp.trust_mean))
        if r.elderly:
            p *= rp.elderly_report_factor
        if not r.digital:
            p *= rp.no_digital_report_factor
        if r.party_member:
            p *= rp.party_report_factor
        return min(1.0, max(0.0, p))

    def channel_weights(self, r: Resident) -> np.ndarray:
        """Cumulative channel weights available to a resident (grid, micro, hotline, app)."""
        ch = self.p.channels
        w = np.array([
            ch.grid_worker,
            ch.micro_grid_worker if self.mg_covered[r.micro_grid] else 0.0,
            ch.hotline,
            ch.app if r.digital else 0.0,
        ])
        if w.sum() <= 0:
            w[2] = 1.0
        return np.cumsum(w)

    # A report that arrives after the issue became known otherwise (an incident on the
    # way) changes nothing.
    def report_to_grid_worker(self, issue: int, now: float) -> None:
        if self.make_known(issue, CH["grid_worker"], now):
            self.to_grid(issue, now)

    def report_to_micro_grid_worker(self, issue: int, now: float) -> None:
        if self.make_known(issue, CH["micro_grid_worker"], now):
            self.micro_grid_workers[int(self.issues.micro_grid[issue])].receive(issue, now)

    def report_to_platform(self, issue: int, now: float) -> None:
        if self.make_known(issue, CH["hotline"], now):
            self.platform.receive(issue, now)

    def report_by_app(self, issue: int, now: float) -> None:
        if self.make_known(issue, CH["app"], now):
            self.platform.receive(issue, now)

    # ------------------------------------------------------------- routing
    def make_known(self, issue: int, channel: int, now: float) -> bool:
        """The system learns of an issue; False if it knew already."""
        log = self.issues
        if not math.isnan(log.known_at[issue]):
            return False
        log.known_at[issue] = now
        log.channel[issue] = channel
        log.deadline_at[issue] = now + self.cats.deadline[log.category[issue]]
        self.recorder.known += 1
        return True

    def to_grid(self, issue: int, now: float) -> None:
        """A work order reaches the grid: to the grid team, or straight to the utility
        staff in the grid [F17], or to volunteers / social workers for services [F21]."""
        if not math.isnan(self.issues.resolved_at[issue]):
            return
        cat = int(self.issues.category[issue])
        grid = int(self.issues.grid[issue])
        service = self.cats.service[cat]
        if self.cats.utility[cat] and self.p.utilities.in_grid:
            team = self.utility_teams[self.district_of_comm[self.issues.community[issue]]]
        elif service == "volunteer" and self.volunteer_teams[self.issues.community[issue]].desks:
            team = self.volunteer_teams[self.issues.community[issue]]
        elif service == "social_org" and self.social_teams[self.street_of_grid[grid]].desks:
            team = self.social_teams[self.street_of_grid[grid]]
        else:
            team = self.grid_teams[grid]
        self.enqueue(issue, team, now)

    def enqueue(self, issue: int, team: Team, now: float) -> None:
        log = self.issues
        competent = team.resolves_all or (team.level >= log.level_needed[issue] + 1
                                          and not log.collective[issue])
        log.work_left[issue] = log.work_hours[issue] if competent else self.p.staffing.triage_hours
        log.level[issue] = team.level
        cat = log.category[issue]
        team.push(issue, bool(self.cats.urgent[cat]), float(log.deadline_at[issue]), now)

    def on_done(self, issue: int, team: Team, now: float) -> None:
        """A desk finished its work on an order: resolved here, or passed up."""
        log = self.issues
        if team.resolves_all or (team.level >= log.level_needed[issue] + 1
                                 and not log.collective[issue]):
            self.resolve(issue, team.level, team.resolver, now)
        else:
            self.escalate(issue, team, now)

    def escalate(self, issue: int, team: Team, now: float) -> None:
        """Pass a work order up a level through the platform, after the dispatch delay [F32]."""
        log = self.issues
        log.escalations[issue] += 1
        self.recorder.escalations += 1
        self.transit.send(now + self.p.platform.dispatch_delay_days, self._arrive_above, issue)

    def _arrive_above(self, issue: int, now: float) -> None:
        log = self.issues
        comm = int(log.community[issue])
        here = int(log.level[issue])
        if self.cats.utility[log.category[issue]]:
            self.enqueue(issue, self.utility_teams[self.district_of_comm[comm]], now)
        elif log.collective[issue]:
            self.committees[comm].awaiting_consultation.append(issue)  # [F8, F9]
            log.level[issue] = RL["community"]
        elif here == RL["grid"]:
            self.enqueue(issue, self.community_teams[comm], now)
        elif here == RL["community"]:
            self.enqueue(issue, self.street_teams[self.places.community_street[comm]], now)
        else:
            district = self.district_of_comm[comm]
            self.enqueue(issue, self.department_teams[district], now)

    def small_fixable(self, issue: int) -> bool:
        """Small matters a micro-grid worker can settle on the spot [F34]."""
        log = self.issues
        cat = log.category[issue]
        return (log.level_needed[issue] == LV["grid"] and not log.collective[issue]
                and self.cats.service[cat] == "none" and not self.cats.utility[cat])

    def fix_on_the_spot(self, issue: int, now: float) -> None:
        if math.isnan(self.issues.resolved_at[issue]):
            self.resolve(issue, RL["micro_grid"], BY["micro_grid_worker"], now)

    def resolve(self, issue: int, level: int, by: int, now: float) -> None:
        log = self.issues
        log.resolved_at[issue] = now
        log.resolved_level[issue] = level
        log.resolved_by[issue] = by
        on_time = now <= log.deadline_at[issue]
        self.recorder.resolved(on_time)
        rp = self.p.residents
        resident = self.residents_list[int(log.resident[issue])]
        resident.hear_outcome(rp.trust_gain_on_time if on_time else -rp.trust_loss_late)

    # -------------------------------------------------- finding hidden issues
    def _detect(self, now: float, patrol_by_grid: np.ndarray) -> None:
        """Patrols, micro-grid workers and passing riders find hidden issues (daily)."""
        log = self.issues
        if self._new_hidden:
            self._hidden = np.concatenate((self._hidden, np.array(self._new_hidden, np.int64)))
            self._new_hidden = []
        pool = self._hidden
        if pool.size == 0:
            return
        pool = pool[np.isnan(log.known_at[pool]) & np.isnan(log.resolved_at[pool])]
        mg = log.micro_grid[pool]
        rates = np.stack([
            patrol_by_grid[log.grid[pool]] * self.p.staffing.patrol_find_per_hour,
            self.mg_covered[mg] * self.p.micro_grid.notice_rate_per_day,
            self.rider_rate[mg] * self.cats.street_visible[log.category[pool]],
        ])
        total = rates.sum(axis=0)
        u = self.rng_detect.random((2, pool.size))
        found = u[0] < -np.expm1(-total)
        who = (u[1][found] * total[found] > rates[0][found]).astype(int)
        who += u[1][found] * total[found] > rates[0][found] + rates[1][found]
        for issue, k in zip(pool[found].tolist(), who.tolist(), strict=True):
            if k == 0:
                self.make_known(issue, CH["patrol"], now)
                self.to_grid(issue, now)
            elif k == 1:
                self.make_known(issue, CH["micro_grid_patrol"], now)
                self.micro_grid_workers[int(log.micro_grid[issue])].receive(issue, now)
            else:
                self.make_known(issue, CH["rider"], now)
                riders = self._riders_at[int(log.micro_grid[issue])]
                riders[int(self.rng_detect.integers(len(riders)))].points += 1  # [F26]
                self.platform.receive(issue, now)
        self._hidden = pool[~found]

    def _incidents(self, now: float) -> None:
        """Hazards past their clock, still unresolved, become incidents."""
        log, clock = self.issues, self._hazard_clock
        rp = self.p.residents
        while clock and clock[0][0] <= now:
            _, issue = heappop(clock)
            if not math.isnan(log.resolved_at[issue]):
                continue
            log.became_incident[issue] = True
            self.recorder.incidents += 1
            self.residents_list[int(log.resident[issue])].hear_outcome(-rp.trust_loss_incident)
            if math.isnan(log.known_at[issue]):
                self.make_known(issue, CH["incident"], now)
                self.to_grid(issue, now)
