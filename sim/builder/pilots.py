"""Pilot units (创新观察点) [F35]: streets and communities by id, then numbers drawn
with the seed (from a stream of their own, so the rest of the run keeps its draws)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import GovernanceModel


def choose_pilots(model: GovernanceModel) -> None:
    pl, pp = model.places, model.p.pilot
    (rng,) = model.rng_layout.spawn(1)
    street = np.zeros(pl.n_streets, dtype=bool)
    street[pp.street_ids] = True
    free = np.flatnonzero(~street)
    street[rng.permutation(free)[:pp.streets]] = True
    comm = street[pl.community_street]
    comm[pp.community_ids] = True
    free = np.flatnonzero(~comm)
    comm[rng.permutation(free)[:pp.communities]] = True
    model.pilot_comm = comm
    model.inspection_visits = np.zeros(pl.n_communities, dtype=np.int64)
    model.property_cut = np.full(pl.n_communities, model.p.neighbourhoods.property_cut)
