"""The community graph and the charts: what they are drawn from (the run(s), the seeds'
band, the previous run), drawing them for a frame, and the graph's colour toggle and
type legend."""

from __future__ import annotations

import html
import threading
import time
from typing import Any

import solara

from sim.scenario import Scenario
from sim.viz.charts import series_bands, x_extent
from sim.viz.compare import Workshop
from sim.viz.graph_view import OTHER_TYPE_COLOUR, TYPE_COLOURS, types_present
from sim.viz.labels import LABELS, scenario_title, t
from sim.viz.live import LiveCharts, LiveGraph
from sim.viz.markup import tag
from sim.viz.replicates import Replicates
from sim.viz.session import View, colour_by, ghost

GRAPH_DPI = 80
PRESENT_CHART_SIZE = (7.0, 4.3)  # inches; at 80 dpi 560x344 px


def chart_inputs(workshop: Workshop, lang: str) -> list[tuple[str, Any, int | None]]:
    out = []
    for run, frame in workshop.chart_frames():  # the charts' columns, kept up day by day
        workers = len(run.model.grid_workers) if hasattr(run.model, "grid_workers") else None
        out.append((run.role, frame, workers))
    return out


def run_title(role: str, scenario: Scenario, lang: str, edits: int = 0) -> str:
    name = scenario_title(scenario.name, lang)
    if edits and role != "baseline":
        name = f"{name}, {t('levers_changed_n', lang, n=edits)}"
    return name if role == "run" else f"{t(role, lang)}: {name}"


def graph_inputs(workshop: Workshop, lang: str) -> list[tuple[Any, Any]]:
    """Each run's graph title, as (name, day): the name is drawn once with the picture's
    background, only the short day on the right changes (a title's text cost ~8 ms of the
    server a frame to draw, the day alone ~2 ms)."""
    n = len(workshop.edits)
    return [((run_title(r.role, r.scenario, lang, n), t("graph_day", lang, day=r.model.day)),
             r.model) for r in workshop.runs]


def chart_bands(workshop: Workshop, reps: Replicates | None,
                inputs: list[tuple[str, Any, int | None]]) -> tuple[dict[str, Any] | None, int]:
    """The seeds' band around the changed (or only) run, up to today's day."""
    done = reps.done() if reps is not None else []
    if not done:
        return None, 0
    role, frame, workers = inputs[-1]
    frames = [frame] + [r.frames[role] for r in done if role in r.frames]
    return series_bands(frames, workshop.day, workers), len(frames)


def draw_pictures(view: View, live_graph: LiveGraph, live_charts: LiveCharts,
                  graph_lock: threading.Lock) -> tuple[bytes, bytes]:
    """Today's graph and charts as images (JPEG, blitted: :mod:`sim.viz.live`)."""
    workshop = view.workshop
    assert workshop is not None
    t0 = time.perf_counter()
    with workshop.lock, graph_lock:  # not while the play loop is stepping
        inputs = chart_inputs(workshop, view.lang)
        bands, n = chart_bands(workshop, view.built.replicates, inputs)
        graph = live_graph.png(graph_inputs(workshop, view.lang), view.lang, colour_by.value)
        charts = live_charts.png(inputs, view.lang, xmax=x_extent(workshop.day, workshop.days),
                                 bands=bands, band_seeds=n, ghost=ghost.value)
    workshop.draw_seconds = time.perf_counter() - t0  # the play loop paces itself by it
    return graph, charts


@solara.component
def ColourToggle(lang: str, workshop: Workshop) -> None:
    with solara.Tooltip(t("colour_by_tip", lang)):
        solara.ToggleButtonsSingle(value=colour_by.value, on_value=colour_by.set, children=[
            solara.Button(t("colour_open", lang), value="open", text=True,
                          classes=["govsim-colour-open"]),
            solara.Button(t("colour_trust", lang), value="trust", text=True,
                          classes=["govsim-colour-trust"]),
            solara.Button(t("colour_type", lang), value="type", text=True,
                          classes=["govsim-colour-type"]),
        ])
    if colour_by.value == "type":
        solara.HTML(tag="div", classes=["govsim-type-legend"], attributes={"lang": lang},
                    unsafe_innerHTML=type_legend_html(
                        lang, types_present([r.model for r in workshop.runs])))


def hood_label(name: str, lang: str) -> str:
    """A neighbourhood type's name in the page's language (unknown: as in the file)."""
    return t(f"hood_{name}", lang) if f"hood_{name}" in LABELS else name


def type_legend_html(lang: str, names: list[str]) -> str:
    """The types on the graph, each with its colour (the picture has the same legend)."""
    items = []
    for name in names:
        colour = TYPE_COLOURS.get(name, OTHER_TYPE_COLOUR)
        swatch = (f'<span class="govsim-swatch" style="background: {colour}"></span>')
        items.append(f'<span class="govsim-type" data-type="{html.escape(name)}">{swatch}'
                     f"{html.escape(hood_label(name, lang))}</span>")
    return tag("span", t("type_legend", lang), {"class": "govsim-type-legend-title"}) + \
        "".join(items)
