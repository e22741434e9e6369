"""New-employment workers (新就业群体: couriers, riders, drivers) and their routes, a
run of neighbouring micro-grids in their street [F25]; some enrolled as mobile grid
workers (移动网格员) [F26]."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa.agentset import AgentSet

from sim.agents import NewEmploymentWorker

if TYPE_CHECKING:
    from sim.model import GovernanceModel


def make_riders(model: GovernanceModel) -> None:
    pl, mp, rng = model.places, model.p.mobile_grid, model.rng_layout
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
        NewEmploymentWorker(model, route, e)
    model.riders = model.agents_by_type.get(NewEmploymentWorker,
                                            AgentSet([], random=model.random))
    model._rider_list = list(model.riders)
    model._riders_at = {}
    for rider in model._rider_list:
        for m in rider.route:
            model._riders_at.setdefault(m, []).append(rider)
    model.rider_friendly = rng.random(pl.n_communities) < mp.rider_friendly_share  # [F20]
    # Where riders work: each rider's day spread over the micro-grids of the route.
    lengths = np.array([len(r.route) for r in model._rider_list], dtype=np.int64)
    model._route_owner = np.repeat(np.arange(len(lengths)), lengths)
    model._route_flat = np.array([m for r in model._rider_list for m in r.route],
                                 dtype=np.int64)
    model.rider_presence = np.bincount(
        model._route_flat, 1.0 / lengths[model._route_owner] if len(lengths) else None,
        pl.n_micro_grids)
    model.update_rider_rate()
