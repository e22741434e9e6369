"""The offices above the grid: community committees (社区居委会), street offices (街道),
district departments, utility companies and, where a community has one, its property
company — each a team of desks with its working hours."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents import CommunityCommittee, Department, StreetOffice, Utility
from sim.issues import BY, RL
from sim.work import Desk, ShiftGroup, Team

if TYPE_CHECKING:
    from sim.model import GovernanceModel


def make_offices(model: GovernanceModel) -> None:
    pl, p = model.places, model.p
    b, st = p.burden, p.staffing
    res_comm = pl.residents_in("community")
    res_district = pl.residents_in("district")
    start, hours = b.shift_start_hour, b.work_hours_per_day
    office_desks = []
    model.community_teams = [Team("community", RL["community"], BY["community_committee"], c,
                                  model.on_done) for c in range(pl.n_communities)]
    meeting_rngs = model.rng_work.spawn(pl.n_communities)
    model.committees = [CommunityCommittee(model, c, model.community_teams[c],
                                           st.community_office_staff, meeting_rngs[c])
                        for c in range(pl.n_communities)]
    model.street_teams = [Team("street", RL["street"], BY["street_office"], s, model.on_done)
                          for s in range(pl.n_streets)]
    comm_per_street = np.bincount(pl.community_street, minlength=pl.n_streets)
    model.street_offices = [
        StreetOffice(model, model.street_teams[s],
                     max(1, round(st.street_staff_per_community * comm_per_street[s])))
        for s in range(pl.n_streets)]
    model.department_teams = [Team("department", RL["department"], BY["department"], d,
                                   model.on_done) for d in range(pl.n_districts)]
    model.departments = [
        Department(model, model.department_teams[d],
                   max(1, round(st.department_staff_per_100k * res_district[d] / 100_000)))
        for d in range(pl.n_districts)]
    # Utility staff: embedded in grids they resolve utility issues at grid level
    # [F17]; otherwise utility issues go up to the district's utility company.
    ut = p.utilities
    comm_per_district = np.bincount(model.district_of_comm, minlength=pl.n_districts)
    model.utility_teams = [
        Team("utility", RL["grid"] if ut.in_grid else RL["department"], BY["utility_staff"],
             d, model.on_done, resolves_all=True) for d in range(pl.n_districts)]
    model.utilities = [
        Utility(model, model.utility_teams[d],
                max(1, round(ut.staff_per_community * comm_per_district[d])))
        for d in range(pl.n_districts)]
    # Property companies ("red property" [F28]) where a community has one: they take
    # a share of repair and property issues, every day of the week.
    hoods = p.neighbourhoods
    model.property_teams = []
    property_desks = []
    for c in range(pl.n_communities):
        if not pl.community_property[c]:
            model.property_teams.append(None)
            continue
        team = Team("property", RL["community"], BY["property_company"], c, model.on_done)
        for _ in range(max(1, round(hoods.property_staff_per_10k * res_comm[c] / 10_000))):
            property_desks.append(Desk(model, team, model.issues))
        team.daily_hours = len(team.desks) * hours
        model.property_teams.append(team)
    model.property_shift = ShiftGroup(model, property_desks, start, start + hours, 7)
    for team in (*model.community_teams, *model.street_teams, *model.department_teams):
        team.daily_hours = len(team.desks) * hours * b.workdays_per_week / 7
        office_desks.extend(team.desks)
    for team in model.utility_teams:
        team.daily_hours = len(team.desks) * hours * ut.days_per_week / 7
    model.office_shift = ShiftGroup(model, office_desks, start, start + hours,
                                    b.workdays_per_week)
    model.utility_shift = ShiftGroup(model, [d for t in model.utility_teams for d in t.desks],
                                     start, start + hours, ut.days_per_week)
    # Departments' field crews (work_orders.department_crews_per_100k; none by default):
    # one queue a district, office hours on working days.
    crews = p.work_orders.department_crews_per_100k
    model.crew_teams = [Team("crew", RL["department"], BY["department"], d, model.crew_done,
                             resolves_all=True) for d in range(pl.n_districts)]
    crew_desks = []
    if crews > 0:
        for d, team in enumerate(model.crew_teams):
            for _ in range(max(1, round(crews * res_district[d] / 100_000))):
                crew_desks.append(Desk(model, team, model.issues))
            team.daily_hours = len(team.desks) * hours * b.workdays_per_week / 7
    model.crew_shift = ShiftGroup(model, crew_desks, start, start + hours, b.workdays_per_week)
