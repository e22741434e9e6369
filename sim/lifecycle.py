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

from sim.issues import BY, CH, LV, RL, WAKING_HOURS, lognormal_days
from sim.tail import is_platform_order
from sim.work import Team

if TYPE_CHECKING:
    from collections.abc import Callable



# Deliveries that make a hidden issue known (see ``IssueLifecycle._schedule_finds``).
FINDS: frozenset[str] = frozenset(
    ("found_on_patrol", "found_on_visit", "noticed_by_micro_grid", "seen_by_rider"))


class IssueLifecycle:
    """Routing of work orders: grid → community → street → department [F32, F34]."""

    def _report(self, channel: int) -> Callable[[int, float], None]:
        return (self.report_to_grid_worker, self.report_to_micro_grid_worker,
                self.report_to_platform, self.report_by_app)[channel]

    # Residents' reporting, by channel -------------------------------------------------
    def report_channels(self, residents: np.ndarray, u_report: np.ndarray,
                        u_channel: np.ndarray) -> np.ndarray:
        """The channel each of these residents reports an issue through (0 grid worker,
        1 micro-grid worker, 2 the 12345 hotline, 3 the app), or -1 to keep quiet, and
        count their reports.

        The chance to report takes trust as an absolute level (the base chance holds at
        the reference trust), lower for the elderly, the offline and floating residents,
        higher for Party members [P9, F5]. A reporter picks among the channels open to
        them; distrust of the community pushes people to the hotline. One pass over the
        day's raisers (a resident's own ``choose_channel`` is this rule for one): the
        same sums, in the same order, as one resident at a time.
        """
        ch, rp, pop = self.p.channels, self.p.residents, self.population
        trust = pop.trust[residents]
        p = rp.report_base * (1 + rp.trust_report_weight * (trust - rp.trust_reference))
        # Multiplying by 1.0 where a factor does not apply leaves p exactly as it was.
        p = p * np.where(pop.elderly[residents], rp.elderly_report_factor, 1.0)
        p = p * np.where(pop.digital[residents], 1.0, rp.no_digital_report_factor)
        p = p * np.where(pop.party_member[residents], rp.party_report_factor, 1.0)
        p = p * np.where(pop.floating[residents], rp.floating_report_factor, 1.0)
        reports = u_report < np.clip(p, 0.0, 1.0)
        np.add.at(self.reports, residents[reports], 1)  # a resident may raise two a day
        distrust = np.maximum(0.0, rp.trust_reference - trust)
        grid = np.full(len(residents), float(ch.grid_worker))
        micro = np.where(self.mg_covered[pop.micro_grid[residents]],
                         float(ch.micro_grid_worker), 0.0)
        hotline = ch.hotline * (1.0 + rp.distrust_hotline * distrust)
        app = np.where(pop.digital[residents], float(ch.app), 0.0)
        # Weights are never negative: when all are zero, the hotline.
        hotline = np.where(grid + micro + hotline + app <= 0, 1.0, hotline)
        a = grid + micro
        b = a + hotline
        total = b + app
        x = u_channel * total
        channel = ((grid <= x).astype(np.int64) + (a <= x) + (b <= x) + (total <= x))
        return np.where(reports, channel, -1)

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
            self.platform.receive(issue, now, by_app=True)

    # ------------------------------------------------------------- routing
    def make_known(self, issue: int, channel: int, now: float) -> bool:
        """The system learns of an issue; False if it knew already."""
        log = self.issues
        if not math.isnan(log.known_at[issue]):
            return False
        log.known_at[issue] = now
        log.channel[issue] = channel
        if self.holidays is None:
            log.deadline_at[issue] = now + self.cats.deadline[log.category[issue]]
        else:  # deadlines may count working days [P11]
            log.deadline_at[issue] = self.deadline_from(now, int(log.category[issue]))
        if log.flow:  # the platform's clock starts with the resident's
            log.kpi_deadline_at[issue] = log.deadline_at[issue]
        self.recorder.known += 1
        return True

    def to_grid(self, issue: int, now: float) -> None:
        """A work order reaches the grid: to the utility staff in the grid [F17], to a
        service partner with the skill and the hours [F21], or to the grid's workers;
        with no one there to work it, it is passed on through the platform."""
        log = self.issues
        if not math.isnan(log.resolved_at[issue]):
            return
        cat = int(log.category[issue])
        comm = int(log.community[issue])
        prop = self.property_teams[comm] if self.cats.property_managed[cat] else None
        embedded = self.areas.utility_of_grid[log.grid[issue]]
        if self.cats.utility[cat] and embedded >= 0:  # utility staff in the grid [F17]
            team = self.utility_teams[embedded]
        elif prop is not None and log.u_route[issue] < self.property_cut[comm]:
            team = prop  # the property company takes it [F28]
        else:
            team = self.service_team(issue, cat, now)
            if team is None:
                t = self.grid_team_of[log.grid[issue]]
                team = self.grid_teams[t] if t >= 0 else None
        if team is None or not team.staffed:
            log.level[issue] = RL["grid"]
            self.recorder.passed_on += 1
            self.escalate(issue, None, now)
            return
        self.enqueue(issue, team, now)

    def service_team(self, issue: int, cat: int, now: float) -> Team | None:
        """The service partner for a care or social-work issue, or None for the grid.

        A partner is a candidate only if it has someone to do the work and can clear its
        queue before the issue's deadline. With the five-society linkage [F21] the
        community, volunteers, social workers and funded projects work as one team: the
        candidate that would finish soonest takes it. Without it each category goes to
        its own service only (care to volunteers, legal aid to the social-work station).
        """
        log, cats = self.issues, self.cats
        service = cats.service[cat]
        if service == "none" and not cats.social_work[cat]:
            return None
        comm = int(log.community[issue])
        # Who serves this community, by the graph's ``serves`` edges.
        s_idx = self.areas.social_org_of_community[comm]
        v_idx = self.areas.station_of_community[comm]
        so_teams = []
        if s_idx >= 0:
            so = self.social_orgs[s_idx]
            so_teams = [t for t in (so.project_teams.get(cat), so.team) if t is not None]
        volunteers = [self.volunteer_teams[v_idx][int(log.need[issue])]] if v_idx >= 0 else []
        if self.p.social_orgs.five_society_linkage:
            candidates = (volunteers if service == "volunteer" else []) + so_teams
        elif service == "volunteer":
            candidates = volunteers
        elif service == "social_org":
            candidates = so_teams
        else:
            candidates = []
        slack = float(log.deadline_at[issue]) - now
        best, best_days = None, float("inf")
        for team in candidates:
            days = team.backlog_days()
            if days < best_days and days <= slack:
                best, best_days = team, days
        return best

    def enqueue_work(self, issue: int, team: Team, now: float, hours: float) -> None:
        """Queue ``hours`` of work on ``issue`` for ``team`` (urgent first, then by deadline)."""
        log = self.issues
        log.work_left[issue] = hours
        urgent = bool(self.cats.urgent[log.category[issue]])
        # Units work to the deadline they are appraised on (extended, or restarted).
        deadline = log.kpi_deadline_at[issue] if log.flow else log.deadline_at[issue]
        team.push(issue, urgent, float(deadline), now, hours)

    def enqueue(self, issue: int, team: Team, now: float) -> None:
        log = self.issues
        competent = team.resolves_all or (team.level >= log.level_needed[issue] + 1
                                          and not log.collective[issue])
        log.level[issue] = team.level
        if math.isnan(log.dispatched_at[issue]):
            log.dispatched_at[issue] = now
        hours = log.work_hours[issue] if competent else self.p.staffing.triage_hours
        if self.flow_on and is_platform_order(log, issue):
            self.flow_enqueued(issue, team, now, float(hours))
        self.enqueue_work(issue, team, now, float(hours))

    def on_done(self, issue: int, team: Team, now: float) -> None:
        """A desk finished its work on an order: resolved here, or passed up."""
        log = self.issues
        if self.flow_on:
            if issue in self._returning:  # assessed as not this unit's own: returned
                self.send_back(issue, team, now)
                return
            if self.dropped_reached(issue):  # closed on paper meanwhile
                return
            if self.p.work_orders.reopen_unsatisfied:
                self._closer[issue] = team
        if team.resolves_all or (team.level >= log.level_needed[issue] + 1
                                 and not log.collective[issue]):
            level = team.level
            if team.kind == "utility":  # in the grid where embedded [F17], else above
                embedded = self.areas.utility_of_grid[log.grid[issue]] >= 0
                level = RL["grid"] if embedded else RL["department"]
            else:
                # Desk hours are not calendar time: the fix may wait for an appointment,
                # both parties, a part, a contractor or several departments. Utilities'
                # repair crews [F17], property companies' own maintenance staff [F28] and
                # on-the-spot fixes have no such wait.
                st = self.p.staffing
                if team.kind == "department" and self.to_crew(issue, team, now):
                    return  # the works wait for the district's field crews
                mean = 0.0 if team.kind == "property" else self.works_days[level]
                u = float(log.u_works[issue])
                if level == RL["grid"]:  # a share is settled on the spot when worked
                    at_once = st.grid_at_once_share
                    mean = 0.0 if u < at_once else mean
                    u = (u - at_once) / (1.0 - at_once) if u >= at_once else u
                if mean > 0:
                    self._works_by[issue] = team.resolver
                    days = lognormal_days(u, mean, st.works_cv)
                    self.transit.send(now + days, self.works_done, issue)
                    return
            self.resolve(issue, level, team.resolver, now)
        else:
            self.escalate(issue, team, now)

    @property
    def works_days(self) -> tuple[float, ...]:
        """Mean calendar days of follow-through, by resolved level (sim.issues.RL)."""
        st = self.p.staffing
        return (0.0, st.grid_works_days, st.community_works_days, st.street_works_days,
                st.department_works_days)

    def works_done(self, issue: int, now: float) -> None:
        """The follow-through of a worked order is finished: it is resolved."""
        self.resolve(issue, int(self.issues.level[issue]), self._works_by.pop(issue), now)

    def escalate(self, issue: int, team: Team | None, now: float) -> None:
        """Pass a work order up a level: the district command centre triages and
        dispatches it [F32]; an order for several departments needs joint handling."""
        log = self.issues
        log.escalations[issue] += 1
        self.recorder.escalations += 1
        self.left_unit(issue)
        to_department = int(log.level[issue]) >= RL["street"] or bool(
            self.cats.utility[log.category[issue]])
        self.platform.pass_up(issue, now, bool(log.joint[issue]) and to_department)

    def arrive_above(self, issue: int, now: float) -> None:
        """A passed-up order reaches the next level that has someone to work it."""
        log = self.issues
        comm = int(log.community[issue])
        here = int(log.level[issue])
        district = int(self.district_of_comm[comm])
        if self.cats.utility[log.category[issue]]:
            u = self.areas.utility_of_district[district]
            self.enqueue(issue, self.utility_teams[u if u >= 0 else district], now)
            return
        if log.collective[issue]:
            self.committees[comm].awaiting_consultation.append(issue)  # [F8, F9]
            log.level[issue] = RL["community"]
            return
        above = (self.community_teams[comm],
                 self.street_teams[self.places.community_street[comm]],
                 self.department_teams[self.areas.department_of_district[district]
                                       if self.areas.department_of_district[district] >= 0
                                       else district])
        for team in above:
            if team.level <= here:
                continue
            if team.staffed or team.level == RL["department"]:
                if self.flow_on and self.returns_order(issue, team, now):
                    return  # 部门回退: the unit will send it back
                self.enqueue(issue, team, now)
                return
            self.recorder.passed_on += 1  # nobody at this level: on to the next

    def small_fixable(self, issue: int) -> bool:
        """Small matters a micro-grid worker can settle on the spot [F34]."""
        log = self.issues
        cat = log.category[issue]
        return (log.level_needed[issue] == LV["grid"] and not log.collective[issue]
                and self.cats.service[cat] == "none" and not self.cats.utility[cat])

    def fix_on_the_spot(self, issue: int, now: float) -> None:
        if math.isnan(self.issues.resolved_at[issue]):
            self.resolve(issue, RL["micro_grid"], BY["micro_grid_worker"], now)

    def _schedule_finds(self, now: float, issues: np.ndarray, who: np.ndarray,
                        u: np.ndarray, rounds_by_grid: np.ndarray) -> None:
        """Send each find to the time it happens: rounds (0 patrol, 1 home visit) in the
        last ``rounds_by_grid`` hours of the next workday's shift; neighbours (2) and
        riders (3) in the coming day's waking hours."""
        if issues.size == 0:
            return
        log = self.issues
        day = round(now)
        workday = day
        while not self.works_on(workday):
            workday += 1
        close = self._close_hour_of_comm[log.community[issues]]
        on_rounds = workday + (close - u * rounds_by_grid[log.grid[issues]]) / 24.0
        wake, sleep = WAKING_HOURS
        awake = day + (wake + u * (sleep - wake)) / 24.0
        at = np.where(who <= 1, on_rounds, awake)
        deliver = (self.found_on_patrol, self.found_on_visit, self.noticed_by_micro_grid,
                   self.seen_by_rider)
        for issue, k, t in zip(issues.tolist(), who.tolist(), at.tolist(), strict=True):
            self.transit.send(t, deliver[k], issue)

    # Finds, delivered live. An issue that became known otherwise meanwhile (an
    # incident) is left where it is.
    def found_on_patrol(self, issue: int, now: float) -> None:
        if self.make_known(issue, CH["patrol"], now) and not self._fixed_on_round(issue, now):
            self.to_grid(issue, now)

    def found_on_visit(self, issue: int, now: float) -> None:
        if (self.make_known(issue, CH["home_visit"], now)
                and not self._fixed_on_round(issue, now)):
            self.to_grid(issue, now)

    def _fixed_on_round(self, issue: int, now: float) -> bool:
        """A small matter the grid worker settles on the round itself, with probability
        ``round_fix_share`` (its time is part of the round's hours)."""
        share = self.p.staffing.round_fix_share
        # no draw at the default 0, so scenarios without round fixes keep their streams
        if share <= 0 or not self.small_fixable(issue) or self.rng_people.random() >= share:
            return False
        self.resolve(issue, RL["grid"], BY["grid_worker"], now)
        return True

    def noticed_by_micro_grid(self, issue: int, now: float) -> None:
        if self.make_known(issue, CH["micro_grid_patrol"], now):
            self.micro_grid_workers[int(self.issues.micro_grid[issue])].receive(issue, now)

    def seen_by_rider(self, issue: int, now: float) -> None:
        if not self.make_known(issue, CH["rider"], now):
            return
        riders = self._riders_at[int(self.issues.micro_grid[issue])]
        weights = np.array([r.reporting_weight() for r in riders])
        pick = np.searchsorted(np.cumsum(weights), float(self.issues.find_v[issue])
                               * weights.sum(), side="right")
        riders[min(int(pick), len(riders) - 1)].points += 1  # [F26]
        self.platform.receive(issue, now, by_app=True)  # direct-report point [F25]

    def resolve(self, issue: int, level: int, by: int, now: float) -> None:
        """The need is met (the resident's side); the platform's closing may differ
        (``sim/tail.py``)."""
        log = self.issues
        if self.flow_on:
            if is_platform_order(log, issue):
                if self.flow_close(issue, now):
                    return  # closed with the need unmet
            else:
                log.closed_at[issue] = now
        log.resolved_at[issue] = now
        log.resolved_level[issue] = level
        log.resolved_by[issue] = by
        on_time = now <= log.deadline_at[issue]
        self.recorder.resolved(on_time)
        rp = self.p.residents
        who = int(log.resident[issue])
        if who >= 0:  # riders' own issues have no resident behind them
            self.word_of_mouth.hear(who, rp.trust_gain_on_time if on_time else -rp.trust_loss_late)

    # -------------------------------------------------- finding hidden issues
    def _detect(self, now: float, patrol_by_grid: np.ndarray, visit_by_grid: np.ndarray,
                rounds_by_grid: np.ndarray) -> None:
        """Patrols, home visits, micro-grid workers and passing riders find hidden
        issues. Patrols and riders see what is in the street, home visits what is behind
        doors; micro-grid workers, who are neighbours, notice either.

        Decided once a day, at its end, from the hours the day left for rounds (known
        only then); each find then happens live during the coming day — on the next
        workday's rounds at the end of the shift, or in waking hours for neighbours and
        riders — so that what is found can be worked while its finder is on duty.
        """
        log = self.issues
        if self._new_hidden:
            self._hidden = np.concatenate((self._hidden, np.array(self._new_hidden, np.int64)))
            self._new_hidden = []
        pool = self._hidden
        if pool.size == 0:
            return
        pool = pool[np.isnan(log.known_at[pool]) & np.isnan(log.resolved_at[pool])]
        # Needs nobody found in time are given up (hazards keep their incident clock).
        lapse = (log.raised_at[pool] + self.p.residents.give_up_days <= now) & ~self.cats.hazard[
            log.category[pool]]
        if lapse.any():
            self.given_up.extend(pool[lapse].tolist())
            pool = pool[~lapse]
        mg = log.micro_grid[pool]
        grid = log.grid[pool]
        visible = self.cats.street_visible[log.category[pool]]
        rates = np.stack([
            patrol_by_grid[grid] * self.p.staffing.patrol_find_per_hour * visible,
            visit_by_grid[grid] * self.p.burden.visit_find_per_hour * ~visible,
            self.mg_covered[mg] * self.p.micro_grid.notice_rate_per_day,
            self.rider_rate[mg] * visible,
        ])
        total = rates.sum(axis=0)
        acc = log.find_acc[pool] + total
        log.find_acc[pool] = acc
        found = acc >= log.find_threshold[pool]
        cum = np.cumsum(rates[:, found], axis=0)
        who = (log.find_u[pool[found]] * total[found] > cum[:-1]).sum(axis=0)
        found_ids = pool[found]
        # The finder's own uniform: where find_u fell inside the finder's share, rescaled;
        # it places the find in the finder's hours of the coming day.
        below = np.where(who > 0, cum[np.maximum(who - 1, 0), np.arange(who.size)], 0.0)
        share = rates[:, found][who, np.arange(who.size)]
        u = np.clip((log.find_u[found_ids] * total[found] - below)
                    / np.where(share > 0, share, 1.0), 0.0, 1.0 - 1e-9)
        self._schedule_finds(now, found_ids, who, u, rounds_by_grid)
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
            self.recorder.incident_in_closed_day()
            if log.resident[issue] >= 0:
                self.word_of_mouth.hear(int(log.resident[issue]), -rp.trust_loss_incident)
            if math.isnan(log.known_at[issue]):
                self.make_known(issue, CH["incident"], now)
                self.to_grid(issue, now)
