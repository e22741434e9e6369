"""The people and organisations of the model, each a ``mesa.Agent``.

Residents act when something happens to them (an issue arises, an outcome reaches
them); workers act when their shift opens or their work is done. Nothing here loops
over all residents each day.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np
from mesa.discrete_space import CellAgent, FixedAgent
from scipy import stats

from sim.issues import BY, RL, exponential_days
from sim.work import Desk, Team

if TYPE_CHECKING:
    from sim.model import GovernanceModel


class Resident(mesa.Agent):
    """A resident (居民) living in a building of a micro-grid.

    Reports an issue with a probability that falls with age, without digital access and
    for floating residents, and rises with trust [P9]; trust moves with how their own
    and their ties' issues are handled (word of mouth). The resident's traits and trust
    are a row of the model's compact population arrays (``sim/residents.py``).
    """

    def __init__(self, model: GovernanceModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def micro_grid(self) -> int:
        return int(self.model.population.micro_grid[self.index])

    @property
    def elderly(self) -> bool:
        return bool(self.model.population.elderly[self.index])

    @property
    def digital(self) -> bool:
        return bool(self.model.population.digital[self.index])

    @property
    def party_member(self) -> bool:
        return bool(self.model.population.party_member[self.index])

    @property
    def floating(self) -> bool:
        return bool(self.model.population.floating[self.index])

    @property
    def trust(self) -> float:
        return float(self.model.population.trust[self.index])

    def choose_channel(self, u_report: float, u_channel: float) -> int:
        """The channel this resident reports an issue through, or -1 to keep quiet (the
        rule is the model's ``report_channels``, which the day's arrivals use in bulk)."""
        return int(self.model.report_channels(
            np.array([self.index]), np.array([u_report]), np.array([u_channel]))[0])

    def hear_outcome(self, delta: float) -> None:
        """Trust moves with an outcome: on time, late, or an incident; so, damped, does
        the trust of the resident's household and ties (applied at the day's end)."""
        self.model.word_of_mouth.hear(self.index, delta)


class GridWorker(FixedAgent):
    """A full-time community grid worker (网格员) [F30, P4].

    Each workday: administrative burden first (ledgers, certificates, forms,
    inspections, meetings [F10-F13]) and consultations, then casework from the queue,
    then home visits and patrols with what is left, which find hidden issues
    (see ``sim/workday.py``). A worker may cover several grids (a beat) when a
    community has fewer workers than grids.
    """

    def __init__(self, model: GovernanceModel, grid: int, team: Team) -> None:
        super().__init__(model)
        self.grid = grid  # the first grid of the worker's beat
        self.desk = Desk(model, team, model.issues, agent=self)
        self.admin_hours = 0.0
        self.governance_hours = 0.0  # consultations: preparing and holding them
        self.case_hours = 0.0
        self.visit_hours = 0.0
        self.patrol_hours = 0.0


class MicroGridWorker(FixedAgent):
    """A part-time micro-grid worker / building leader (微网格员 / 楼栋长) [F5, F16].

    Notices hidden issues in the micro-grid, relays reports to the grid worker, and
    fixes small grid-level matters on the spot.
    """

    def __init__(self, model: GovernanceModel, micro_grid: int) -> None:
        super().__init__(model)
        self.micro_grid = micro_grid
        self.relayed = 0
        self.fixed = 0

    def receive(self, issue: int, now: float) -> None:
        """An issue reported to, or noticed by, this micro-grid worker."""
        model = self.model
        mg = model.p.micro_grid
        if model.small_fixable(issue) and model.rng_people.random() < mg.small_fix_share:
            self.fixed += 1
            days = exponential_days(model.issues.u_works[issue], mg.small_fix_days)
            model.transit.send(now + days, model.fix_on_the_spot, issue)
        else:
            self.relayed += 1
            model.transit.send(now + model.p.channels.relay_delay_days, model.to_grid, issue)


class Volunteer(FixedAgent):
    """A resident who gives hours through the community volunteer station [F23]; has
    one of the station's care skills."""

    def __init__(self, model: GovernanceModel, resident: Resident,
                 station: VolunteerStation, skill: int) -> None:
        super().__init__(model)
        self.resident = resident
        self.station = station
        self.skill = skill
        station.add_hours(skill, self.hours_per_day(resident.trust))

    def hours_per_day(self, trust: float) -> float:
        """Matched hours offered a day; they rise and fall with the volunteer's trust
        (an absolute level: the stated hours hold at the reference trust)."""
        v = self.model.p.volunteers
        ref = self.model.p.residents.trust_reference
        return v.hours_per_week * v.matched_share / 7.0 * (trust / ref) ** v.trust_elasticity

    def trust_changed(self, old: float, new: float) -> None:
        self.station.add_hours(self.skill, self.hours_per_day(new) - self.hours_per_day(old))


