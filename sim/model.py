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
from sim.issues import BY, RL, CategoryTable, IssueLog, time_of_day
from sim.lifecycle import FINDS, IssueLifecycle
from sim.outcomes import Recorder
from sim.places import (
    Places,
    add_rider_routes,
    build_graph,
    lay_out,
    places_from_graph,
    service_areas,
)
from sim.residents import GROUPS, WordOfMouth, build_population
from sim.scenario import Scenario
from sim.work import Desk, ShiftGroup, Team, Transit
from sim.workday import CommunityWorkday


class GovernanceModel(IssueLifecycle, mesa.Model):
    """Community governance in a megacity, modelled on Nanjing's practice.

    Args:
        scenario: a validated :class:`~sim.scenario.Scenario`.
        rng: a seed (int or ``numpy.random.SeedSequence``) for Mesa's generator.
        trace: record every delivery of a work order in transit (``transit.trace``).
        graph: a community graph to run on instead of the scenario's layout (for
            example one built by :func:`sim.places.build_graph` and then edited).
    """

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
        self.cats = CategoryTable(scenario)
        self.issues = IssueLog(capacity=int(scenario.layout.residents * 0.5) + 1024)
        # The community graph is the model's structure: places, who contains whom and who
        # serves whom are read from it, so an edited graph (``graph=``) is another model.
        laid = lay_out(scenario.layout, scenario.neighbourhoods, self.rng_layout)
        self.graph = graph if graph is not None else build_graph(
            laid, utilities_in_grid=scenario.utilities.in_grid)
        self.places: Places = places_from_graph(self.graph, laid.type_names)
        self.areas = service_areas(self.graph, self.places)
        self.transit = Transit(self, trace=trace)
        self.recorder = Recorder(self)
        self.day = 0  # days completed
        self._hazard_clock: list[tuple[float, int]] = []  # (incident_at, issue)
        self._hidden = np.empty(0, dtype=np.int64)  # unknown, unresolved issues
        self._new_hidden: list[int] = []
        self._works_by: dict[int, int] = {}  # orders in follow-through -> who resolves
        self.given_up: list[int] = []  # unknown needs nobody found in time [P9]
        self._make_residents()
        self._make_workers()
        self._make_services()
        self._make_platform()
        self._make_riders()
        self._arrival_rates()
        self._choose_pilots()
        add_rider_routes(self.graph, [r.route for r in self._rider_list])
        self._place_on_graph()
        self.datacollector = mesa.DataCollector(model_reporters={
            name: _last(name) for name in (
                "raised", "resolved", "open", "on_time_share", "incidents", "admin_hours",
                "case_hours", "patrol_hours", "mean_trust")
        })
        self._open_day(0)

    # ----------------------------------------------------------------------- set-up
    def _make_residents(self) -> None:
        pl, rng = self.places, self.rng_layout
        pop = build_population(pl, self.p, rng)
        self.population = pop
        self.community_of_resident = pop.community
        n = pop.n
        self.residents_list: list[Resident] = list(Resident.create_agents(
            self, n, index=list(range(n))))
        self.residents = self.agents_by_type[Resident]
        self.reports = np.zeros(n, dtype=np.int32)
        self.word_of_mouth = WordOfMouth(pop, self.p.ties.household_weight,
                                         self.p.ties.tie_weight)
        trust = pop.trust
        self.trust_sum = float(trust.sum())
        self.trust_sq = float((trust**2).sum())
        self.trust_start = self.trust_sum / max(n, 1)
        self.trust_by_comm = np.bincount(pop.community, trust, pl.n_communities)
        self.residents_by_comm = np.bincount(pop.community, minlength=pl.n_communities)
        vp = self.p.volunteers
        # Drawn for every resident whatever the rate, so other draws stay paired.
        self._volunteer_draw = rng.random(n) < vp.rate
        self._skill_draw = (rng.random(n) * vp.skills).astype(np.int64)

    def _make_workers(self) -> None:
        pl, p, rng = self.places, self.p, self.rng_layout
        b = p.burden
        res_grid = pl.residents_in("grid")
        res_comm = pl.residents_in("community")
        res_district = pl.residents_in("district")
        self.district_of_comm = pl.street_district[pl.community_street]
        self.street_of_grid = pl.community_street[pl.grid_community]
        start, hours = b.shift_start_hour, b.work_hours_per_day
        # Grid workers: staffing per 10,000 [F30] per community. With at least one per
        # grid, each grid has its team and extra staff go to the most populous grids;
        # with fewer workers than grids, each worker covers a beat of neighbouring grids.
        self.grid_teams: list[Team] = []
        self.grid_team_of = np.full(pl.n_grids, -1, dtype=np.int64)
        grid_workers: list[GridWorker] = []
        beat_worker, beat_grid, beat_weight = [], [], []
        self.workdays: list[CommunityWorkday] = []
        for c in range(pl.n_communities):
            grids = np.flatnonzero(pl.grid_community == c)
            n_staff = round(p.staffing.workers_per_10k * res_comm[c] / 10_000)
            if n_staff >= len(grids):
                beats = [[int(g)] for g in grids]
                order = np.argsort(-res_grid[grids], kind="stable")
                staff = np.bincount(np.arange(n_staff) % len(grids), minlength=len(grids))
                per_beat = np.empty(len(grids), dtype=np.int64)
                per_beat[order] = staff
            else:
                beats = [a.tolist() for a in np.array_split(grids, n_staff)] if n_staff else []
                per_beat = np.ones(len(beats), dtype=np.int64)
            workers: list[GridWorker] = []
            for beat, k in zip(beats, per_beat.tolist(), strict=True):
                team = Team("grid", RL["grid"], BY["grid_worker"], beat[0], self.on_done)
                team.daily_hours = float(k)  # workers, for now: hours are set below
                self.grid_team_of[beat] = len(self.grid_teams)
                self.grid_teams.append(team)
                weight = res_grid[beat] / max(res_grid[beat].sum(), 1)
                for _ in range(k):
                    w = GridWorker(self, beat[0], team)
                    for g, wt in zip(beat, weight.tolist(), strict=True):
                        beat_worker.append(len(grid_workers))
                        beat_grid.append(g)
                        beat_weight.append(wt)
                    grid_workers.append(w)
                    workers.append(w)
            reference = b.reference_workers_per_10k * res_comm[c] / 10_000
            day = CommunityWorkday(self, c, workers, reference)
            self.workdays.append(day)
            # Casework hours on an average day: what the burden leaves of the shift.
            left = max(hours - day.shared_per_worker - b.meeting_hours
                       - b.lines()["inspections"], 0.0) * b.workdays_per_week / 7
            for g in grids:
                t = self.grid_team_of[g]
                if t >= 0 and self.grid_teams[t].place == g:
                    self.grid_teams[t].daily_hours *= left
        self._close_hour_of_comm = np.array([wd.close_hour for wd in self.workdays])
        self.grid_workers = self.agents_by_type.get(GridWorker, AgentSet([], random=self.random))
        self._grid_worker_list = grid_workers
        self._beat = (np.array(beat_worker, dtype=np.int64), np.array(beat_grid, dtype=np.int64),
                      np.array(beat_weight))
        self.workers_per_grid = np.bincount(self._beat[1], minlength=pl.n_grids)
        self.admin_per_day = b.admin_hours()
        self.grid_workdays = b.workdays_per_week

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
        meeting_rngs = self.rng_work.spawn(pl.n_communities)
        self.committees = [CommunityCommittee(self, c, self.community_teams[c],
                                              st.community_office_staff, meeting_rngs[c])
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
        comm_per_district = np.bincount(self.district_of_comm, minlength=pl.n_districts)
        self.utility_teams = [
            Team("utility", RL["grid"] if ut.in_grid else RL["department"], BY["utility_staff"],
                 d, self.on_done, resolves_all=True) for d in range(pl.n_districts)]
        self.utilities = [
            Utility(self, self.utility_teams[d],
                    max(1, round(ut.staff_per_community * comm_per_district[d])))
            for d in range(pl.n_districts)]
        # Property companies ("red property" [F28]) where a community has one: they take
        # a share of repair and property issues, every day of the week.
        hoods = p.neighbourhoods
        self.property_teams: list[Team | None] = []
        property_desks = []
        for c in range(pl.n_communities):
            if not pl.community_property[c]:
                self.property_teams.append(None)
                continue
            team = Team("property", RL["community"], BY["property_company"], c, self.on_done)
            for _ in range(max(1, round(hoods.property_staff_per_10k * res_comm[c] / 10_000))):
                property_desks.append(Desk(self, team, self.issues))
            team.daily_hours = len(team.desks) * hours
            self.property_teams.append(team)
        self.property_shift = ShiftGroup(self, property_desks, start, start + hours, 7)
        for team in (*self.community_teams, *self.street_teams, *self.department_teams):
            team.daily_hours = len(team.desks) * hours * b.workdays_per_week / 7
            office_desks.extend(team.desks)
        for team in self.utility_teams:
            team.daily_hours = len(team.desks) * hours * ut.days_per_week / 7
        self.office_shift = ShiftGroup(self, office_desks, start, start + hours,
                                       b.workdays_per_week)
        self.utility_shift = ShiftGroup(self, [d for t in self.utility_teams for d in t.desks],
                                        start, start + hours, ut.days_per_week)
        self.street_of_grid = pl.community_street[pl.grid_community]

    def _make_services(self) -> None:
        """Volunteer stations and social organisations [F19, F21-F24]."""
        pl, p, b = self.places, self.p, self.p.burden
        res_street = pl.residents_in("street")
        start = b.shift_start_hour
        # Volunteer stations, one per community, one queue per care skill [F23].
        vp = p.volunteers
        self.volunteer_teams = [
            [Team("volunteer", RL["community"], BY["volunteer"], c, self.on_done,
                  resolves_all=True) for _ in range(vp.skills)]
            for c in range(pl.n_communities)]
        self.stations = [VolunteerStation(self, c, self.volunteer_teams[c])
                         for c in range(pl.n_communities)]
        station_of = self.areas.station_of_community
        comm_of_res = self.community_of_resident
        self.volunteer_of: dict[int, Volunteer] = {}
        for i in np.flatnonzero(self._volunteer_draw).tolist():
            if station_of[comm_of_res[i]] < 0:
                continue  # no volunteer station serves this community
            self.volunteer_of[i] = Volunteer(self, self.residents_list[i],
                                             self.stations[station_of[comm_of_res[i]]],
                                             int(self._skill_draw[i]))
        v_start = vp.start_hour
        self.volunteer_shift = ShiftGroup(
            self, [d for st in self.stations for d in st.desks], v_start,
            min(24.0, v_start + VolunteerStation.OPEN_HOURS), 7)
        # Social-work stations [F22]: weekly hours per street, spread over 8-hour desks.
        so = p.social_orgs
        so_day = so.hours_per_week_per_10k * res_street / 10_000 / b.workdays_per_week
        self.social_teams = [Team("social_org", RL["community"], BY["social_organisation"], s,
                                  self.on_done, resolves_all=True) for s in range(pl.n_streets)]
        # Funded projects [F22] and charity-fund projects [F24], each for one category:
        # by residents' demand ("residents order the menu" [F19]) or spread evenly.
        rng = self.rng_services
        sw = np.flatnonzero(self.cats.social_work)
        demand = self.cats.rate[sw] if so.menu == "residents" else np.ones(len(sw))
        fund = rng.random(pl.n_communities) < so.charity_fund_share
        fund_projects = np.bincount(pl.community_street, fund * so.fund_projects,
                                    pl.n_streets).astype(np.int64)
        n_projects = np.rint(so.projects_per_10k * res_street / 10_000).astype(np.int64)
        n_projects += fund_projects
        self.projects = 0
        self.social_orgs = []
        project_desks = []
        for s_ in range(pl.n_streets):
            teams: dict[int, Team] = {}
            if len(sw) and demand.sum() > 0 and so.project_hours_per_week > 0:
                picks = rng.choice(sw, size=int(n_projects[s_]), p=demand / demand.sum())
                for cat, k in zip(*np.unique(picks, return_counts=True), strict=True):
                    team = Team("social_org", RL["community"], BY["social_organisation"], s_,
                                self.on_done, resolves_all=True)
                    per_day = k * so.project_hours_per_week / 7.0
                    team.daily_hours = per_day
                    project_desks.append(Desk(self, team, self.issues, speed=per_day / 8.0))
                    teams[int(cat)] = team
                    self.projects += int(k)
            desks = math.ceil(so_day[s_] / 8) if so_day[s_] > 0 else 0
            self.social_teams[s_].daily_hours = so_day[s_] * b.workdays_per_week / 7
            self.social_orgs.append(
                SocialOrganisation(self, s_, self.social_teams[s_], desks, teams))
        self.social_shifts = [
            ShiftGroup(self, t.desks, start, start + (so_day[s] / len(t.desks) if t.desks else 0),
                       b.workdays_per_week) for s, t in enumerate(self.social_teams)]
        self.project_shift = ShiftGroup(self, project_desks, start, start + 8.0, 7)

    def _make_platform(self) -> None:
        """The "1 + 12 + N" platform [F32]: a city intake centre and district command
        centres, staffed round the clock. Where a scale's share of a centre is under one
        person on duty, one is kept on duty (the real centre serves others too), so the
        platform's load binds from street scale up."""
        pl, pp = self.places, self.p.platform
        on_duty = 40.0 / 168.0  # a 40-hour week spread over the clock
        res_district = pl.residents_in("district")
        intake = Team("platform", -1, -1, 0, self._platform_done, resolves_all=True)
        centres = [Team("platform", -1, -1, d, self._platform_done, resolves_all=True)
                   for d in range(pl.n_districts)]
        staff = [pp.intake_staff_per_100k * pl.n_residents / 100_000,
                 *(pp.dispatchers_per_100k * res_district / 100_000)]
        for team, n in zip((intake, *centres), staff, strict=True):
            for _ in range(max(1, round(n * on_duty))):
                Desk(self, team, self.issues)
            team.daily_hours = 24.0 * len(team.desks)
        self.platform = Platform(self, intake, centres)
        self.platform_shift = ShiftGroup(
            self, [d for t in (intake, *centres) for d in t.desks], 0.0, 24.0, 7)

    def _place_on_graph(self) -> None:
        """Put the organisations and workers on their graph nodes in Mesa's network
        space (mesa.discrete_space.Network): grid workers on their grid, micro-grid
        workers on their micro-grid, volunteers in their building, riders at the start
        of their route (their daily pass is the route's ``passes`` edges). Residents are
        not placed one by one: they are rows of the population arrays, each tied to a
        building node by number (ten million cell memberships would cost gigabytes)."""
        from mesa.discrete_space import Network

        self.space = Network(self.graph, layout=None, random=self.random)
        cells = self.space._cells
        grid_node = {}
        for n, data in self.graph.nodes(data=True):
            if data.get("kind") == "grid":
                grid_node[data["index"]] = n
        for w in self._grid_worker_list:
            w.cell = cells[grid_node[w.grid]]
        mg_node = {d["index"]: n for n, d in self.graph.nodes(data=True)
                   if d.get("kind") == "micro_grid"}
        for m, worker in self.micro_grid_workers.items():
            worker.cell = cells[mg_node[m]]
        b_node = {d["index"]: n for n, d in self.graph.nodes(data=True)
                  if d.get("kind") == "building"}
        for i, v in self.volunteer_of.items():
            v.cell = cells[b_node[int(self.population.building[i])]]
        for rider in self._rider_list:
            rider.cell = cells[mg_node[rider.route[0]]]
        kinds = {"community": self.committees, "volunteer_station": self.stations,
                 "social_org": self.social_orgs, "street": self.street_offices,
                 "department": self.departments, "utility": self.utilities}
        index_of = {(d["kind"], d["index"]): n for n, d in self.graph.nodes(data=True)
                    if d.get("kind") in kinds}
        for kind, agents in kinds.items():
            for k, agent in enumerate(agents):
                node = index_of.get((kind, k))
                if node is not None:
                    agent.cell = cells[node]
        self.platform.cell = cells["platform"]

    def _choose_pilots(self) -> None:
        """Pilot units [F35]: streets and communities by id, then numbers drawn with the
        seed (from a stream of their own, so the rest of the run keeps its draws)."""
        pl, pp = self.places, self.p.pilot
        (rng,) = self.rng_layout.spawn(1)
        street = np.zeros(pl.n_streets, dtype=bool)
        street[pp.street_ids] = True
        free = np.flatnonzero(~street)
        street[rng.permutation(free)[:pp.streets]] = True
        comm = street[pl.community_street]
        comm[pp.community_ids] = True
        free = np.flatnonzero(~comm)
        comm[rng.permutation(free)[:pp.communities]] = True
        self.pilot_comm = comm
        self.inspection_visits = np.zeros(pl.n_communities, dtype=np.int64)
        self.property_cut = np.full(pl.n_communities, self.p.neighbourhoods.property_cut)

    def _start_pilot(self) -> None:
        """From the start day, pilot communities run with the pilot's overrides."""
        view = self.p.pilot_view()
        for c in np.flatnonzero(self.pilot_comm).tolist():
            self.workdays[c].set_burden(view.burden)
            self.committees[c].rules = view.consultation
            self.property_cut[c] = view.neighbourhoods.property_cut

    def _platform_done(self, issue: int, team: Team, now: float) -> None:
        self.platform.on_done(issue, team, now)

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
        self._rider_list: list[NewEmploymentWorker] = list(self.riders)
        self._riders_at: dict[int, list[NewEmploymentWorker]] = {}
        for rider in self._rider_list:
            for m in rider.route:
                self._riders_at.setdefault(m, []).append(rider)
        self.rider_friendly = rng.random(pl.n_communities) < mp.rider_friendly_share  # [F20]
        # Where riders work: each rider's day spread over the micro-grids of the route.
        lengths = np.array([len(r.route) for r in self._rider_list], dtype=np.int64)
        self._route_owner = np.repeat(np.arange(len(lengths)), lengths)
        self._route_flat = np.array([m for r in self._rider_list for m in r.route],
                                    dtype=np.int64)
        self.rider_presence = np.bincount(
            self._route_flat, 1.0 / lengths[self._route_owner] if len(lengths) else None,
            pl.n_micro_grids)
        self._update_rider_rate()

    def _update_rider_rate(self) -> None:
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
        self._update_rider_rate()

    def _arrival_rates(self) -> None:
        """Issues a day by micro-grid and category: residents' categories by residents,
        riders' own by the riders working there, fewer where sites are rider-friendly."""
        pl, cats, mp = self.places, self.cats, self.p.mobile_grid
        lam = np.outer(pl.micro_grid_residents, cats.rate)
        riders = self.rider_presence * (
            1 - mp.rider_friendly_cut * self.rider_friendly[pl.micro_grid_community])
        lam[:, cats.by_riders] = np.outer(riders, cats.rate[cats.by_riders])
        self._lam = lam

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """The day boundary: close the day that ended, open the next."""
        self._close_day(self.day)
        self.day += 1
        self._open_day(self.day)

    def works_on(self, day: int) -> bool:
        """Whether ``day`` is a workday for grid workers."""
        return day % 7 < self.p.burden.workdays_per_week

    def run(self, days: int) -> None:
        """Advance ``days`` whole days."""
        self.run_for(days)

    def _open_day(self, day: int) -> None:
        self._draw_arrivals(day)
        b = self.p.burden
        if day == self.p.pilot.start_day and self.pilot_comm.any():
            self._start_pilot()
        if day % 7 < b.workdays_per_week:
            u = self.rng_work.random(len(self.workdays))  # drawn for all: paired
            for workday, ui in zip(self.workdays, u.tolist(), strict=True):
                visit = ui < workday.inspection_chance
                self.inspection_visits[workday.community] += visit
                workday.plan(day, visit)
        else:
            for workday in self.workdays:
                workday.skip_day()
        self.office_shift.schedule(day)
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
            self._update_rider_rate()

    def _close_day(self, day: int) -> None:
        now = float(day + 1)
        workday = day % 7 < self.p.burden.workdays_per_week
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
                     *self.utility_teams, *self.social_teams, self.platform.intake,
                     *self.platform.centres):
            for desk in team.desks:
                desk.take_hours(now)  # other staff's hours are counted in summary only
        for station in self.stations:
            for desk in station.desks:
                desk.take_hours(now)
        for desk in (*self.project_shift.desks, *self.property_shift.desks):
            desk.take_hours(now)
        self._spread_word()
        self.recorder.close_day(day, overloaded)
        self.datacollector.collect(self)
        # Finds are decided at the boundary (they happen during the coming day); incidents
        # happen at it, so they count in the new day.
        self._detect(now, patrol_by_grid, visit_by_grid, rounds_by_grid)
        self._incidents(now)

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
        ids = self.issues.append(
            category=cat, micro_grid=mg, grid=pl.micro_grid_grid[mg],
            community=pl.micro_grid_community[mg], resident=resident, raised_at=t,
            level_needed=level, work_hours=work, collective=collective, incident_at=incident_at,
            need=need, joint=joint, u_route=u_route, find_threshold=find_threshold,
            find_u=find_u, find_v=find_v, u_works=u_works)
        self.recorder.raised(cat)
        residents = self.residents_list
        rider_report = self.report_by_app
        for i, issue in enumerate(ids.tolist()):
            if incident_at[i] < np.inf:
                heappush(self._hazard_clock, (float(incident_at[i]), issue))
            if by_rider[i]:  # a rider's own problem, reported by app [F20, F25]
                self.transit.send(float(delay[i]), rider_report, issue)
                continue
            channel = -1 if hidden[i] else residents[resident[i]].choose_channel(
                u_report[i], u_channel[i])
            if channel < 0:
                self._new_hidden.append(issue)
            else:
                self.transit.send(float(delay[i]), self._report(channel), issue)

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
            for i, a, b in zip(changed.tolist(), old.tolist(), new.tolist(), strict=True):
                v = volunteers.get(i)
                if v is not None:
                    v.trust_changed(a, b)

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
                 *self.department_teams, *self.utility_teams, *self.social_teams,
                 *(t for so in self.social_orgs for t in so.project_teams.values()),
                 *(t for teams in self.volunteer_teams for t in teams),
                 *(t for t in self.property_teams if t is not None),
                 self.platform.intake, *self.platform.centres]
        for team in teams:
            out["queued"].extend(team.queued())
            out["in_hand"].extend(d.current for d in team.desks if d.current >= 0)
        for _at, _, deliver, issue in self.transit._heap:
            news = deliver.__name__.startswith("report_") or deliver.__name__ in FINDS
            stale = news and not math.isnan(log.known_at[issue])
            out["stale_report" if stale else "in_transit"].append(issue)
        for committee in self.committees:
            out["consultation"].extend(committee.awaiting_consultation)
        hidden = np.concatenate((self._hidden, np.array(self._new_hidden, np.int64)))
        out["hidden"] = hidden[np.isnan(log.known_at[hidden])].tolist()
        return out

    def daily_frame(self) -> pd.DataFrame:
        return self.recorder.daily_frame()

    def issues_frame(self) -> pd.DataFrame:
        """Issues raised before now (see docs/outputs.md)."""
        frame = self.issues.frame(self.cats.names)
        # Who raised it (-1: a rider's own issue), their groups and neighbourhood type.
        pop, pl = self.population, self.places
        who = self.issues.resident[: self.issues.n]
        mine = who >= 0
        safe = np.where(mine, who, 0)
        frame["resident"] = who
        for group in GROUPS:
            col = pd.array(pop.group(group)[safe], dtype="boolean")
            col[~mine] = pd.NA
            frame[group] = col
        frame["pilot"] = self.pilot_comm[frame["community"].to_numpy()]
        frame["neighbourhood"] = pd.Categorical.from_codes(
            pl.community_type[frame["community"].to_numpy()], categories=list(pl.type_names))
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
        pop = self.population
        return np.bincount(pop.micro_grid, pop.trust, self.places.n_micro_grids) / np.maximum(
            self.places.micro_grid_residents, 1)


def _last(name: str):
    def report(model: GovernanceModel) -> float:
        rows = model.recorder.rows
        return rows[-1][name] if rows else float("nan")
    return report
