"""Everyone on the graph, in Mesa's network space (``mesa.discrete_space.Network``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa.discrete_space import Network

if TYPE_CHECKING:
    from sim.model import GovernanceModel


def place_on_graph(model: GovernanceModel) -> None:
    """Grid workers on their grid, micro-grid workers on their micro-grid, volunteers in
    their building, riders at the start of their route (their daily pass is the route's
    ``passes`` edges), organisations on their nodes. Residents are not placed one by one:
    they are rows of the population arrays, each tied to a building node by number (ten
    million cell memberships would cost gigabytes)."""
    graph = model.graph
    model.space = Network(graph, layout=None, random=model.random)
    cells = model.space._cells
    node_of: dict[tuple[str, int], object] = {
        (d.get("kind"), d["index"]): n for n, d in graph.nodes(data=True) if "index" in d}
    for w in model._grid_worker_list:
        w.cell = cells[node_of["grid", w.grid]]
    for m, worker in model.micro_grid_workers.items():
        worker.cell = cells[node_of["micro_grid", m]]
    for i, v in model.volunteer_of.items():
        v.cell = cells[node_of["building", int(model.population.building[i])]]
    for rider in model._rider_list:
        rider.cell = cells[node_of["micro_grid", rider.route[0]]]
    kinds = {"community": model.committees, "volunteer_station": model.stations,
             "social_org": model.social_orgs, "street": model.street_offices,
             "department": model.departments, "utility": model.utilities}
    for kind, agents in kinds.items():
        for k, agent in enumerate(agents):
            node = node_of.get((kind, k))
            if node is not None:
                agent.cell = cells[node]
    model.platform.cell = cells["platform"]
