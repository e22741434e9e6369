"""The governance model: a city's communities, their workers, and the issues residents raise.

Time is Mesa's: one time unit is one day; ``step()`` marks the day boundary (closing
the day's books, opening the next day); everything inside a day is a Mesa event —
shifts opening, work orders finishing, reports and dispatches arriving.

Randomness is Mesa's ``model.rng``, split into independent streams so that the same
seed gives the same residents and the same issues in every scenario that shares a
layout and issue rates (common random numbers: paired scenario differences).
"""

from __future__ import annotations

import math
from heapq import heappush

import mesa
import numpy as np
import pandas as pd
from mesa.agentset import AgentSet

from sim.agents import (
    CommunityCommittee,
    Department,
    GridWorker,
    MicroGridWorker,
    NewEmploymentWorker,
    Platform,
    Resident,
    SocialOrganisation,
    StreetOffice,
    Utility,
    Volunteer,
    VolunteerStation,
)
from sim.issues import BY, RL, CategoryTable, IssueLog
from sim.lifecycle import IssueLifecycle
from sim.outcomes import Recorder
from sim.places import Places, build_graph, lay_out
from sim.scenario import Scenario
from sim.work import ShiftGroup, Team, Transit


class GovernanceModel(IssueLifecycle, mesa.Model):
    """Community governance in a megacity, modelled on Nanjing's practice.

    Args:
        scenario: a validated :class:`~sim.scenario.Scenario`.
        rng: a seed (int or ``numpy.random.SeedSequence``) for Mesa's generator.
    """

    def __init__(self, scenario: Scenario, rng: int | np.random.SeedSequence | None = None) -> None:
        if isinstance(rng, np.random.SeedSequence):
            # spawn() below advances a SeedSequence's child counter: work on a copy so
            # the caller's seed gives the same run every time it is passed.
            rng = np.random.SeedSequence(rng.entropy, spawn_key=rng.spawn_key,
                                         pool_size=rng.pool_size)
        super().__init__(rng=scenario.run.seed if rng is None else rng)
        self.p = scenario
        # Independent streams, so a lever that changes one process leaves the others'
        # draws alone: arrivals (and every per-issue draw), people, detection.
        self.rng_layout, self.rng_arrivals, self.rng_people, self.rng_detect = self.rng.spawn(4)
        self.cats = CategoryTable(scenario)
        self.issues = IssueLog(capacity=int(scenario.layout.residents * 0.5) + 1024)
        self.places: Places = lay_out(scenario.layout)
        self.transit = Transit(self)
        self.platform = Platform(self)
        self.recorder = Recorder(self)
        self.day = 0  # days completed
        self._hazard_clock: list[tuple[float, int]] = []  # (incident_at, issue)
        self._hidden = np.empty(0, dtype=np.int64)  # unknown, unresolved issues
        self._new_hidden: list[int] = []
        self._make_residents()
        self._make_workers()
        self._make_riders()
        self.graph = build_graph(self.places, utilities_in_grid=scenario.utilities.in_grid,
                                 rider_routes=[np.asarray(r.route) for r in self.riders])
        self.datacollector = mesa.DataCollector(model_reporters={
            name: _last(name) for name in (
                "raised", "resolved", "open", "on_time_share", "incidents", "admin_hours",
                "case_hours", "patrol_hours", "mean_trust")
        })
        self._open_day(0)

    # ----------------------------------------------------------------------- set-up
    def _make_residents(self) -> None:
        pl, rp, rng = self.places, self.p.residents, self.rng_layout
        n = pl.n_residents
        mg = np.repeat(np.arange(pl.n_micro_grids), pl.micro_grid_residents)
        elderly = rng.random(n) < rp.elderly_share
        digital = rng.random(n) < np.where(elderly, rp.digital_access_elderly, rp.digital_access)
        party = rng.random(n) < rp.party_member_share
        if rp.trust_sd > 0:  # beta with the given mean and sd (clipped to a valid shape)
            m, v = rp.trust_mean, min(rp.trust_sd**2, rp.trust_mean * (1 - rp.trust_mean) * 0.99)
            k = m * (1 - m) / v - 1 if v > 0 else 0
            trust = rng.beta(m * k, (1 - m) * k, n) if 0 < m < 1 and k > 0 else np.full(n, m)
        else:
            trust = np.full(n, rp.trust_mean)
        self.residents_list: list[Resident] = list(Resident.create_agents(
            self, n, micro_grid=mg.tolist(), elderly=elderly.tolist(), digital=digital.tolist(),
            party_member=party.tolist(), trust=trust.tolist()))
        self.residents = self.agents_by_type[Resident]
        self.trust_sum = float(trust.sum())
        self.trust_sq = float((trust**2).sum())
        self.trust_start = self.trust_sum / max(n, 1)
        # Volunteer stations, one per community, with the residents who volunteer.
        vp = self.p.volunteers
        n_comm = pl.n_communities
        self.volunteer_teams = [
            Team("volunteer", RL["community"], BY["volunteer"], c, self.on_done, resolves_all=True)
            for c in range(n_comm)
        ]
        per_comm = pl.residents_in("community")
        self.stations = [
            VolunteerStation(self, c, self.volunteer_teams[c],
                             desks=max(1, math.ceil(per_comm[c] * vp.rate * vp.hours_per_week
                                                    / 7 / 8)) if vp.rate * vp.hours_per_week > 0
                             else 0)
            for c in range(n_comm)
        ]
        is_vol = np.flatnonzero(rng.random(n) < vp.rate)
        comm_of_res = pl.micro_grid_community[mg]
        for i in is_vol.tolist():
            Volunteer(self, self.residents_list[i], self.stations[comm_of_res[i]])

    def _make_workers(self) -> None:
        pl, p, rng = self.places, self.p, self.rng_layout
        b = p.burden
        res_grid = pl.residents_in("grid")
        res_comm = pl.residents_in("community")
        res_street = pl.residents_in("street")
        res_district = pl.residents_in("district")
        # Grid workers: staffing per 10,000 [F30] per community, one per grid first,
        # extra staff to the most populous grids.
        self.grid_teams = [Team("grid", RL["grid"], BY["grid_worker"], g, self.on_done)
                           for g in range(pl.n_grids)]
        grid_workers: list[GridWorker] = []
        for c in range(pl.n_communities):
            grids = np.flatnonzero(pl.grid_community == c)
            n_staff = round(p.staffing.workers_per_10k * res_comm[c] / 10_000)
            order = grids[np.argsort(-res_grid[grids], kind="stable")]
            for k in range(n_staff):
                g = int(order[k % len(order)])
                grid_workers.append(GridWorker(self, g, self.grid_teams[g]))
        self.grid_workers = self.agents_by_type.get(GridWorker, AgentSet([], random=self.random))
        self._grid_worker_list = grid_workers
        self.workers_per_grid = np.bincount([w.grid for w in grid_workers], minlength=pl.n_grids)
        self.admin_per_day = b.admin_hours()
        start, hours = b.shift_start_hour, b.work_hours_per_day
        self.grid_shift = ShiftGroup(self, [w.desk for w in grid_workers],
                                     start + self.admin_per_day, start + hours, b.workdays_per_week)

        # Micro-grid workers [F16]: micro-grids covered, drawn once.
        covered = rng.random(pl.n_micro_grids) < p.micro_grid.coverage
        self.micro_grid_workers: dict[int, MicroGridWorker] = {
            int(m): MicroGridWorker(self, int(m)) for m in np.flatnonzero(covered)
        }
        self.mg_covered = covered

        office_desks = []
        st = p.staffing
        self.community_teams = [Team("community", RL["community"], BY["community_committee"], c,
                                     self.on_done) for c in range(pl.n_communities)]
        self.committees = [CommunityCommittee(self, c, self.community_teams[c],
                                              st.community_office_staff)
                           for c in range(pl.n_communities)]
        self.street_teams = [Team("street", RL["street"], BY["street_office"], s, self.on_done)
                             for s in range(pl.n_streets)]
        comm_per_street = np.bincount(pl.community_street, minlength=pl.n_streets)
        self.street_offices = [
            StreetOffice(self, self.street_teams[s],
                         max(1, round(st.street_staff_per_community * comm_per_street[s])))
            for s in range(pl.n_streets)]
        self.department_teams = [Team("department", RL["department"], BY["department"], d,
                                      self.on_done) for d in range(pl.n_districts)]
        self.departments = [
            Department(self, self.department_teams[d],
                       max(1, round(st.department_staff_per_100k * res_district[d] / 100_000)))
            for d in range(pl.n_districts)]
        # Utility staff: embedded in grids they resolve utility issues at grid level
        # [F17]; otherwise utility issues go up to the district's utility company.
        ut = p.utilities
        comm_per_district = np.bincount(pl.street_district[pl.community_street],
                                        minlength=pl.n_districts)
        self.utility_teams = [
            Team("utility", RL["grid"] if ut.in_grid else RL["department"], BY["utility_staff"],
                 d, self.on_done, resolves_all=True) for d in range(pl.n_districts)]
        self.utilities = [
            Utility(self, self.utility_teams[d],
                    max(1, round(ut.staff_per_community * comm_per_district[d])))
            for d in range(pl.n_districts)]
        # Social-work stations [F22]: weekly hours per street, spread over 8-hour desks.
        so_day = (p.social_orgs.hours_per_week_per_10k * res_street / 10_000
                  / b.workdays_per_week)
        self.social_teams = [Team("social_org", RL["community"], BY["social_organisation"], s,
                                  self.on_done, resolves_all=True) for s in range(pl.n_streets)]
        self.social_orgs = [
            SocialOrganisation(self, s, self.social_teams[s],
                               math.ceil(so_day[s] / 8) if so_day[s] > 0 else 0)
            for s in range(pl.n_streets)]
        for team in (*self.community_teams, *self.street_teams, *self.department_teams):
            office_desks.extend(team.desks)
        self.office_shift = ShiftGroup(self, office_desks, start, start + hours,
                                       b.workdays_per_week)
        self.utility_shift = ShiftGroup(self, [d for t in self.utility_teams for d in t.desks],
                                        start, start + hours, ut.days_per_week)
        self.social_shifts = [
            ShiftGroup(self, t.desks, start, start + (so_day[s] / len(t.desks) if t.desks else 0),
                       b.workdays_per_week) for s, t in enumerate(self.social_teams)]
        # Volunteers give hours every day; the shift's length follows their hours.
        v_start = p.volunteers.start_hour
        self.volunteer_shifts = [ShiftGroup(self, t.desks, v_start, v_start, 7)
                                 for t in self.volunteer_teams]
        self.district_of_comm = pl.street_district[pl.community_street]
        self.street_of_grid = pl.community_street[pl.grid_community]

    def _make_riders(self) -> None:
        """Riders' routes: a run of neighbouring micro-grids in their street [F25]."""
        pl, mp, rng = self.places, self.p.mobile_grid, self.rng_layout
        routes: list[list[int]] = []
        enrolled: list[bool] = []
        res_street = pl.residents_in("street")
        street_of_mg = pl.community_street[pl.micro_grid_community]
        for s in range(pl.n_streets):
            mgs = np.flatnonzero(street_of_mg == s)
            n = round(mp.riders_per_10k * res_street[s] / 10_000)
            n_enrolled = round(mp.mobile_grid_workers_per_10k * res_street[s] / 10_000)
            length = min(mp.micro_grids_per_route, len(mgs))
            starts = rng.integers(0, len(mgs), n)
            chosen = set(rng.permutation(n)[:n_enrolled].tolist())
            for k, s0 in enumerate(starts.tolist()):
                routes.append(mgs[(s0 + np.arange(length)) % len(mgs)].tolist())
                enrolled.append(k in chosen)
        for route, e in zip(routes, enrolled, strict=True):
            NewEmploymentWorker(self, route, e)
        self.riders = self.agents_by_type.get(NewEmploymentWorker,
                                              AgentSet([], random=self.random))
        passes = np.zeros(pl.n_micro_grids)
        self._riders_at: dict[int, list[NewEmploymentWorker]] = {}
        for rider in self.riders:
            if rider.enrolled:
                np.add.at(passes, rider.route, 1)
                for m in rider.route:
                    self._riders_at.setdefault(m, []).append(rider)
        friendly = rng.random(pl.n_communities) < mp.rider_friendly_share  # [F20]
        boost = (1 + mp.incentive_effect * mp.incentive) * (
            1 + mp.rider_friendly_effect * friendly[pl.micro_grid_community])
        self.rider_rate = passes * mp.detect_per_pass * boost  # per hidden issue per day

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """The day boundary: close the day that ended, open the next."""
        self._close_day(self.day)
        self.day += 1
        self._open_day(self.day)

    def run(self, days: int) -> None:
        """Advance ``days`` whole days."""
        self.run_for(days)

    def _open_day(self, day: int) -> None:
        self._draw_arrivals(day)
        self.grid_shift.schedule(day)
        self.office_shift.schedule(day)
        self.utility_shift.schedule(day)
        for group in self.social_shifts:
            group.schedule(day)
        for station, group in zip(self.stations, self.volunteer_shifts, strict=True):
            if group.desks:
                group.close_hour = min(24.0, group.open_hour
                                       + station.hours_per_day / len(group.desks))
                group.schedule(day)
        every = self.p.consultation.every_days
        if day > 0 and day % every == 0:
            for committee in self.committees:
                committee.hold_consultation(float(day))

    def _close_day(self, day: int) -> None:
        now = float(day + 1)
        b = self.p.burden
        workday = self.grid_shift.works_on(day)
        admin = self.admin_per_day if workday else 0.0
        shift = b.work_hours_per_day if workday else 0.0
        patrol_by_grid = np.zeros(self.places.n_grids)
        overloaded = 0
        for w in self._grid_worker_list:
            w.admin_hours = admin
            w.case_hours = w.desk.take_hours(now)
            w.patrol_hours = max(0.0, shift - admin - w.case_hours)
            patrol_by_grid[w.grid] += w.patrol_hours
            if workday and w.patrol_hours < 0.01 and len(w.desk.team):
                overloaded += 1
        for team in (*self.community_teams, *self.street_teams, *self.department_teams,
                     *self.utility_teams, *self.social_teams, *self.volunteer_teams):
            for desk in team.desks:
                desk.take_hours(now)  # other staff's hours are counted in summary only
        self.recorder.close_day(day, overloaded)
        self.datacollector.collect(self)
        # Patrol finds and incidents happen at the boundary, so they count in the new day.
        self._detect(now, patrol_by_grid)
        self._incidents(now)

    # --------------------------------------------------------------- arrivals
    def _draw_arrivals(self, day: int) -> None:
        """The day's issues, drawn in bulk per micro-grid and category (Poisson)."""
        pl, cats, rng = self.places, self.cats, self.rng_arrivals
        lam = np.outer(pl.micro_grid_residents, cats.rate)
        counts = rng.poisson(lam).ravel()
        cells = np.repeat(np.arange(counts.size), counts)
        n = cells.size
        if n == 0:
            return
        mg, cat = np.divmod(cells, len(cats))
        t = day + rng.random(n)
        order = np.argsort(t, kind="stable")
        mg, cat, t = mg[order], cat[order], t[order]
        resident = pl.micro_grid_first_resident[mg] + (
            rng.random(n) * pl.micro_grid_residents[mg]).astype(np.int64)
        level = cats.draw_levels(cat, rng.random(n))
        work = cats.draw_work(cat, rng)
        collective = rng.random(n) < cats.collective_share[cat]
        hidden = rng.random(n) < cats.hidden_share[cat]
        incident_at = np.where(cats.hazard[cat], t + rng.exponential(1.0, n) *
                               cats.incident_after[cat], np.inf)
        u_report, u_channel = rng.random(n), rng.random(n)
        delay = t + rng.exponential(1.0, n) * self.p.residents.report_delay_days
        ids = self.issues.append(
            category=cat, micro_grid=mg, grid=pl.micro_grid_grid[mg],
            community=pl.micro_grid_community[mg], resident=resident, raised_at=t,
            level_needed=level, work_hours=work, collective=collective, incident_at=incident_at)
        self.recorder.raised(cat)
        residents = self.residents_list
        for i, issue in enumerate(ids.tolist()):
            if incident_at[i] < np.inf:
                heappush(self._hazard_clock, (float(incident_at[i]), issue))
            channel = -1 if hidden[i] else residents[resident[i]].choose_channel(
                u_report[i], u_channel[i])
            if channel < 0:
                self._new_hidden.append(issue)
            else:
                self.transit.send(float(delay[i]), self._report(channel), issue)

    # ------------------------------------------------------------- trust
    def trust_changed(self, old: float, new: float) -> None:
        self.trust_sum += new - old
        self.trust_sq += new * new - old * old

    @property
    def mean_trust(self) -> float:
        return self.trust_sum / max(len(self.residents_list), 1)

    @property
    def trust_sd(self) -> float:
        n = max(len(self.residents_list), 1)
        return math.sqrt(max(self.trust_sq / n - (self.trust_sum / n) ** 2, 0.0))

    # ------------------------------------------------------------- views
    def daily_frame(self) -> pd.DataFrame:
        return self.recorder.daily_frame()

    def issues_frame(self) -> pd.DataFrame:
        """Issues raised before now (see docs/outputs.md)."""
        frame = self.issues.frame(self.cats.names)
        return frame[frame["raised_at"] < self.time].reset_index(drop=True)

    def summary(self) -> dict[str, float]:
        return self.recorder.summary()

    def open_by_grid(self) -> np.ndarray:
        return self._open_by("grid", self.places.n_grids)

    def open_by_micro_grid(self) -> np.ndarray:
        return self._open_by("micro_grid", self.places.n_micro_grids)

    def _open_by(self, column: str, size: int) -> np.ndarray:
        log, n = self.issues, self.issues.n
        is_open = np.isnan(log.resolved_at[:n]) & (log.raised_at[:n] < self.time)
        return np.bincount(getattr(log, column)[:n][is_open], minlength=size)

    def trust_by_micro_grid(self) -> np.ndarray:
        trust = np.fromiter((r.trust for r in self.residents_list), float,
                            len(self.residents_list))
        mg = np.repeat(np.arange(self.places.n_micro_grids), self.places.micro_grid_residents)
        return np.bincount(mg, trust, self.places.n_micro_grids) / np.maximum(
            self.places.micro_grid_residents, 1)


def _last(name: str):
    def report(model: GovernanceModel) -> float:
        rows = model.recorder.rows
        return rows[-1][name] if rows else float("nan")
    return report
