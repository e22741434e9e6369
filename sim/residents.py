"""Residents (居民) as compact arrays: traits by neighbourhood type, households, ties.

A city has about ten million residents and tens of millions of ties between them, so
they live here in numpy arrays indexed by resident number (residents are numbered
building by building, micro-grid by micro-grid), not in networkx [DESIGN: performance].
The :class:`~sim.agents.Resident` agent reads its own row.

Ties (for word of mouth) are a CSR adjacency — ``tie_ptr`` / ``ties`` — built in one
vectorised pass: each resident's household members first (``n_household`` of them),
then a few neighbours in the same building, acquaintances in the micro-grid and longer
ties across the community, all drawn with the layout's random stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.places import Places
from sim.scenario import Scenario

GROUPS: tuple[str, ...] = ("elderly", "offline", "floating")  # resident groups [P9]


@dataclass
class Population:
    """Residents' traits and ties (all arrays of length ``n`` unless stated)."""

    micro_grid: np.ndarray
    building: np.ndarray
    community: np.ndarray
    household: np.ndarray
    elderly: np.ndarray
    digital: np.ndarray
    party_member: np.ndarray
    floating: np.ndarray
    trust: np.ndarray  # 0-1, moves with outcomes (see WordOfMouth)
    tie_ptr: np.ndarray  # length n + 1
    ties: np.ndarray  # int32 resident numbers
    n_household: np.ndarray  # how many of a resident's ties are household members

    @property
    def n(self) -> int:
        return len(self.micro_grid)

    def group(self, name: str) -> np.ndarray:
        """Boolean mask of a resident group: elderly, offline (no digital access), floating."""
        return {"elderly": self.elderly, "offline": ~self.digital,
                "floating": self.floating}[name]


def build_population(places: Places, scenario: Scenario,
                     rng: np.random.Generator) -> Population:
    """Residents' traits, households and ties for a layout."""
    n = places.n_residents
    mg = np.repeat(np.arange(places.n_micro_grids), places.micro_grid_residents)
    building = np.repeat(np.arange(len(places.building_residents)), places.building_residents)
    community = places.micro_grid_community[mg]
    rp, hoods = scenario.residents, scenario.neighbourhoods
    # Trust (beta) and household sizes (Poisson) take a varying number of draws with
    # their parameters: they get streams of their own, so that changing trust or
    # household size leaves every other draw of the layout paired.
    rng_trust, rng_households = rng.spawn(2)
    if hoods.mix == "uniform":
        elderly_p = np.full(n, rp.elderly_share)
        digital_p, digital_old = rp.digital_access, rp.digital_access_elderly
        party_p = np.full(n, rp.party_member_share)
        floating_p = np.zeros(n)
        digital_young = np.full(n, digital_p)
        digital_elder = np.full(n, digital_old)
    else:
        types = list(hoods.types.values())
        kind = places.community_type[community]

        def per_type(attr: str) -> np.ndarray:
            return np.array([getattr(t, attr) for t in types])[kind]

        elderly_p = per_type("elderly_share")
        digital_young = per_type("digital_access")
        digital_elder = per_type("digital_access_elderly")
        party_p = per_type("party_member_share")
        floating_p = per_type("floating_share")
    # Every draw is made for every resident, whatever the shares, so levers that change
    # shares leave the other draws paired.
    elderly = rng.random(n) < elderly_p
    digital = rng.random(n) < np.where(elderly, digital_elder, digital_young)
    party = rng.random(n) < party_p
    floating = rng.random(n) < floating_p
    if rp.trust_sd > 0:  # beta with the given mean and sd (clipped to a valid shape)
        m, v = rp.trust_mean, min(rp.trust_sd**2, rp.trust_mean * (1 - rp.trust_mean) * 0.99)
        k = m * (1 - m) / v - 1 if v > 0 else 0
        trust = rng_trust.beta(m * k, (1 - m) * k, n) if 0 < m < 1 and k > 0 else np.full(
            n, m)
    else:
        trust = np.full(n, rp.trust_mean)
    if places.community_households is None:
        household = _households(building, hoods.household_size, rng_households)
    else:  # a community register gives each community's households
        household = _households_by_community(places, building, community, rng_households)
    tie_ptr, ties, n_household = _ties(places, scenario, building, household, mg, community,
                                       rng)
    return Population(micro_grid=mg, building=building, community=community,
                      household=household, elderly=elderly, digital=digital,
                      party_member=party, floating=floating, trust=trust.astype(np.float64),
                      tie_ptr=tie_ptr, ties=ties, n_household=n_household)


