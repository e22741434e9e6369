"""The people and organisations of the model, each a ``mesa.Agent``.

Residents act when something happens to them (an issue arises, an outcome reaches
them); workers act when their shift opens or their work is done. Nothing here loops
over all residents each day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.issues import BY, RL
from sim.work import Desk, Team

if TYPE_CHECKING:
    from sim.model import GovernanceModel


class Resident(mesa.Agent):
    """A resident (居民) living in a micro-grid.

    Reports an issue with a probability that falls with age and without digital access
    and rises with trust [P9]; trust moves with how their issues are handled.
    """

    def __init__(self, model: GovernanceModel, micro_grid: int, elderly: bool, digital: bool,
                 party_member: bool, trust: float) -> None:
        super().__init__(model)
        self.micro_grid = micro_grid
        self.elderly = elderly
        self.digital = digital
        self.party_member = party_member
        self.trust = trust
        self.reports = 0
        self.volunteer: Volunteer | None = None

    def choose_channel(self, u_report: float, u_channel: float) -> int:
        """The channel this resident reports an issue through, or -1 to keep quiet."""
        p = self.model.report_probability(self)
        if u_report >= p:
            return -1
        self.reports += 1
        weights = self.model.channel_weights(self)
        return int(np.searchsorted(weights, u_channel * weights[-1], side="right"))

    def hear_outcome(self, delta: float) -> None:
        """Trust moves with an outcome: on time, late, or an incident."""
        old = self.trust
        new = min(1.0, max(0.0, old + delta))
        if new != old:
            self.trust = new
            self.model.trust_changed(old, new)
            if self.volunteer is not None:
                self.volunteer.trust_changed(old, new)


class GridWorker(mesa.Agent):
    """A full-time community grid worker (网格员) [F30, P4].

    Each workday: administrative burden first (ledgers, certificates, inspections,
    meetings [F10-F13]), then casework from the grid's queue, then patrols with what
    is left, which find hidden issues.
    """

    def __init__(self, model: GovernanceModel, grid: int, team: Team) -> None:
        super().__init__(model)
        self.grid = grid
        self.desk = Desk(model, team, model.issues, agent=self)
        self.admin_hours = 0.0
        self.case_hours = 0.0
        self.patrol_hours = 0.0


class MicroGridWorker(mesa.Agent):
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
            model.transit.send(now + mg.small_fix_days, model.fix_on_the_spot, issue)
        else:
            self.relayed += 1
            model.transit.send(now + model.p.channels.relay_delay_days, model.to_grid, issue)


class Volunteer(mesa.Agent):
    """A resident who gives hours through the community volunteer station [F23]."""

    def __init__(self, model: GovernanceModel, resident: Resident,
                 station: VolunteerStation) -> None:
        super().__init__(model)
        self.resident = resident
        self.station = station
        resident.volunteer = self
        station.hours_per_day += self.hours_per_day(resident.trust)

    def hours_per_day(self, trust: float) -> float:
        """Hours offered a day; they rise and fall with the volunteer's trust."""
        v = self.model.p.volunteers
        ref = max(self.model.p.residents.trust_mean, 1e-6)
        return v.hours_per_week / 7.0 * (trust / ref) ** v.trust_elasticity

    def trust_changed(self, old: float, new: float) -> None:
        self.station.hours_per_day += self.hours_per_day(new) - self.hours_per_day(old)


class VolunteerStation(mesa.Agent):
    """A community volunteer station: matches care needs to volunteers' hours [F21, F23]."""

    def __init__(self, model: GovernanceModel, community: int, team: Team, desks: int) -> None:
        super().__init__(model)
        self.community = community
        self.team = team
        self.hours_per_day = 0.0
        for _ in range(desks):
            Desk(model, team, model.issues, agent=self)


class SocialOrganisation(mesa.Agent):
    """A street's social-work service station and the social organisations behind it
    (社工站, 五社联动) [F21, F22, F27]: legal aid, mediation, professional services."""

    def __init__(self, model: GovernanceModel, street: int, team: Team, desks: int) -> None:
        super().__init__(model)
        self.street = street
        self.team = team
        for _ in range(desks):
            Desk(model, team, model.issues, agent=self)


class NewEmploymentWorker(mesa.Agent):
    """A courier, rider or driver (新就业群体) [F20, F25, F26].

    Passes the same micro-grids every day; enrolled as a mobile grid worker
    (流动网格员) it reports street-visible hazards it sees and earns pioneer points.
    """

    def __init__(self, model: GovernanceModel, route: list[int], enrolled: bool) -> None:
        super().__init__(model)
        self.route = route
        self.enrolled = enrolled
        self.points = 0


class Office(mesa.Agent):
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
    meetings (协商议事) on collective issues [F8, F9]."""

    def __init__(self, model: GovernanceModel, community: int, team: Team, desks: int) -> None:
        super().__init__(model, team, desks)
        self.community = community
        self.awaiting_consultation: list[int] = []

    def hold_consultation(self, now: float) -> int:
        """Resolve the collective issues waiting for the meeting; returns how many."""
        waiting, self.awaiting_consultation = self.awaiting_consultation, []
        for issue in waiting:
            self.model.resolve(issue, RL["community"], BY["consultation"], now)
        return len(waiting)


class StreetOffice(Office):
    """A street office (街道): street-level work orders."""


class Department(Office):
    """A district department: the top of the escalation chain [F32]."""


class Utility(Office):
    """Power, water, gas and telecom service staff of a district; embedded in grids
    they take utility issues in the grid [F17]."""


class Platform(mesa.Agent):
    """The 12345 / one-network platform (一网统管): takes hotline and app reports and
    dispatches work orders [F32]."""

    def __init__(self, model: GovernanceModel) -> None:
        super().__init__(model)
        self.dispatched = 0

    def receive(self, issue: int, now: float) -> None:
        """A report by hotline or app: dispatched to the grid after the platform delay."""
        self.dispatched += 1
        self.model.transit.send(now + self.model.p.platform.dispatch_delay_days,
                                self.model.to_grid, issue)

