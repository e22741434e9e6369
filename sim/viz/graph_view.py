"""The community graph as a picture: a radial layout computed once, drawn each frame.

Positions come from the ``contains`` hierarchy, not from a force layout: the lowest
single place (the community, at community scale) sits in the middle, each level below
it on its own ring, micro-grids outermost, every place at the mean angle of the
micro-grids it holds. Service organisations stand in a column to the right. The layout
depends only on the graph's places, so it is computed once per layout and reused for
every frame and every re-run with other levers.

Grids and micro-grids are coloured by open issues (per 1,000 residents, so both rings
share one scale), by residents' mean trust, or by their community's neighbourhood type
(old estate, commodity housing, resettlement estate, urban or rural village:
``model.places.community_type``), and sized by open issues; grid workers and riders are
drawn with Mesa ``AgentPortrayalStyle`` portrayals. Buildings (楼栋, below the
micro-grids; over 100,000 at city scale) are not drawn: their micro-grid stands
for them.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib as mpl
import networkx as nx
import numpy as np
from matplotlib.colors import Normalize
from mesa.visualization.components import AgentPortrayalStyle

HIERARCHY: tuple[str, ...] = ("city", "district", "street", "community", "grid", "micro_grid")
SERVICE_KINDS: tuple[str, ...] = (
    "platform", "department", "utility", "social_org", "volunteer_station",
)
SERVICE_STYLE: dict[str, tuple[str, str]] = {  # kind -> (colour, marker)
    "platform": ("#6a3d9a", "*"),
    "department": ("#1f78b4", "D"),
    "utility": ("#ff7f00", "P"),
    "social_org": ("#33a02c", "h"),
    "volunteer_station": ("#e31a1c", "v"),
}
MAX_SERVICE_NODES = 40  # a kind with more nodes than this (city scale) is not drawn
MAX_ROUTE_EDGES = 5000
MAX_AGENT_MARKERS = 20000
OPEN_CMAP = "YlOrRd"
TRUST_CMAP = "RdYlGn"
COLOUR_MODES: tuple[str, ...] = ("open", "trust", "type")
# Neighbourhood types (sim.scenario's [neighbourhoods.types]), Okabe-Ito colours, which
# stay apart for colour-blind readers; a type not listed here is drawn grey.
TYPE_COLOURS: dict[str, str] = {
    "old_estate": "#E69F00",
    "commodity_estate": "#56B4E9",
    "resettlement_estate": "#009E73",
    "urban_village": "#CC79A7",
    "rural_village": "#F0E442",
    "uniform": "#BBBBBB",
}
OTHER_TYPE_COLOUR = "#999999"


def portray_grid_worker(agent: Any) -> AgentPortrayalStyle:
    return AgentPortrayalStyle(color="#1f4e9c", marker="s", size=16, zorder=4,
                               edgecolors="white", linewidths=0.4)


def portray_rider(agent: Any) -> AgentPortrayalStyle:
    if getattr(agent, "enrolled", False):
        return AgentPortrayalStyle(color="#d62728", marker="^", size=30, zorder=5,
                                   edgecolors="black", linewidths=0.4)
    return AgentPortrayalStyle(color="#9e9e9e", marker="^", size=14, zorder=3, alpha=0.7)


@dataclass
class Layout:
    """Positions of the drawn places, by kind, ordered by index."""

    root: str | None
    shown: tuple[str, ...]  # hierarchy kinds drawn (below the root)
    pos: dict[str, np.ndarray]  # kind -> (n, 2) positions by index
    angle: dict[str, np.ndarray]  # kind -> angle by index (hierarchy kinds)
    radius: dict[str, float]
    residents: dict[str, np.ndarray]  # grid / micro_grid -> residents by index
    contains: np.ndarray  # (k, 2, 2) segments
    services: dict[str, np.ndarray]  # service kind -> positions
    service_links: np.ndarray  # (k, 2, 2) segments
    extent: float


def _by_kind(graph: nx.Graph) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for node, data in graph.nodes(data=True):
        if data["kind"] == "building":  # not drawn (see the module's docstring)
            continue
        out.setdefault(data["kind"], []).append((int(data.get("index", 0)), node))
    for nodes in out.values():
        nodes.sort()
    return out


def compute_layout(graph: nx.Graph) -> Layout:
    """The radial layout of a community graph (pure; see :func:`layout_for`)."""
    kinds = _by_kind(graph)
    levels = [k for k in HIERARCHY if kinds.get(k)]
    root = None
    for kind in levels:
        if len(kinds[kind]) == 1:
            root = kind
        else:
            break
    shown = tuple(levels[levels.index(root) + 1:] if root else levels)
    contains = nx.DiGraph()
    level_of = {k: i for i, k in enumerate(HIERARCHY)}
    for u, v, data in graph.edges(data=True):
        if data.get("kind") != "contains":
            continue
        ku, kv = graph.nodes[u]["kind"], graph.nodes[v]["kind"]
        if ku in level_of and kv in level_of:
            parent, child = (u, v) if level_of[ku] < level_of[kv] else (v, u)
            contains.add_edge(parent, child)
    leaf_kind = shown[-1] if shown else (root or "community")
    leaves = kinds.get(leaf_kind, [])
    # Order leaves by their ancestors so siblings sit together on the ring.
    def ancestry(node: str) -> tuple[int, ...]:
        chain = []
        cur = node
        while True:
            preds = list(contains.predecessors(cur)) if cur in contains else []
            if not preds:
                break
            cur = preds[0]
            chain.append(int(graph.nodes[cur].get("index", 0)))
        return tuple(reversed(chain))

    ordered = sorted(leaves, key=lambda item: (ancestry(item[1]), item[0]))
    n_leaves = max(len(ordered), 1)
    node_angle: dict[str, float] = {}
    for i, (_, node) in enumerate(ordered):
        node_angle[node] = math.pi / 2 - 2 * math.pi * (i + 0.5) / n_leaves
    # Parents take the mean angle of their leaves (leaves are contiguous on the ring).
    for kind in reversed(shown[:-1]):
        for _, node in kinds[kind]:
            child_angles = [node_angle[c] for c in contains.successors(node) if c in node_angle]
            node_angle[node] = float(np.mean(child_angles)) if child_angles else 0.0
    radius = {kind: float(i + 1) for i, kind in enumerate(shown)}
    pos: dict[str, np.ndarray] = {}
    angle: dict[str, np.ndarray] = {}
    xy_of: dict[str, tuple[float, float]] = {}
    if root:
        pos[root] = np.zeros((1, 2))
        xy_of[kinds[root][0][1]] = (0.0, 0.0)
    for kind in shown:
        nodes = kinds[kind]
        size = max(i for i, _ in nodes) + 1
        ang = np.zeros(size)
        xy = np.zeros((size, 2))
        for index, node in nodes:
            a = node_angle.get(node, 0.0)
            ang[index] = a
            xy[index] = (radius[kind] * math.cos(a), radius[kind] * math.sin(a))
            xy_of[node] = (float(xy[index, 0]), float(xy[index, 1]))
        pos[kind], angle[kind] = xy, ang
    residents = {}
    for kind in ("grid", "micro_grid"):
        if kinds.get(kind):
            size = max(i for i, _ in kinds[kind]) + 1
            res = np.zeros(size)
            for index, node in kinds[kind]:
                res[index] = float(graph.nodes[node].get("residents", 0) or 0)
            residents[kind] = res
    segments = [(xy_of[u], xy_of[v]) for u, v in contains.edges if u in xy_of and v in xy_of]
    extent = max(radius.values(), default=1.0)
    services: dict[str, np.ndarray] = {}
    drawn = [k for k in SERVICE_KINDS if 0 < len(kinds.get(k, [])) <= MAX_SERVICE_NODES]
    column = [node for k in drawn for _, node in kinds[k]]
    x = extent + 1.0
    ys = np.linspace(extent, -extent, len(column)) if len(column) > 1 else np.zeros(len(column))
    service_xy = {node: (x, float(y)) for node, y in zip(column, ys, strict=True)}
    for k in drawn:
        services[k] = np.array([service_xy[node] for _, node in kinds[k]])
    links = []
    for u, v, data in graph.edges(data=True):
        if data.get("kind") not in ("serves", "dispatches"):
            continue
        for a, b in ((u, v), (v, u)):
            if a in service_xy and b in xy_of:
                links.append((service_xy[a], xy_of[b]))
    return Layout(
        root=root, shown=shown, pos=pos, angle=angle, radius=radius, residents=residents,
        contains=np.array(segments).reshape(-1, 2, 2),
        services=services,
        service_links=np.array(links).reshape(-1, 2, 2),
        extent=extent,
    )


_LAYOUTS: dict[tuple[Any, ...], Layout] = {}
_ROUTES: weakref.WeakKeyDictionary[nx.Graph, np.ndarray] = weakref.WeakKeyDictionary()


def _signature(graph: nx.Graph) -> tuple[Any, ...]:
    kinds: dict[str, int] = {}
    for _, data in graph.nodes(data=True):
        kinds[data["kind"]] = kinds.get(data["kind"], 0) + 1
    contains = sum(1 for *_, d in graph.edges(data=True) if d.get("kind") == "contains")
    return (tuple(sorted(kinds.items())), contains)


def layout_for(graph: nx.Graph) -> Layout:
    """The cached layout for a graph's places (riders' routes do not change it)."""
    key = _signature(graph)
    if key not in _LAYOUTS:
        if len(_LAYOUTS) > 16:
            _LAYOUTS.clear()
        _LAYOUTS[key] = compute_layout(graph)
    return _LAYOUTS[key]


def route_segments(graph: nx.Graph, layout: Layout) -> np.ndarray:
    """Segments of the riders' routes (``passes`` edges), cached per graph."""
    if graph in _ROUTES:
        return _ROUTES[graph]
    mg = layout.pos.get("micro_grid")
    segs = []
    if mg is not None:
        for u, v, data in graph.edges(data=True):
            if data.get("kind") == "passes":
                a, b = int(graph.nodes[u]["index"]), int(graph.nodes[v]["index"])
                segs.append((mg[a], mg[b]))
                if len(segs) >= MAX_ROUTE_EDGES:
                    break
    out = np.array(segs).reshape(-1, 2, 2)
    _ROUTES[graph] = out
    return out


