"""The places: the community graph (city → districts → streets → communities → grids →
micro-grids → buildings, and the service nodes) and the tables read from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

from sim.places import build_graph, lay_out, places_from_graph, service_areas

if TYPE_CHECKING:
    from sim.model import GovernanceModel


def make_places(model: GovernanceModel, graph: nx.Graph | None = None) -> None:
    """Lay out the scenario's places and build the graph (or take an edited ``graph``).

    The graph is the model's structure: places, who contains whom and who serves whom
    are read from it, so an edited graph is another model.
    """
    p = model.p
    laid = lay_out(p.layout, p.neighbourhoods, model.rng_layout)
    model.graph = graph if graph is not None else build_graph(
        laid, utilities_in_grid=p.utilities.in_grid)
    model.places = places_from_graph(model.graph, laid.type_names)
    model.areas = service_areas(model.graph, model.places)
    pl = model.places
    model.district_of_comm = pl.street_district[pl.community_street]
    model.street_of_grid = pl.community_street[pl.grid_community]
