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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np

from sim.register import Register
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
    # From a community register (sim/register.py): the places' own names and each
    # community's households; empty / None for a preset layout.
    district_names: tuple[str, ...] = ()
    street_names: tuple[str, ...] = ()
    community_names: tuple[str, ...] = ()
    community_households: np.ndarray | None = None

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


@dataclass(frozen=True)
class Offsets:
    """Where one district's places start in the whole city's numbering."""

    street: int
    community: int
    grid: int
    micro_grid: int
    building: int
    resident: int


def district_places(places: Places, district: int) -> tuple[Places, Offsets]:
    """One district's places, numbered from 0, and where they start in the city's
    numbering (places are numbered in hierarchy order, so a district's are a run)."""
    def run(mask: np.ndarray, what: str) -> tuple[int, int]:
        at = np.flatnonzero(mask)
        if at.size == 0 or at[-1] - at[0] + 1 != at.size:
            raise ValueError(f"district {district}: its {what} are not numbered together")
        return int(at[0]), int(at[-1]) + 1

    s0, s1 = run(places.street_district == district, "streets")
    c0, c1 = run((places.community_street >= s0) & (places.community_street < s1),
                 "communities")
    g0, g1 = run((places.grid_community >= c0) & (places.grid_community < c1), "grids")
    m0, m1 = run((places.micro_grid_grid >= g0) & (places.micro_grid_grid < g1),
                 "micro-grids")
    b0, b1 = run((places.building_micro_grid >= m0) & (places.building_micro_grid < m1),
                 "buildings")
    r0 = int(places.micro_grid_first_resident[m0])
    names = {key: getattr(places, key)[lo:hi] for key, lo, hi in (
        ("district_names", district, district + 1), ("street_names", s0, s1),
        ("community_names", c0, c1)) if getattr(places, key)}
    hh = places.community_households
    part = replace(
        places,
        street_district=places.street_district[s0:s1] - district,
        community_street=places.community_street[c0:c1] - s0,
        grid_community=places.grid_community[g0:g1] - c0,
        micro_grid_grid=places.micro_grid_grid[m0:m1] - g0,
        micro_grid_community=places.micro_grid_community[m0:m1] - c0,
        micro_grid_residents=places.micro_grid_residents[m0:m1],
        micro_grid_first_resident=places.micro_grid_first_resident[m0:m1] - r0,
        community_type=places.community_type[c0:c1],
        community_property=places.community_property[c0:c1],
        building_micro_grid=places.building_micro_grid[b0:b1] - m0,
        building_first_resident=places.building_first_resident[b0:b1] - r0,
        building_residents=places.building_residents[b0:b1],
        community_households=None if hh is None else hh[c0:c1],
        **names)
    return part, Offsets(s0, c0, g0, m0, b0, r0)


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
    register = layout.community_register()
    if register is not None:
        return _lay_out_register(layout, register, hoods, rng)
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
    return _subdivide(street_district, community_street, comm_res, gpc, mpc, kind,
                      has_property, type_names, per_building)


def _lay_out_register(layout: Layout, reg: Register, hoods: Neighbourhoods | None,
                      rng: np.random.Generator) -> Places:
    """The layout of a community register: its districts, streets and communities with
    their residents, households and grids; micro-grids as given, or at the layout's
    micro-grids per grid; neighbourhood types and property companies as given, or drawn
    as for a preset layout."""
    n_comm = reg.n_communities
    if hoods is None or hoods.mix == "uniform":
        type_names: tuple[str, ...] = ("uniform",)
        kind = np.zeros(n_comm, dtype=np.int64)
        has_property = (reg.property_management if reg.property_management is not None
                        else np.zeros(n_comm, dtype=bool))
        per_building = hoods.residents_per_building if hoods is not None else 80
    else:
        type_names = tuple(hoods.types)
        types = list(hoods.types.values())
        if reg.types is not None:
            kind = np.array([type_names.index(t) for t in reg.types], dtype=np.int64)
        else:
            shares = np.array([t.share for t in types])
            kind = np.minimum(np.searchsorted(np.cumsum(shares),
                                              rng.random(n_comm) * shares.sum(), side="right"),
                              len(types) - 1)
        if reg.property_management is not None:
            has_property = reg.property_management
        else:
            has_property = rng.random(n_comm) < np.array(
                [t.property_management for t in types])[kind]
        per_building = hoods.residents_per_building
    gpc = reg.grids
    if reg.micro_grids is not None:
        mpc = reg.micro_grids
    else:
        per_grid = layout.micro_grids_per_community / layout.grids_per_community
        mpc = np.minimum(np.maximum(gpc, np.rint(gpc * per_grid).astype(np.int64)),
                         reg.residents)
    places = _subdivide(reg.street_district, reg.community_street, reg.residents, gpc, mpc,
                        kind, has_property, type_names, per_building)
    return replace(places, district_names=reg.district_names, street_names=reg.street_names,
                   community_names=reg.community_names, community_households=reg.households)


