"""The community graph: places and organisations (networkx), and index arrays over it.

City (市) → districts (区) → streets (街道) → communities (社区) → grids (网格) →
micro-grids (微网格), plus service nodes: the one-network platform (一网统管 / 12345),
district departments and utilities, street social-work stations (社工站) and community
volunteer stations. Edge kinds: ``contains`` (hierarchy), ``serves`` (an organisation
to what it covers), ``dispatches`` (platform to those it sends work orders to) and
``passes`` (neighbouring micro-grids on riders' daily routes, weighted by riders).

The model works on integer indices (micro-grid ``m``, grid ``g``, community ``c``...);
graph node ids are ``"micro_grid:m"`` etc., with the index in the ``index`` attribute.
Everything here is a pure function of the layout, so the graph is reproducible.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx
import numpy as np

from sim.scenario import Layout, Neighbourhoods


def node(kind: str, index: int | None = None) -> str:
    """The graph node id of place ``kind`` number ``index``."""
    return kind if index is None else f"{kind}:{index}"


@dataclass(frozen=True)
class Places:
    """Index arrays of the hierarchy (all numpy int arrays)."""

    street_district: np.ndarray  # per street
    community_street: np.ndarray  # per community
    grid_community: np.ndarray  # per grid
    micro_grid_grid: np.ndarray  # per micro-grid
    micro_grid_community: np.ndarray
    micro_grid_residents: np.ndarray  # residents living in each micro-grid
    micro_grid_first_resident: np.ndarray  # residents are numbered micro-grid by micro-grid
    # Neighbourhood type of each community (index into type_names) and whether it has a
    # property-management company ("red property" [F28]).
    community_type: np.ndarray
    community_property: np.ndarray
    type_names: tuple[str, ...]
    # Buildings (楼栋): residents are numbered building by building within micro-grids.
    building_micro_grid: np.ndarray
    building_first_resident: np.ndarray
    building_residents: np.ndarray

    @property
    def n_districts(self) -> int:
        return int(self.street_district.max()) + 1

    @property
    def n_streets(self) -> int:
        return len(self.street_district)

    @property
    def n_communities(self) -> int:
        return len(self.community_street)

    @property
    def n_grids(self) -> int:
        return len(self.grid_community)

    @property
    def n_micro_grids(self) -> int:
        return len(self.micro_grid_grid)

    @property
    def n_residents(self) -> int:
        return int(self.micro_grid_residents.sum())

    def residents_in(self, level: str) -> np.ndarray:
        """Residents per grid, community, street or district."""
        per_mg = self.micro_grid_residents
        if level == "micro_grid":
            return per_mg
        by_grid = np.bincount(self.micro_grid_grid, per_mg, self.n_grids)
        if level == "grid":
            return by_grid
        by_comm = np.bincount(self.grid_community, by_grid, self.n_communities)
        if level == "community":
            return by_comm
        by_street = np.bincount(self.community_street, by_comm, self.n_streets)
        if level == "street":
            return by_street
        return np.bincount(self.street_district, by_street, self.n_districts)


def lay_out(layout: Layout, hoods: Neighbourhoods | None = None,
            rng: np.random.Generator | None = None) -> Places:
    """Index arrays for a layout.

    With typed neighbourhoods each community draws a type from the shares [F3] and a
    size (the type's size factor times a lognormal spread, mean one; a one-community
    layout is the average community); grids and micro-grids follow its size, so a
    micro-grid holds about the same number of residents everywhere. Residents are spread
    evenly over a community's micro-grids, micro-grids over its grids, and within a
    micro-grid over buildings of about ``residents_per_building``.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    n_streets = layout.districts * layout.streets_per_district
    n_comm = n_streets * layout.communities_per_street
    rpc = layout.residents_per_community
    street_district = np.arange(n_streets) // layout.streets_per_district
    community_street = np.arange(n_comm) // layout.communities_per_street
    if hoods is None or hoods.mix == "uniform":
        type_names: tuple[str, ...] = ("uniform",)
        kind = np.zeros(n_comm, dtype=np.int64)
        size = np.full(n_comm, float(rpc))
        has_property = np.zeros(n_comm, dtype=bool)
        per_building = hoods.residents_per_building if hoods is not None else 80
    else:
        type_names = tuple(hoods.types)
        types = list(hoods.types.values())
        shares = np.array([t.share for t in types])
        kind = np.minimum(np.searchsorted(np.cumsum(shares), rng.random(n_comm) * shares.sum(),
                                          side="right"), len(types) - 1)
        factor = np.array([t.size_factor for t in types])
        sigma2 = np.log1p(hoods.size_cv**2)
        spread = rng.lognormal(-sigma2 / 2, np.sqrt(sigma2), n_comm)
        size = rpc * factor[kind] / (shares @ factor) * spread if n_comm > 1 else np.full(
            1, float(rpc))
        has_property = rng.random(n_comm) < np.array(
            [t.property_management for t in types])[kind]
        per_building = hoods.residents_per_building
    comm_res = np.maximum(np.rint(size).astype(np.int64), layout.micro_grids_per_community)
    scale = comm_res / rpc
    gpc = np.maximum(1, np.rint(layout.grids_per_community * scale).astype(np.int64))
    mpc = np.maximum(gpc, np.rint(layout.micro_grids_per_community * scale).astype(np.int64))
    mpc = np.minimum(mpc, comm_res)
    grid_community = np.repeat(np.arange(n_comm), gpc)
    grid_first = np.concatenate(([0], np.cumsum(gpc)[:-1]))
    mg_comm = np.repeat(np.arange(n_comm), mpc)
    local = np.arange(mg_comm.size) - np.repeat(np.cumsum(mpc) - mpc, mpc)
    # Micro-grids of a community are split evenly over its grids, in order.
    mg_grid = grid_first[mg_comm] + local * gpc[mg_comm] // mpc[mg_comm]
    base, extra = np.divmod(comm_res, mpc)
    mg_res = base[mg_comm] + (local < extra[mg_comm])
    first = np.concatenate(([0], np.cumsum(mg_res)[:-1]))
    nb = np.maximum(1, -(-mg_res // per_building))  # ceil
    b_mg = np.repeat(np.arange(mg_res.size), nb)
    b_local = np.arange(b_mg.size) - np.repeat(np.cumsum(nb) - nb, nb)
    b_base, b_extra = np.divmod(mg_res, nb)
    b_res = b_base[b_mg] + (b_local < b_extra[b_mg])
    b_first = np.concatenate(([0], np.cumsum(b_res)[:-1]))
    return Places(
        street_district=street_district,
        community_street=community_street,
        grid_community=grid_community,
        micro_grid_grid=mg_grid.astype(np.int64),
        micro_grid_community=mg_comm,
        micro_grid_residents=mg_res.astype(np.int64),
        micro_grid_first_resident=first.astype(np.int64),
        community_type=kind.astype(np.int64),
        community_property=has_property,
        type_names=type_names,
        building_micro_grid=b_mg,
        building_first_resident=b_first.astype(np.int64),
        building_residents=b_res.astype(np.int64),
    )


def build_graph(
    places: Places,
    *,
    utilities_in_grid: bool,
    rider_routes: list[np.ndarray] | None = None,
) -> nx.Graph:
    """The community graph of places and organisations."""
    g = nx.Graph()
    g.add_node("city", kind="city", index=0, name="Nanjing")
    g.add_node("platform", kind="platform", index=0, name="12345 / one-network platform")
    g.add_edge("platform", "city", kind="dispatches")
    for d in range(places.n_districts):
        dn = node("district", d)
        g.add_node(dn, kind="district", index=d, name=f"District {d + 1}")
        g.add_edge("city", dn, kind="contains")
        for kind in ("department", "utility"):
            sn = node(kind, d)
            g.add_node(sn, kind=kind, index=d, name=f"{kind.title()} {d + 1}")
            g.add_edge("platform", sn, kind="dispatches")
            g.add_edge(sn, dn, kind="serves")
    for s, d in enumerate(places.street_district):
        sn = node("street", s)
        g.add_node(sn, kind="street", index=s, name=f"Street {s + 1}",
                   residents=int(places.residents_in("street")[s]))
        g.add_edge(node("district", int(d)), sn, kind="contains")
        g.add_edge("platform", sn, kind="dispatches")
        so = node("social_org", s)
        g.add_node(so, kind="social_org", index=s, name=f"Social-work station {s + 1}")
    res_comm = places.residents_in("community")
    for c, s in enumerate(places.community_street):
        cn = node("community", c)
        g.add_node(cn, kind="community", index=c, name=f"Community {c + 1}",
                   residents=int(res_comm[c]))
        g.add_edge(node("street", int(s)), cn, kind="contains")
        g.add_edge(node("social_org", int(s)), cn, kind="serves")
        vs = node("volunteer_station", c)
        g.add_node(vs, kind="volunteer_station", index=c, name=f"Volunteer station {c + 1}")
        g.add_edge(vs, cn, kind="serves")
    res_grid = places.residents_in("grid")
    district_of_comm = places.street_district[places.community_street]
    for gi, c in enumerate(places.grid_community):
        gn = node("grid", gi)
        g.add_node(gn, kind="grid", index=gi, name=f"Grid {gi + 1}", residents=int(res_grid[gi]))
        g.add_edge(node("community", int(c)), gn, kind="contains")
        if utilities_in_grid:  # [F17] utility staff embedded in the grid
            g.add_edge(node("utility", int(district_of_comm[c])), gn, kind="serves")
    for m, gi in enumerate(places.micro_grid_grid):
        mn = node("micro_grid", m)
        g.add_node(mn, kind="micro_grid", index=m, name=f"Micro-grid {m + 1}",
                   residents=int(places.micro_grid_residents[m]))
        g.add_edge(node("grid", int(gi)), mn, kind="contains")
    for route in rider_routes or ():
        for a, b in itertools.pairwise(route):
            u, v = node("micro_grid", int(a)), node("micro_grid", int(b))
            if g.has_edge(u, v):
                g[u][v]["riders"] += 1
            else:
                g.add_edge(u, v, kind="passes", riders=1)
    return g
