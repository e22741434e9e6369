"""The community graph is the model's structure: agents sit on its nodes (Mesa's network
space), and routing and service areas are read from its edges, so an edited graph is a
different model."""

from __future__ import annotations

import numpy as np
from helpers import baseline

from sim.agents import GridWorker, MicroGridWorker, NewEmploymentWorker, Volunteer
from sim.model import GovernanceModel
from sim.places import build_graph


def _graph(scenario, seed: int):
    """The graph a model with this scenario and seed would build (same layout draws)."""
    probe = GovernanceModel(scenario, rng=seed)
    return build_graph(probe.places, utilities_in_grid=scenario.utilities.in_grid)


def test_agents_sit_on_their_graph_nodes() -> None:
    model = GovernanceModel(baseline(), rng=1)
    assert set(model.space._cells) == set(model.graph.nodes)
    for w in model.agents_by_type[GridWorker]:
        assert w.cell.coordinate == f"grid:{w.grid}"
    for m, w in model.micro_grid_workers.items():
        assert w.cell.coordinate == f"micro_grid:{m}"
    for i, v in model.volunteer_of.items():
        assert v.cell.coordinate == f"building:{model.population.building[i]}"
    for r in model.agents_by_type[NewEmploymentWorker]:
        assert r.cell.coordinate == f"micro_grid:{r.route[0]}"
    # Residents live in buildings inside micro-grids, as the graph says.
    pop, g = model.population, model.graph
    for b in np.unique(pop.building)[:50]:
        parent = [n for n in g[f"building:{b}"] if g.nodes[n]["kind"] == "micro_grid"]
        assert parent == [f"micro_grid:{pop.micro_grid[pop.building == b][0]}"]
    assert len(model.agents_by_type[MicroGridWorker]) == len(model.micro_grid_workers)
    assert len(model.agents_by_type[Volunteer]) == len(model.volunteer_of)


def test_moving_a_micro_grid_to_another_grid_moves_its_issues() -> None:
    scenario = baseline()
    g = _graph(scenario, 2)
    # micro_grid:0 belongs to grid:0; hand it to grid:5.
    g.remove_edge("grid:0", "micro_grid:0")
    g.add_edge("grid:5", "micro_grid:0", kind="contains")
    model = GovernanceModel(scenario, rng=2, graph=g)
    m = g.nodes["micro_grid:0"]["index"]  # renumbered in hierarchy order
    assert model.places.micro_grid_grid[m] == g.nodes["grid:5"]["index"]
    model.run(60)
    issues = model.issues_frame()
    mine = issues[issues["micro_grid"] == m]
    assert len(mine) > 0 and (mine["grid"] == g.nodes["grid:5"]["index"]).all()


def test_removing_a_utility_from_a_grid_sends_its_utility_issues_up() -> None:
    scenario = baseline()
    g = _graph(scenario, 3)
    g.remove_edge("utility:0", "grid:0")
    model = GovernanceModel(scenario, rng=3, graph=g)
    assert model.areas.utility_of_grid[0] == -1 and (model.areas.utility_of_grid[1:] == 0).all()
    model.run(200)
    issues = model.issues_frame()
    util = issues[(issues["category"] == "utility") & issues["resolved_at"].notna()]
    here, elsewhere = util[util["grid"] == 0], util[util["grid"] != 0]
    assert len(here) > 0 and len(elsewhere) > 0
    assert (here["resolved_level"] == "department").all() and (here["escalations"] >= 1).all()
    assert (elsewhere["resolved_level"] == "grid").all()


def test_a_community_no_station_serves_gets_no_volunteers() -> None:
    scenario = baseline()
    g = _graph(scenario, 4)
    g.remove_edge("volunteer_station:0", "community:0")
    model = GovernanceModel(scenario, rng=4, graph=g)
    assert model.areas.station_of_community[0] == -1
    assert not model.volunteer_of
    model.run(120)
    issues = model.issues_frame()
    assert not (issues["resolved_by"] == "volunteer").any()