class VolunteerStation(FixedAgent):
    """A community volunteer station: matches care needs to volunteers with the skill
    and the hours [F21, F23]. One queue per skill, served by one desk whose speed is
    the skill's volunteers' hours spread over the station's opening hours."""

    OPEN_HOURS = 8.0  # the station takes requests 8 hours a day (assumption)

    def __init__(self, model: GovernanceModel, community: int, teams: list[Team]) -> None:
        super().__init__(model)
        self.community = community
        self.teams = teams  # one per skill
        self.hours = [0.0] * len(teams)  # matched hours a day, by skill
        self.desks = [Desk(model, team, model.issues, agent=self, speed=0.0) for team in teams]

    def add_hours(self, skill: int, hours: float) -> None:
        self.hours[skill] = max(0.0, self.hours[skill] + hours)

    def refresh(self, now: float) -> None:
        """Set each skill's desk speed from its volunteers' hours (once a day)."""
        for team, desk, hours in zip(self.teams, self.desks, self.hours, strict=True):
            desk.set_speed(hours / self.OPEN_HOURS, now)
            team.daily_hours = hours


class SocialOrganisation(FixedAgent):
    """A street's social-work service station and the social organisations behind it
    (社工站, 五社联动) [F21, F22, F27]: mediation, legal aid, care; plus the funded
    projects (公益创投 [F22], community charity funds [F24]) that add hours for one
    category each, chosen by residents' demand ("residents order the menu" [F19])."""

    def __init__(self, model: GovernanceModel, street: int, team: Team, desks: int,
                 project_teams: dict[int, Team]) -> None:
        super().__init__(model)
        self.street = street
        self.team = team
        self.project_teams = project_teams  # category -> team of the projects for it
        for _ in range(desks):
            Desk(model, team, model.issues, agent=self)

class NewEmploymentWorker(CellAgent):
    """A courier, rider or driver (新就业群体) [F20, F25, F26].

    Passes the same micro-grids every day; enrolled as a mobile grid worker
    (流动网格员) it reports street-visible hazards it sees and earns pioneer points.
    """

    def __init__(self, model: GovernanceModel, route: list[int], enrolled: bool) -> None:
        super().__init__(model)
        self.route = route
        self.enrolled = enrolled
        self.points = 0

    def reporting_weight(self) -> float:
        """How readily the rider reports a hazard seen on a pass, relative to a newly
        enrolled mobile grid worker: points raise it [F26]; riders not enrolled
        rarely report."""
        mp = self.model.p.mobile_grid
        if not self.enrolled:
            return mp.unenrolled_report_factor
        earned = min(1.0, self.points / mp.points_target)
        return 1.0 + mp.incentive_effect * mp.incentive * earned

    def stays_enrolled(self, u: float, days: float) -> bool:
        """Whether an enrolled rider is still in the programme after ``days``: points
        keep riders in [F26]."""
        mp = self.model.p.mobile_grid
        earned = min(1.0, self.points / mp.points_target)
        rate = mp.dropout_per_year * (1.0 - mp.retention_effect * mp.incentive * earned)
        return u >= -np.expm1(-rate * days / 365.0)


class Office(FixedAgent):
    """Staff above the grid who take escalated work orders: the community residents'
    committee (社区居委会), the street office (街道办事处), a district department or
    utility (职能部门 / 公用事业) [F17, F32]."""

    def __init__(self, model: GovernanceModel, team: Team, desks: int) -> None:
        super().__init__(model)
        self.team = team
        for _ in range(desks):
            Desk(model, team, model.issues, agent=self)