def _subdivide(street_district: np.ndarray, community_street: np.ndarray,
               comm_res: np.ndarray, gpc: np.ndarray, mpc: np.ndarray, kind: np.ndarray,
               has_property: np.ndarray, type_names: tuple[str, ...],
               per_building: int) -> Places:
    """Communities of these sizes into grids, micro-grids and buildings."""
    n_comm = len(comm_res)
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
        g.add_node(dn, kind="district", index=d, name=_name(places.district_names, d,
                                                               "District"))
        g.add_edge("city", dn, kind="contains")
        for kind in ("department", "utility"):
            sn = node(kind, d)
            g.add_node(sn, kind=kind, index=d, name=f"{kind.title()} {d + 1}")
            g.add_edge("platform", sn, kind="dispatches")
            g.add_edge(sn, dn, kind="serves")
    for s, d in enumerate(places.street_district):
        sn = node("street", s)
        g.add_node(sn, kind="street", index=s, name=_name(places.street_names, s, "Street"),
                   residents=int(places.residents_in("street")[s]))
        g.add_edge(node("district", int(d)), sn, kind="contains")
        g.add_edge("platform", sn, kind="dispatches")
        so = node("social_org", s)
        g.add_node(so, kind="social_org", index=s, name=f"Social-work station {s + 1}")
    res_comm = places.residents_in("community")
    for c, s in enumerate(places.community_street):
        cn = node("community", c)
        g.add_node(cn, kind="community", index=c,
                   name=_name(places.community_names, c, "Community"),
                   residents=int(res_comm[c]),
                   neighbourhood=places.type_names[int(places.community_type[c])],
                   property_management=bool(places.community_property[c]))
        if places.community_households is not None:
            g.nodes[cn]["households"] = int(places.community_households[c])
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
    for b, m in enumerate(places.building_micro_grid):
        bn = node("building", b)
        g.add_node(bn, kind="building", index=b, residents=int(places.building_residents[b]))
        g.add_edge(node("micro_grid", int(m)), bn, kind="contains")
    add_rider_routes(g, rider_routes or ())
    return g


def add_rider_routes(g: nx.Graph, routes: Iterable[Sequence[int]]) -> None:
    """``passes`` edges between neighbouring micro-grids of riders' routes (weighted)."""
    mg_node = {d["index"]: n for n, d in g.nodes(data=True) if d.get("kind") == "micro_grid"}
    for route in routes:
        for a, b in itertools.pairwise(route):
            u, v = mg_node[int(a)], mg_node[int(b)]
            if g.has_edge(u, v):
                if g[u][v].get("kind") == "passes":
                    g[u][v]["riders"] += 1
            else:
                g.add_edge(u, v, kind="passes", riders=1)


# The place hierarchy, child kind -> parent kind, along ``contains`` edges.
PARENT: dict[str, str] = {"district": "city", "street": "district", "community": "street",
                          "grid": "community", "micro_grid": "grid", "building": "micro_grid"}


@dataclass(frozen=True)
class ServiceAreas:
    """Who serves whom, read from the graph's ``serves`` edges (index arrays; -1: none)."""

    social_org_of_community: np.ndarray
    station_of_community: np.ndarray
    utility_of_grid: np.ndarray  # the utility embedded in the grid [F17]
    utility_of_district: np.ndarray
    department_of_district: np.ndarray


def _parent(g: nx.Graph, child: str, kind: str) -> str:
    for other, data in g[child].items():
        if data.get("kind") == "contains" and g.nodes[other].get("kind") == PARENT[kind]:
            return other
    raise ValueError(f"graph: {child} is contained in no {PARENT[kind]}")