@dataclass
class PlaceValues:
    """What the picture shows for one run: values per grid and micro-grid."""

    open_grid: np.ndarray
    open_micro: np.ndarray
    trust_grid: np.ndarray
    trust_micro: np.ndarray
    # neighbourhood type names, by index (places do not change type during a run)
    type_community: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    type_grid: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    type_micro: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))


def place_types(model: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each community's, grid's and micro-grid's neighbourhood type name."""
    places = getattr(model, "places", None)
    if places is None:
        return (np.array([], dtype=object),) * 3
    names = np.array(places.type_names, dtype=object)
    kind = np.asarray(places.community_type, dtype=int)
    return (names[kind], names[kind[np.asarray(places.grid_community, dtype=int)]],
            names[kind[np.asarray(places.micro_grid_community, dtype=int)]])


def types_present(models: Sequence[Any]) -> list[str]:
    """The neighbourhood types of the runs' communities, in the scenario's order."""
    out: list[str] = []
    for model in models:
        places = getattr(model, "places", None)
        if places is None:
            continue
        used = set(np.unique(np.asarray(places.community_type, dtype=int)).tolist())
        out += [n for i, n in enumerate(places.type_names) if i in used and n not in out]
    return out


def type_colours(names: np.ndarray) -> np.ndarray:
    """RGBA colours for an array of type names."""
    return mpl.colors.to_rgba_array([TYPE_COLOURS.get(str(n), OTHER_TYPE_COLOUR)
                                     for n in names]).reshape(-1, 4)


def place_values(model: Any, layout: Layout) -> PlaceValues:
    open_micro = np.asarray(model.open_by_micro_grid(), dtype=float)
    open_grid = np.asarray(model.open_by_grid(), dtype=float)
    trust_micro = np.asarray(model.trust_by_micro_grid(), dtype=float)
    res = layout.residents.get("micro_grid")
    grid_of = _micro_grid_parent(model, len(trust_micro))
    if grid_of is not None and len(open_grid):
        w = res if res is not None and len(res) == len(trust_micro) and res.sum() > 0 else None
        weights = w if w is not None else np.ones_like(trust_micro)
        num = np.bincount(grid_of, weights * np.nan_to_num(trust_micro), len(open_grid))
        den = np.bincount(grid_of, weights, len(open_grid))
        trust_grid = np.divide(num, den, out=np.full(len(open_grid), np.nan), where=den > 0)
    else:
        trust_grid = np.full(len(open_grid), np.nan)
    return PlaceValues(open_grid, open_micro, trust_grid, trust_micro, *place_types(model))


_PARENTS: weakref.WeakKeyDictionary[nx.Graph, np.ndarray | None] = weakref.WeakKeyDictionary()


def _micro_grid_parent(model: Any, n: int) -> np.ndarray | None:
    """Each micro-grid's grid (cached per graph: places do not move)."""
    graph = model.graph
    if graph in _PARENTS:
        cached = _PARENTS[graph]
        return cached if cached is None or len(cached) == n else None
    _PARENTS[graph] = out = _micro_grid_parent_of(graph, n)
    return out


def _micro_grid_parent_of(graph: nx.Graph, n: int) -> np.ndarray | None:
    parent = np.full(n, -1, dtype=int)
    for u, v, data in graph.edges(data=True):
        if data.get("kind") != "contains":
            continue
        nu, nv = graph.nodes[u], graph.nodes[v]
        if nu["kind"] == "grid" and nv["kind"] == "micro_grid":
            parent[int(nv["index"])] = int(nu["index"])
        elif nv["kind"] == "grid" and nu["kind"] == "micro_grid":
            parent[int(nu["index"])] = int(nv["index"])
    return parent if (parent >= 0).all() else None


def _per_1000(values: np.ndarray, residents: np.ndarray | None) -> np.ndarray:
    if residents is None or len(residents) != len(values) or not (residents > 0).all():
        return values
    return values * 1000.0 / residents


def _agent_xy(layout: Layout, kind: str, index: np.ndarray, rank: np.ndarray,
              outward: float) -> np.ndarray:
    """Markers beside their place: fanned out along the ring, pushed in or out."""
    base = layout.pos[kind][index]
    ang = layout.angle[kind][index]
    n_ring = max(len(layout.pos[kind]), 1)
    spread = min(0.35, 2.2 / n_ring)
    a = ang + spread * ((rank % 5) - 2) / 4
    r = layout.radius[kind] + outward * (1 + 0.25 * (rank // 5))
    out = np.column_stack((r * np.cos(a), r * np.sin(a)))
    return np.where(np.isfinite(out), out, base)


def _scatter_agents(ax: Any, agents: Sequence[Any], xy: np.ndarray, portray: Any,
                    animated: bool = False) -> list[Any]:
    styles: dict[tuple[Any, ...], list[int]] = {}
    portrayals = [portray(a) for a in agents]
    for i, s in enumerate(portrayals):
        key = (s.color, s.marker, s.size, s.zorder, s.alpha, s.edgecolors, s.linewidths)
        styles.setdefault(key, []).append(i)
    out = []
    for (color, marker, size, zorder, alpha, edge, lw), idx in styles.items():
        out.append(ax.scatter(xy[idx, 0], xy[idx, 1], c=color, marker=marker, s=size,
                              zorder=zorder, alpha=alpha, edgecolors=edge, linewidths=lw,
                              animated=animated))
    return sorted(out, key=lambda c: c.get_zorder())


def _rank_within(groups: np.ndarray) -> np.ndarray:
    order = np.argsort(groups, kind="stable")
    ranks = np.empty(len(groups), dtype=int)
    counts: dict[int, int] = {}
    for i in order:
        g = int(groups[i])
        ranks[i] = counts.get(g, 0)
        counts[g] = ranks[i] + 1
    return ranks


def open_norm_top(runs: Sequence[tuple[str, Any]], layouts: Sequence[Layout],
                  values: Sequence[PlaceValues]) -> float:
    """The top of the open-issues colour scale: the highest rate, rounded up to 1, 2,
    2.5 or 5 x 10^k so that it rarely changes from one day to the next."""
    highs = [1.0]
    for v, lay in zip(values, layouts, strict=True):
        for arr, kind in ((v.open_grid, "grid"), (v.open_micro, "micro_grid")):
            rates = _per_1000(arr, lay.residents.get(kind))
            if len(rates):
                highs.append(float(np.nanmax(rates)))
    top = max(highs)
    mag = 10.0 ** math.floor(math.log10(top))
    return next(m * mag for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= top - 1e-9)


def place_style(kind: str, vals: PlaceValues, lay: Layout, colour_by: str, norm: Normalize,
                cmap: Any) -> tuple[np.ndarray, np.ndarray]:
    """Colours and marker sizes of one ring's places."""
    if kind == "grid":
        open_arr, trust_arr, types, base = vals.open_grid, vals.trust_grid, vals.type_grid, 90.0
    else:
        open_arr, trust_arr, types, base = (vals.open_micro, vals.trust_micro, vals.type_micro,
                                            30.0)
    if colour_by == "type" and len(types) == len(open_arr):
        colours = type_colours(types)
    else:
        shade = trust_arr if colour_by == "trust" else _per_1000(open_arr,
                                                                 lay.residents.get(kind))
        colours = cmap(norm(np.nan_to_num(shade, nan=0.0)))
    sizes = base + 12.0 * np.sqrt(np.maximum(open_arr, 0)) * (base / 30.0)
    return colours, sizes
