"""The services beside the community's staff: volunteer stations (志愿服务站) with their
volunteers [F23], social-work stations and social organisations' funded and
charity-fund projects (社会组织) [F19, F21-F24]."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.agents import SocialOrganisation, Volunteer, VolunteerStation
from sim.issues import BY, RL
from sim.work import Desk, ShiftGroup, Team

if TYPE_CHECKING:
    from sim.model import GovernanceModel


def make_services(model: GovernanceModel) -> None:
    make_volunteers(model)
    make_social_orgs(model)


def make_volunteers(model: GovernanceModel) -> None:
    """Volunteer stations, one per community, one queue per care skill [F23]; the
    residents drawn as volunteers join the station that serves their community."""
    pl, vp = model.places, model.p.volunteers
    model.volunteer_teams = [
        [Team("volunteer", RL["community"], BY["volunteer"], c, model.on_done,
              resolves_all=True) for _ in range(vp.skills)]
        for c in range(pl.n_communities)]
    model.stations = [VolunteerStation(model, c, model.volunteer_teams[c])
                      for c in range(pl.n_communities)]
    station_of = model.areas.station_of_community
    comm_of_res = model.community_of_resident
    model.volunteer_of = {}
    for i in np.flatnonzero(model._volunteer_draw).tolist():
        if station_of[comm_of_res[i]] < 0:
            continue  # no volunteer station serves this community
        model.volunteer_of[i] = Volunteer(model, model.residents_list[i],
                                          model.stations[station_of[comm_of_res[i]]],
                                          int(model._skill_draw[i]))
    model._is_volunteer = np.zeros(len(model.residents_list), dtype=bool)
    model._is_volunteer[list(model.volunteer_of)] = True
    v_start = vp.start_hour
    model.volunteer_shift = ShiftGroup(
        model, [d for st in model.stations for d in st.desks], v_start,
        min(24.0, v_start + VolunteerStation.OPEN_HOURS), 7)


def make_social_orgs(model: GovernanceModel) -> None:
    """Social-work stations [F22]: weekly hours per street, spread over 8-hour desks.
    Funded projects [F22] and charity-fund projects [F24], each for one category: by
    residents' demand ("residents order the menu" [F19]) or spread evenly."""
    pl, p = model.places, model.p
    b, so = p.burden, p.social_orgs
    res_street = pl.residents_in("street")
    start = b.shift_start_hour
    so_day = so.hours_per_week_per_10k * res_street / 10_000 / b.workdays_per_week
    model.social_teams = [Team("social_org", RL["community"], BY["social_organisation"], s,
                               model.on_done, resolves_all=True) for s in range(pl.n_streets)]
    rng = model.rng_services
    sw = np.flatnonzero(model.cats.social_work)
    demand = model.cats.rate[sw] if so.menu == "residents" else np.ones(len(sw))
    fund = rng.random(pl.n_communities) < so.charity_fund_share
    fund_projects = np.bincount(pl.community_street, fund * so.fund_projects,
                                pl.n_streets).astype(np.int64)
    n_projects = np.rint(so.projects_per_10k * res_street / 10_000).astype(np.int64)
    n_projects += fund_projects
    model.projects = 0
    model.social_orgs = []
    project_desks = []
    for s_ in range(pl.n_streets):
        teams: dict[int, Team] = {}
        if len(sw) and demand.sum() > 0 and so.project_hours_per_week > 0:
            picks = rng.choice(sw, size=int(n_projects[s_]), p=demand / demand.sum())
            for cat, k in zip(*np.unique(picks, return_counts=True), strict=True):
                team = Team("social_org", RL["community"], BY["social_organisation"], s_,
                            model.on_done, resolves_all=True)
                per_day = k * so.project_hours_per_week / 7.0
                team.daily_hours = per_day
                project_desks.append(Desk(model, team, model.issues, speed=per_day / 8.0))
                teams[int(cat)] = team
                model.projects += int(k)
        desks = math.ceil(so_day[s_] / 8) if so_day[s_] > 0 else 0
        model.social_teams[s_].daily_hours = so_day[s_] * b.workdays_per_week / 7
        model.social_orgs.append(
            SocialOrganisation(model, s_, model.social_teams[s_], desks, teams))
    model.social_shifts = [
        ShiftGroup(model, t.desks, start, start + (so_day[s] / len(t.desks) if t.desks else 0),
                   b.workdays_per_week) for s, t in enumerate(model.social_teams)]
    model.project_shift = ShiftGroup(model, project_desks, start, start + 8.0, 7)