def places_from_graph(g: nx.Graph, type_names: tuple[str, ...]) -> Places:
    """The index arrays the model runs on, read from the graph's places and ``contains``
    edges: an edited graph (a micro-grid moved to another grid, a building added) gives
    a different model. Places are numbered anew in hierarchy order (each node's
    ``index`` attribute is updated), so residents stay numbered building by building."""
    nodes: dict[str, list[str]] = {kind: [] for kind in PARENT}
    for n, data in g.nodes(data=True):
        if data.get("kind") in nodes:
            nodes[data["kind"]].append(n)
    order: dict[str, dict[str, int]] = {}
    parent_of: dict[str, list[str]] = {}
    for kind in PARENT:
        if kind == "district":
            ranked = sorted(nodes[kind], key=lambda n: g.nodes[n]["index"])
        else:
            up = order[PARENT[kind]]
            parent_of[kind] = [_parent(g, n, kind) for n in nodes[kind]]
            ranked = [n for _, _, n in sorted(
                (up[p], g.nodes[n]["index"], n) for n, p in zip(nodes[kind], parent_of[kind],
                                                                 strict=True))]
        order[kind] = {n: i for i, n in enumerate(ranked)}
        for n, i in order[kind].items():
            g.nodes[n]["index"] = i

    def parents(kind: str) -> np.ndarray:
        up = order[PARENT[kind]]
        out = np.empty(len(order[kind]), dtype=np.int64)
        for n, p in zip(nodes[kind], parent_of[kind], strict=True):
            out[order[kind][n]] = up[p]
        return out

    building_mg = parents("building")
    b_res = np.array([g.nodes[n].get("residents", 0) for n in order["building"]],
                     dtype=np.int64)
    micro_grid_grid = parents("micro_grid")
    grid_community = parents("grid")
    mg_res = np.bincount(building_mg, b_res, len(order["micro_grid"])).astype(np.int64)
    names = list(type_names)
    comm_nodes = list(order["community"])
    kind = np.array([names.index(g.nodes[n].get("neighbourhood", names[0]))
                     for n in comm_nodes], dtype=np.int64)
    prop = np.array([bool(g.nodes[n].get("property_management", False)) for n in comm_nodes])
    households = [g.nodes[n].get("households") for n in comm_nodes]

    def named(kind: str) -> tuple[str, ...]:
        return tuple(str(g.nodes[n].get("name", "")) for n in order[kind])

    return Places(
        street_district=parents("street"),
        community_street=parents("community"),
        grid_community=grid_community,
        micro_grid_grid=micro_grid_grid,
        micro_grid_community=grid_community[micro_grid_grid],
        micro_grid_residents=mg_res,
        micro_grid_first_resident=np.concatenate(([0], np.cumsum(mg_res)[:-1])).astype(
            np.int64),
        community_type=kind,
        community_property=prop,
        type_names=type_names,
        building_micro_grid=building_mg,
        building_first_resident=np.concatenate(([0], np.cumsum(b_res)[:-1])).astype(np.int64),
        building_residents=b_res,
        district_names=named("district"),
        street_names=named("street"),
        community_names=named("community"),
        community_households=None if None in households else np.array(households,
                                                                      dtype=np.int64),
    )


def _name(names: tuple[str, ...], i: int, kind: str) -> str:
    """A place's name: the register's, or "Community 3" for a preset layout."""
    return names[i] if names else f"{kind} {i + 1}"


def service_areas(g: nx.Graph, places: Places) -> ServiceAreas:
    """Who serves whom, from the ``serves`` edges (an organisation to what it covers)."""
    def index(n: str) -> int:
        return int(g.nodes[n]["index"])

    so = np.full(places.n_communities, -1, dtype=np.int64)
    station = np.full(places.n_communities, -1, dtype=np.int64)
    utility_grid = np.full(places.n_grids, -1, dtype=np.int64)
    utility_district = np.full(places.n_districts, -1, dtype=np.int64)
    department = np.full(places.n_districts, -1, dtype=np.int64)
    targets = {("social_org", "community"): so, ("volunteer_station", "community"): station,
               ("utility", "grid"): utility_grid, ("utility", "district"): utility_district,
               ("department", "district"): department}
    for a, b, data in g.edges(data=True):
        if data.get("kind") != "serves":
            continue
        ka, kb = g.nodes[a]["kind"], g.nodes[b]["kind"]
        if (kb, ka) in targets:
            a, b, ka, kb = b, a, kb, ka
        arr = targets.get((ka, kb))
        if arr is not None and arr[index(b)] < 0:
            arr[index(b)] = index(a)
    return ServiceAreas(so, station, utility_grid, utility_district, department)