class CommunityCommittee(Office):
    """The community (社区): takes community-level work and holds consultation
    meetings (协商议事) on collective issues [F8, F9].

    A meeting costs the community's grid workers preparation hours; turnout follows
    the community's mean trust; a meeting short of its quorum decides nothing, and a
    quorate one may still fail to agree on an issue, which is tabled again.
    """

    def __init__(self, model: GovernanceModel, community: int, team: Team, desks: int,
                 rng: np.random.Generator) -> None:
        super().__init__(model, team, desks)
        self.community = community
        self.awaiting_consultation: list[int] = []
        self.meetings = self.failed_meetings = 0
        self.rules = model.p.consultation  # a pilot community may change its own [F35]
        self.meeting_rng = rng  # its own stream: other communities' meetings leave it alone
        self._capacity: tuple[object, int] | None = None  # (rules, issues a meeting)
        self.trust_at_start = model.community_trust(community)  # residents come first

    def issues_per_meeting(self) -> int:
        """Issues one micro-consultation tables: as set, or (``target_utilisation``) enough
        that the collective issues arising here between meetings fill that share of what
        meetings settle — agreed (``agree_share``) at a quorate meeting (its chance at the
        starting trust) — so the agenda has a steady state."""
        cp = self.rules
        if cp.target_utilisation is None:
            return cp.issues_per_meeting
        if self._capacity is None or self._capacity[0] is not cp:
            model = self.model
            mine = model.places.micro_grid_community == self.community
            per_day = float((model._lam[mine] * model.cats.collective_share).sum())
            p = min(1.0, cp.turnout_per_trust * self.trust_at_start)
            need = math.ceil(cp.quorum * cp.representatives - 1e-9)
            quorate = float(stats.binom.sf(need - 1, cp.representatives, p))
            settled = cp.agree_share * quorate * cp.target_utilisation
            n = math.ceil(per_day * cp.every_days / settled) if settled > 0 else 100
            self._capacity = (cp, max(1, n))
        return self._capacity[1]

    def meets_on(self, day: int) -> tuple[bool, bool]:
        """Whether a micro-consultation, and whether the assembly, is held on ``day``."""
        if day <= 0:
            return False, False
        assembly = day % self.rules.assembly_every_days == 0
        return assembly or day % self.rules.every_days == 0, assembly

    def hold_consultation(self, now: float, assembly: bool = False) -> int:
        """Hold a micro-consultation (or, with ``assembly``, the residents' assembly,
        which takes every waiting issue); returns how many issues it settled."""
        model = self.model
        cp = self.rules
        if not self.awaiting_consultation:
            return 0
        take = len(self.awaiting_consultation) if assembly else self.issues_per_meeting()
        agenda = self.awaiting_consultation[:take]
        self.awaiting_consultation = self.awaiting_consultation[take:]
        model.workdays[self.community].add_governance(
            cp.prep_hours + cp.prep_hours_per_issue * len(agenda))
        self.meetings += 1
        rng = self.meeting_rng
        p_attend = min(1.0, cp.turnout_per_trust * model.community_trust(self.community))
        turnout = rng.binomial(cp.representatives, p_attend) / cp.representatives
        if turnout < cp.quorum:
            self.failed_meetings += 1
            model.recorder.meetings_failed += 1
            self.awaiting_consultation = agenda + self.awaiting_consultation
            return 0
        agreed = rng.random(len(agenda)) < cp.agree_share
        retabled = []
        for issue, ok in zip(agenda, agreed.tolist(), strict=True):
            if ok:
                model.resolve(issue, RL["community"], BY["consultation"], now)
            else:
                retabled.append(issue)
        self.awaiting_consultation = retabled + self.awaiting_consultation
        return len(agenda) - len(retabled)

class StreetOffice(Office):
    """A street office (街道): street-level work orders."""


class Department(Office):
    """A district department: the top of the escalation chain [F32]."""


class Utility(Office):
    """Power, water, gas and telecom service staff of a district; embedded in grids
    they take utility issues in the grid [F17]."""


class Platform(FixedAgent):
    """The 12345 / one-network platform (一网统管), "1 + 12 + N" [F32]: a city intake
    centre takes hotline calls [P5]; district command centres triage and dispatch work
    orders — reports from the hotline and the app, and orders passed up a level — to
    whoever handles them. Both are queues with staff, so dispatch time follows load.
    """

    def __init__(self, model: GovernanceModel, intake: Team, centres: list[Team]) -> None:
        super().__init__(model)
        self.intake = intake
        self.centres = centres  # one per district
        self.dispatched = 0

    def receive(self, issue: int, now: float, by_app: bool = False) -> None:
        """A report by hotline (call intake first) or by app (straight to triage)."""
        model = self.model
        pp = model.p.platform
        model.issues.next_hop[issue] = HOP_TO_GRID
        if by_app:
            self._to_centre(issue, now, pp.app_triage_minutes / 60.0)
        else:
            minutes = pp.intake_minutes * (1.0 + pp.enquiries_per_request)
            model.enqueue_work(issue, self.intake, now, minutes / 60.0)

    def pass_up(self, issue: int, now: float, joint: bool) -> None:
        """An order passed up a level (or on, past a team with no one to work it)."""
        pp = self.model.p.platform
        self.model.issues.next_hop[issue] = HOP_ABOVE
        hours = pp.triage_minutes / 60.0 + (pp.joint_hours if joint else 0.0)
        self._to_centre(issue, now, hours)

    def _to_centre(self, issue: int, now: float, hours: float) -> None:
        model = self.model
        district = model.district_of_comm[model.issues.community[issue]]
        model.enqueue_work(issue, self.centres[district], now, hours)

    def on_done(self, issue: int, team: Team, now: float) -> None:
        """Intake done: to the district centre. Triage done: dispatched."""
        model = self.model
        if team is self.intake:
            self._to_centre(issue, now, model.p.platform.triage_minutes / 60.0)
            return
        self.dispatched += 1
        deliver = model.to_grid if model.issues.next_hop[issue] == HOP_TO_GRID else (
            model.arrive_above)
        model.transit.send(now + model.p.platform.dispatch_delay_days, deliver, issue)


HOP_TO_GRID, HOP_ABOVE = 0, 1  # where a platform order goes once dispatched
