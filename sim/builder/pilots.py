"""Pilot units (创新观察点) [F35]: streets and communities by id, then numbers drawn
with the seed (from a stream of their own, so the rest of the run keeps its draws)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.places import Places
from sim.scenario import Pilot

if TYPE_CHECKING:
    from sim.model import GovernanceModel


def choose_pilots(model: GovernanceModel) -> None:
    pl = model.places
    (rng,) = model.rng_layout.spawn(1)
    model.pilot_comm = pilot_communities(pl, model.p.pilot, rng)
    model.inspection_visits = np.zeros(pl.n_communities, dtype=np.int64)
    model.property_cut = np.full(pl.n_communities, model.p.neighbourhoods.property_cut)


def pilot_communities(pl: Places, pp: Pilot, rng: np.random.Generator) -> np.ndarray:
    """Which communities are pilots: the streets and communities named by id, then
    ``pp.streets`` more streets and ``pp.communities`` more communities drawn with
    ``rng`` (a whole city's choice, also when a run is split by district)."""
    street = np.zeros(pl.n_streets, dtype=bool)
    street[pp.street_ids] = True
    free = np.flatnonzero(~street)
    street[rng.permutation(free)[:pp.streets]] = True
    comm = street[pl.community_street]
    comm[pp.community_ids] = True
    free = np.flatnonzero(~comm)
    comm[rng.permutation(free)[:pp.communities]] = True
    return comm
