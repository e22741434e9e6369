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
import networkx as nx
import numpy as np
import pandas as pd

from sim.agents import (
    CommunityCommittee,
    Department,
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
from sim.builder import build
from sim.holidays import WorkCalendar
from sim.issues import CategoryTable, IssueLog, time_of_day
from sim.lifecycle import FINDS, IssueLifecycle
from sim.outcomes import Recorder, issues_table
from sim.places import Places, ServiceAreas
from sim.residents import Population, WordOfMouth
from sim.scenario import Scenario
from sim.tail import WATCHES, WorkOrderFlow
from sim.work import Agenda, ShiftGroup, Team, Transit
from sim.workday import CommunityWorkday


class GovernanceModel(IssueLifecycle, WorkOrderFlow, mesa.Model):
    """Community governance in a megacity, modelled on Nanjing's practice.

    Args:
        scenario: a validated :class:`~sim.scenario.Scenario`.
        rng: a seed (int or ``numpy.random.SeedSequence``) for Mesa's generator.
        trace: record every delivery of a work order in transit (``transit.trace``).
        graph: a community graph to run on instead of the scenario's layout (for
            example one built by :func:`sim.places.build_graph` and then edited).

    The model keeps time, the day and its parts; :mod:`sim.builder` builds the parts
    from the scenario, one module each, in the order below.
    """

    # The places (sim.builder.places): the community graph and the tables read from it.
    graph: nx.Graph
    places: Places
    areas: ServiceAreas
    # The residents (sim.builder.residents): population arrays, one agent each, ties.
    population: Population
    residents_list: list[Resident]
    word_of_mouth: WordOfMouth
    # The staff (sim.builder.staff): grid workers by team and beat, their workdays, and
    # micro-grid workers where a micro-grid has one.
    grid_teams: list[Team]
    workdays: list[CommunityWorkday]
    micro_grid_workers: dict[int, MicroGridWorker]
    # The offices (sim.builder.offices) and services (sim.builder.services).
    committees: list[CommunityCommittee]
    street_offices: list[StreetOffice]
    departments: list[Department]
    utilities: list[Utility]
    property_teams: list[Team | None]
    stations: list[VolunteerStation]
    volunteer_of: dict[int, Volunteer]
    social_orgs: list[SocialOrganisation]
    office_shift: ShiftGroup
    # The platform (sim.builder.platform) and the riders (sim.builder.riders).
    platform: Platform
    _rider_list: list[NewEmploymentWorker]
    # Pilots (sim.builder.pilots).
    pilot_comm: np.ndarray

    def __init__(self, scenario: Scenario, rng: int | np.random.SeedSequence | None = None,
                 *, trace: bool = False, graph: nx.Graph | None = None) -> None:
        if isinstance(rng, np.random.SeedSequence):
            # spawn() below advances a SeedSequence's child counter: work on a copy so
            # the caller's seed gives the same run every time it is passed.
            rng = np.random.SeedSequence(rng.entropy, spawn_key=rng.spawn_key,
                                         pool_size=rng.pool_size)
        super().__init__(rng=scenario.run.seed if rng is None else rng)
        self.p = scenario
        # Independent streams, so a lever that changes one process leaves the others'
        # draws alone: layout, arrivals (and every per-issue draw, including the threshold
        # at which a hidden issue is found), people. The fourth stream (once detection's)
        # is no longer drawn from; it stays so the streams after it keep their draws.
        self.rng_layout, self.rng_arrivals, self.rng_people, _ = self.rng.spawn(4)
        # Added later, after the first four, so those keep their draws: the workday
        # (inspection visits, riders leaving the programme) and service projects.
        self.rng_work, self.rng_services = self.rng.spawn(2)
        # Added after those: how long on-the-spot fixes and upper levels' works take.
        (self.rng_works,) = self.rng.spawn(1)
        # Added after those: the work-order flow's per-order decisions (sim/tail.py),
        # drawn only when one of its mechanisms is on.
        (self.rng_flow,) = self.rng.spawn(1)
        self.cats = CategoryTable(scenario)
        self._init_flow()
        residents = scenario.layout.residents if graph is None else sum(
            d.get("residents", 0) for _, d in graph.nodes(data=True)
            if d.get("kind") == "building")
        self.issues = IssueLog(capacity=int(residents * 0.5) + 1024, flow=self.flow_on)
        # Desks' finishes and deliveries, run from one Mesa event (sim.work.Agenda).
        self.agenda = Agenda(self)
        self.transit = Transit(self, trace=trace)
        self.recorder = Recorder(self)
        self.day = 0  # days completed
        self._hazard_clock: list[tuple[float, int]] = []  # (incident_at, issue)
        self._hidden = np.empty(0, dtype=np.int64)  # unknown, unresolved issues
        self._new_hidden: list[int] = []
        self._works_by: dict[int, int] = {}  # orders in follow-through -> who resolves
        self.given_up: list[int] = []  # unknown needs nobody found in time [P9]
        # The working calendar, when holidays or working-day deadlines are on [P11].
        cal = scenario.calendar
        self.holidays = WorkCalendar(cal) if cal.holidays or cal.working_day_deadlines \
            else None
        # The community itself: places, residents, staff, offices, services, platform,
        # riders, where issues arise, pilots (sim.builder, in that order).
        build(self, graph)
        if cal.holidays:  # offices, crews and social-work stations close on holidays
            for group in (self.office_shift, self.crew_shift, *self.social_shifts):
                group.holidays = self.holidays
        self.datacollector = mesa.DataCollector(model_reporters={
            name: _last(name) for name in (
                "raised", "resolved", "open", "on_time_share", "incidents", "admin_hours",
                "case_hours", "patrol_hours", "mean_trust")
        })
        self._open_day(0)

    def _start_pilot(self) -> None:
        """From the start day, pilot communities run with the pilot's overrides."""
        view = self.p.pilot_view()
        for c in np.flatnonzero(self.pilot_comm).tolist():
            self.workdays[c].set_burden(view.burden)
            self.committees[c].rules = view.consultation
            self.property_cut[c] = view.neighbourhoods.property_cut

    def _platform_done(self, issue: int, team: Team, now: float) -> None:
        self.platform.on_done(issue, team, now)

    def update_rider_rate(self) -> None:
        """Chance per day that passing riders report a given hidden, street-visible issue,
        by micro-grid: passes weighted by each rider's readiness to report [F25, F26]."""
        pl, mp = self.places, self.p.mobile_grid
        weight = np.fromiter((r.reporting_weight() for r in self._rider_list), float,
                             len(self._rider_list))
        passes = np.bincount(self._route_flat, weight[self._route_owner], pl.n_micro_grids)
        self.enrolled_riders = sum(1 for r in self._rider_list if r.enrolled)
        boost = 1 + mp.rider_friendly_effect * self.rider_friendly[pl.micro_grid_community]
        self.rider_rate = passes * mp.detect_per_pass * boost

    def _riders_review(self, days: float) -> None:
        """Enrolled riders leave the programme at a rate their points lower [F26]."""
        u = self.rng_work.random(len(self._rider_list))
        for rider, ui in zip(self._rider_list, u.tolist(), strict=True):
            if rider.enrolled and not rider.stays_enrolled(ui, days):
                rider.enrolled = False
        self.update_rider_rate()

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """The day boundary: close the day that ended, open the next."""
        self._close_day(self.day)
        self.day += 1
        self._open_day(self.day)

    def works_on(self, day: int) -> bool:
        """Whether ``day`` is a workday for grid workers."""
        if self.holidays is not None and self.p.calendar.holidays:
            return self.holidays.is_workday(day, self.p.burden.workdays_per_week)
        return day % 7 < self.p.burden.workdays_per_week

    def run(self, days: int) -> None:
        """Advance ``days`` whole days."""
        self.run_for(days)

    def _open_day(self, day: int) -> None:
        self._draw_arrivals(day)
        if day == self.p.pilot.start_day and self.pilot_comm.any():
            self._start_pilot()
        if self.works_on(day):
            u = self.rng_work.random(len(self.workdays))  # drawn for all: paired
            for workday, ui in zip(self.workdays, u.tolist(), strict=True):
                visit = ui < workday.inspection_chance
                self.inspection_visits[workday.community] += visit
                workday.plan(day, visit)
        else:
            for workday in self.workdays:
                workday.skip_day()
        self.office_shift.schedule(day)
        self.crew_shift.schedule(day)
        self.property_shift.schedule(day)
        self.utility_shift.schedule(day)
        self.platform_shift.schedule(day)
        for group in self.social_shifts:
            group.schedule(day)
        now = float(day)
        for station in self.stations:
            station.refresh(now)
        self.volunteer_shift.schedule(day)
        self.project_shift.schedule(day)
        for committee in self.committees:
            meets, assembly = committee.meets_on(day)
            if meets:
                committee.hold_consultation(now, assembly)
        if day > 0 and day % 30 == 0:
            self._riders_review(30.0)
        elif day > 0 and day % 7 == 0:
            self.update_rider_rate()

    def _close_day(self, day: int) -> None:
        now = float(day + 1)
        workday = self.works_on(day)
        overloaded = sum(wd.close(now, workday) for wd in self.workdays)
        workers = self._grid_worker_list
        n_grids = self.places.n_grids
        bw, bg, weight = self._beat
        if len(workers):
            patrol = np.fromiter((w.patrol_hours for w in workers), float, len(workers))
            visits = np.fromiter((w.visit_hours for w in workers), float, len(workers))
            patrol_by_grid = np.bincount(bg, patrol[bw] * weight, n_grids)
            visit_by_grid = np.bincount(bg, visits[bw] * weight, n_grids)
            # A grid's workers' hours of rounds each (where tomorrow's finds fall).
            cover = np.bincount(bg, weight, n_grids)
            rounds_by_grid = (patrol_by_grid + visit_by_grid) / np.where(cover > 0, cover, 1)
        else:
            patrol_by_grid = visit_by_grid = rounds_by_grid = np.zeros(n_grids)
        for team in (*self.community_teams, *self.street_teams, *self.department_teams,
                     *self.crew_teams, *self.utility_teams, *self.social_teams,
                     self.platform.intake, *self.platform.centres):
            for desk in team.desks:
                desk.take_hours(now)  # other staff's hours are counted in summary only
        for station in self.stations:
            for desk in station.desks:
                desk.take_hours(now)
        for desk in (*self.project_shift.desks, *self.property_shift.desks):
            desk.take_hours(now)
        self._spread_word()
        self.recorder.close_day(day, overloaded)
        # Finds are decided at the boundary (they happen during the coming day). Hazards
        # whose clock ran out during the day become incidents at it: they count in the
        # day that ended; being made known and sent to the grid is the new day's.
        self._detect(now, patrol_by_grid, visit_by_grid, rounds_by_grid)
        self._incidents(now)
        self.datacollector.collect(self)

    # --------------------------------------------------------------- arrivals
    def _draw_arrivals(self, day: int) -> None:
        """The day's issues, drawn in bulk per micro-grid and category (Poisson)."""
        pl, cats, rng = self.places, self.cats, self.rng_arrivals
        counts = rng.poisson(self._lam).ravel()
        cells = np.repeat(np.arange(counts.size), counts)
        n = cells.size
        if n == 0:
            return
        mg, cat = np.divmod(cells, len(cats))
        t = day + time_of_day(rng.random(n), self.p.residents.night_share)
        order = np.argsort(t, kind="stable")
        mg, cat, t = mg[order], cat[order], t[order]
        by_rider = cats.by_riders[cat]
        resident = np.where(by_rider, -1, pl.micro_grid_first_resident[mg] + (
            rng.random(n) * pl.micro_grid_residents[mg]).astype(np.int64))
        level = cats.draw_levels(cat, rng.random(n))
        work = cats.draw_work(cat, rng)
        collective = rng.random(n) < cats.collective_share[cat]
        hidden = rng.random(n) < cats.hidden_share[cat]
        incident_at = np.where(cats.hazard[cat], t + rng.exponential(1.0, n) *
                               cats.incident_after[cat], np.inf)
        u_report, u_channel = rng.random(n), rng.random(n)
        delay = t + rng.exponential(1.0, n) * self.p.residents.report_delay_days
        need = (rng.random(n) * self.p.volunteers.skills).astype(np.int8)
        joint = rng.random(n) < self.p.platform.joint_share
        u_route = rng.random(n).astype(np.float32)
        find_threshold = rng.exponential(1.0, n)
        find_u, find_v = rng.random((2, n)).astype(np.float32)
        u_works = self.rng_works.random(n).astype(np.float32)
        flow = {}
        if self.flow_on:  # each order's own uniforms for the flow's decisions
            u = self.rng_flow.random((6, n)).astype(np.float32)
            flow = {f"u_{what}": u[k] for k, what in enumerate(
                ("return", "unmet", "extend", "satisfied", "reply", "paper"))}
        ids = self.issues.append(
            category=cat, micro_grid=mg, grid=pl.micro_grid_grid[mg],
            community=pl.micro_grid_community[mg], resident=resident, raised_at=t,
            level_needed=level, work_hours=work, collective=collective, incident_at=incident_at,
            need=need, joint=joint, u_route=u_route, find_threshold=find_threshold,
            find_u=find_u, find_v=find_v, u_works=u_works, **flow)
        self.recorder.raised(cat)
        ids_list = ids.tolist()
        hazards = np.flatnonzero(incident_at < np.inf).tolist()
        if hazards:
            clock = self._hazard_clock
            for i in hazards:
                heappush(clock, (float(incident_at[i]), ids_list[i]))
        # Who reports, and through which channel, decided for the day's raisers at once.
        code = np.full(n, -1, np.int64)
        asks = np.flatnonzero(~by_rider & ~hidden)
        code[asks] = self.report_channels(resident[asks], u_report[asks], u_channel[asks])
        code[by_rider] = 4  # a rider's own problem, reported by app [F20, F25]
        self._new_hidden.extend(ids[code < 0].tolist())
        sent = np.flatnonzero(code >= 0)
        routes = (self.report_to_grid_worker, self.report_to_micro_grid_worker,
                  self.report_to_platform, self.report_by_app, self.report_by_app)
        send = self.transit.send
        for at, route, issue in zip(delay[sent].tolist(), code[sent].tolist(),
                                    ids[sent].tolist(), strict=True):
            send(at, routes[route], issue)

    # ------------------------------------------------------------- trust
    def _spread_word(self) -> None:
        """Apply the day's outcomes to residents' and their ties' trust [issue 9]."""
        changed, old, new = self.word_of_mouth.apply()
        if not len(changed):
            return
        diff = new - old
        self.trust_sum += float(diff.sum())
        self.trust_sq += float((new * new - old * old).sum())
        self.trust_by_comm += np.bincount(self.population.community[changed], diff,
                                          self.places.n_communities)
        volunteers = self.volunteer_of
        if volunteers:
            mine = self._is_volunteer[changed]  # a mask: most who hear are not volunteers
            for i, a, b in zip(changed[mine].tolist(), old[mine].tolist(), new[mine].tolist(),
                               strict=True):
                volunteers[i].trust_changed(a, b)

    def community_trust(self, community: int) -> float:
        """Mean trust of a community's residents."""
        return float(self.trust_by_comm[community] / max(self.residents_by_comm[community], 1))

    @property
    def mean_trust(self) -> float:
        return self.trust_sum / max(len(self.residents_list), 1)

    @property
    def trust_sd(self) -> float:
        n = max(len(self.residents_list), 1)
        return math.sqrt(max(self.trust_sq / n - (self.trust_sum / n) ** 2, 0.0))

    # ------------------------------------------------------------- views
    def whereabouts(self) -> dict[str, list[int]]:
        """Where every open issue is held right now, by kind of holder: a team's queue,
        a desk's hands, on its way (a report, a relay, a dispatch), a consultation's
        agenda, or unknown to anyone but the resident. Reports and finds on their way for
        issues that became known otherwise are listed apart: their delivery changes
        nothing."""
        log = self.issues
        out: dict[str, list[int]] = {"queued": [], "in_hand": [], "in_transit": [],
                                     "stale_report": [], "consultation": [], "hidden": [],
                                     "given_up": list(self.given_up)}
        teams = [*self.grid_teams, *self.community_teams, *self.street_teams,
                 *self.department_teams, *self.crew_teams, *self.utility_teams,
                 *self.social_teams,
                 *(t for so in self.social_orgs for t in so.project_teams.values()),
                 *(t for teams in self.volunteer_teams for t in teams),
                 *(t for t in self.property_teams if t is not None),
                 self.platform.intake, *self.platform.centres]
        for team in teams:
            out["queued"].extend(team.queued())
            out["in_hand"].extend(d.current for d in team.desks if d.current >= 0)
        for _at, deliver, issue in self.transit.pending():
            if deliver.__name__ in WATCHES:  # a deadline or a callback: holds nothing
                continue
            news = deliver.__name__.startswith("report_") or deliver.__name__ in FINDS
            stale = news and not math.isnan(log.known_at[issue])
            out["stale_report" if stale else "in_transit"].append(issue)
        for committee in self.committees:
            out["consultation"].extend(committee.awaiting_consultation)
        hidden = np.concatenate((self._hidden, np.array(self._new_hidden, np.int64)))
        out["hidden"] = hidden[np.isnan(log.known_at[hidden])].tolist()
        out["closed_unmet"] = []
        if log.flow:  # closed by the platform, the need unmet: held nowhere that works it
            n = log.n
            closed = set(np.flatnonzero(~np.isnan(log.closed_at[:n])
                                        & np.isnan(log.resolved_at[:n])).tolist())
            for kind in ("queued", "in_hand", "in_transit"):
                out[kind] = [i for i in out[kind] if i not in closed]
            out["closed_unmet"] = sorted(closed)
        return out

    def daily_frame(self) -> pd.DataFrame:
        return self.recorder.daily_frame()

    def issues_frame(self) -> pd.DataFrame:
        """Issues raised before now (see docs/outputs.md)."""
        return issues_table(self)

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
        pop = self.population
        return np.bincount(pop.micro_grid, pop.trust, self.places.n_micro_grids) / np.maximum(
            self.places.micro_grid_residents, 1)


def _last(name: str):
    def report(model: GovernanceModel) -> float:
        rows = model.recorder.rows
        return rows[-1][name] if rows else float("nan")
    return report
