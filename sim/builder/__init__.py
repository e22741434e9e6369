"""Building a community from a scenario (the model's set-up), apart from running it.

:func:`build` lays the parts down in the order one would explain the community to a
newcomer: the places (the community graph), the residents who live there, the grid
workers and micro-grid workers among them, the offices above them, the services beside
them, the 12345 platform that links them, the riders who pass through, where issues
arise, which units are pilots, and finally everyone's place on the graph. Each part has
its own module and one function that takes the scenario and what it needs.

The order is also the order of random draws: moving a step changes every number that
follows (``tests/test_golden.py`` holds it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

from sim.builder.offices import make_offices
from sim.builder.pilots import choose_pilots
from sim.builder.places import make_places
from sim.builder.platform import make_platform
from sim.builder.residents import make_residents
from sim.builder.riders import make_riders
from sim.builder.services import make_services
from sim.builder.space import place_on_graph
from sim.builder.staff import make_grid_staff, make_micro_grid_workers
from sim.places import add_rider_routes

if TYPE_CHECKING:
    from sim.model import GovernanceModel

__all__ = ["build"]


def build(model: GovernanceModel, graph: nx.Graph | None = None) -> None:
    """Build every part of ``model`` from its scenario (``model.p``)."""
    make_places(model, graph)
    make_residents(model)
    make_grid_staff(model)
    make_micro_grid_workers(model)
    make_offices(model)
    make_services(model)
    make_platform(model)
    make_riders(model)
    arrival_rates(model)
    choose_pilots(model)
    add_rider_routes(model.graph, [r.route for r in model._rider_list])
    place_on_graph(model)


def arrival_rates(model: GovernanceModel) -> None:
    """Issues a day by micro-grid and category: residents' categories by residents,
    riders' own by the riders working there, fewer where sites are rider-friendly."""
    import numpy as np

    pl, cats, mp = model.places, model.cats, model.p.mobile_grid
    lam = np.outer(pl.micro_grid_residents, cats.rate)
    riders = model.rider_presence * (
        1 - mp.rider_friendly_cut * model.rider_friendly[pl.micro_grid_community])
    lam[:, cats.by_riders] = np.outer(riders, cats.rate[cats.by_riders])
    model._lam = lam