def _households(building: np.ndarray, mean_size: float, rng: np.random.Generator) -> np.ndarray:
    """Household number of each resident: consecutive residents of a building, in
    households of 1 + Poisson(mean - 1) people (cut at building walls)."""
    n = len(building)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    sizes = 1 + rng.poisson(mean_size - 1, int(n / mean_size * 1.5) + 16)
    while sizes.sum() < n:
        sizes = np.concatenate((sizes, 1 + rng.poisson(mean_size - 1, len(sizes))))
    ends = np.cumsum(sizes)
    raw = np.searchsorted(ends, np.arange(n), side="right")
    change = np.ones(n, dtype=bool)
    change[1:] = (raw[1:] != raw[:-1]) | (building[1:] != building[:-1])
    return np.cumsum(change) - 1


def _households_by_community(places: Places, building: np.ndarray, community: np.ndarray,
                             rng: np.random.Generator) -> np.ndarray:
    """Households as :func:`_households` makes them, with each community's mean size
    (its residents over its households, from the register); residents of a community
    are consecutive, so each community's block is made apart and numbered on."""
    residents = np.bincount(community, minlength=places.n_communities)
    mean = residents / np.maximum(places.community_households, 1)
    out = np.empty(len(building), dtype=np.int64)
    start = offset = 0
    for c, n in enumerate(residents.tolist()):
        if n == 0:
            continue
        block = _households(building[start:start + n], max(float(mean[c]), 1.0), rng)
        out[start:start + n] = block + offset
        offset += int(block[-1]) + 1
        start += n
    return out


def _ranges(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted group keys, each element's group start and group size."""
    n = len(keys)
    starts_mask = np.ones(n, dtype=bool)
    starts_mask[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(starts_mask)
    sizes = np.diff(np.append(starts, n))
    group = np.cumsum(starts_mask) - 1
    return starts[group], sizes[group]


def _ties(places: Places, scenario: Scenario, building: np.ndarray, household: np.ndarray,
          mg: np.ndarray, community: np.ndarray,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(building)
    tp = scenario.ties
    h_start, h_size = _ranges(household)
    n_household = (h_size - 1).astype(np.int16)
    k_random = tp.building + tp.micro_grid + tp.community
    per = n_household.astype(np.int64) + k_random
    tie_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per, out=tie_ptr[1:])
    ties = np.empty(int(tie_ptr[-1]), dtype=np.int32)
    idx = np.arange(n)
    # Household members: the others in the household, in order.
    owner = np.repeat(idx, n_household)
    if owner.size:
        nh = n_household.astype(np.int64)
        within = np.arange(owner.size) - np.repeat(np.cumsum(nh) - nh, nh)
        local = idx[owner] - h_start[owner]
        member = h_start[owner] + (local + 1 + within) % h_size[owner]
        pos = np.repeat(tie_ptr[:-1], n_household) + within
        ties[pos] = member
    # Random others in the building, the micro-grid and the community (never oneself
    # where the group has anyone else).
    column = 0
    for key, k in ((building, tp.building), (mg, tp.micro_grid), (community, tp.community)):
        if k == 0:
            continue
        start, size = _ranges(key)
        local = idx - start
        u = rng.random((n, k))
        others = np.maximum(size - 1, 1)
        step = 1 + (u * others[:, None]).astype(np.int64)
        pick = start[:, None] + (local[:, None] + step) % size[:, None]
        ties[(tie_ptr[:-1] + n_household)[:, None] + column + np.arange(k)] = pick
        column += k
    return tie_ptr, ties, n_household


class WordOfMouth:
    """Outcomes move trust: the resident's own, and damped, their ties' [issue 9].

    Outcomes are collected during the day and applied together at its end (residents
    decide about a day's issues at its start, so nothing reads trust in between but
    consultations, which are held at the start of a day).
    """

    def __init__(self, pop: Population, household_weight: float, tie_weight: float) -> None:
        self.pop = pop
        self.household_weight = household_weight
        self.tie_weight = tie_weight
        self._who: list[int] = []
        self._delta: list[float] = []

    def hear(self, resident: int, delta: float) -> None:
        self._who.append(resident)
        self._delta.append(delta)

    def apply(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apply the day's outcomes; returns (residents changed, old trust, new trust)."""
        if not self._who:
            empty = np.zeros(0)
            return np.zeros(0, dtype=np.int64), empty, empty
        pop = self.pop
        who = np.array(self._who, dtype=np.int64)
        delta = np.array(self._delta)
        self._who, self._delta = [], []
        lo, hi = pop.tie_ptr[who], pop.tie_ptr[who + 1]
        count = hi - lo
        pos = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(count.sum())
        nh = np.repeat(pop.n_household[who].astype(np.int64), count)
        rank = pos - np.repeat(lo, count)
        weight = np.where(rank < nh, self.household_weight, self.tie_weight)
        targets = np.concatenate((who, pop.ties[pos].astype(np.int64)))
        change = np.concatenate((delta, weight * np.repeat(delta, count)))
        changed, inverse = np.unique(targets, return_inverse=True)
        total = np.bincount(inverse, change, len(changed))
        old = pop.trust[changed]
        new = np.clip(old + total, 0.0, 1.0)
        pop.trust[changed] = new
        return changed, old, new
