"""The residents (居民): the population arrays, one Mesa agent each, their trust and the
ties that carry word of mouth."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents import Resident
from sim.residents import WordOfMouth, build_population

if TYPE_CHECKING:
    from sim.model import GovernanceModel


def make_residents(model: GovernanceModel) -> None:
    pl, p, rng = model.places, model.p, model.rng_layout
    pop = build_population(pl, p, rng)
    model.population = pop
    model.community_of_resident = pop.community
    n = pop.n
    model.residents_list = list(Resident.create_agents(model, n, index=list(range(n))))
    model.residents = model.agents_by_type[Resident]
    model.reports = np.zeros(n, dtype=np.int32)
    model.word_of_mouth = WordOfMouth(pop, p.ties.household_weight, p.ties.tie_weight)
    trust = pop.trust
    model.trust_sum = float(trust.sum())
    model.trust_sq = float((trust**2).sum())
    model.trust_start = model.trust_sum / max(n, 1)
    model.trust_by_comm = np.bincount(pop.community, trust, pl.n_communities)
    model.residents_by_comm = np.bincount(pop.community, minlength=pl.n_communities)
    vp = p.volunteers
    # Drawn for every resident whatever the rate, so other draws stay paired: who
    # volunteers (the volunteers themselves are made with the stations, in services).
    model._volunteer_draw = rng.random(n) < vp.rate
    model._skill_draw = (rng.random(n) * vp.skills).astype(np.int64)
