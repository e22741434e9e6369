"""Pictures for the projector: drawn at the size the screen gives them, with large type.

Presentation mode asks the browser how much room the pictures have
(:class:`~sim.viz.browser.PictureBox`) and draws the community graph and the chart at
exactly that size, as SVG whose text stays text (``svg.fonttype = "none"``): at 72 dpi a
point is a CSS pixel, so a label drawn at :data:`TEXT_PX` is that many pixels on the
screen, at 1280x720 as at 1920x1080, in either language; the browser can measure it
(the tests do). The graph's legend is HTML beside the picture, in the same large type.
A full SVG draw takes longer than the working page's blitted JPEG, but only the
projector's session draws it.
"""

from __future__ import annotations

import html
import io
import time
from typing import Any

import matplotlib as mpl
import solara
from matplotlib.figure import Figure
from mesa.visualization.utils import update_counter

from sim.viz.browser import PictureBox
from sim.viz.charts import draw_charts, x_extent
from sim.viz.compare import Workshop
from sim.viz.graph_draw import GraphText, draw_graph, legend_entries
from sim.viz.graph_view import layout_for
from sim.viz.labels import scenario_title, t
from sim.viz.pictures import chart_bands, chart_inputs
from sim.viz.replicates import Replicates
from sim.viz.session import View, colour_by, ghost

TEXT_PX = 17.0  # drawn size; a picture squeezed by up to 1/5 still shows >= 14 px text
GRAPH_TEXT = GraphText(title=TEXT_PX + 1, label=TEXT_PX, colourbar=TEXT_PX - 1,
                       legend=TEXT_PX, legend_in_picture=False)
DEFAULT_BOX = (1240, 430)  # until the browser says (1280x720, below the cards)
MIN_BOX = (480, 260)
GRAPH_SHARE = 0.56  # of the width; the chart has the rest
LEGEND_PX = 64  # the graph's HTML legend below it (two lines of large type)
GAP_PX = 10


def parse_box(text: str | None) -> tuple[int, int]:
    """``"width,height"`` from the browser, within sane bounds (else the default)."""
    try:
        w, h = (int(float(v)) for v in (text or "").split(","))
    except ValueError:
        return DEFAULT_BOX
    return (min(max(w, MIN_BOX[0]), 4000), min(max(h, MIN_BOX[1]), 3000))


def picture_sizes(box: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """(graph, chart) sizes in pixels for the room the pictures have."""
    w, h = box
    graph_w = int((w - GAP_PX) * GRAPH_SHARE)
    return (graph_w, max(h - LEGEND_PX, 200)), (w - GAP_PX - graph_w, h)


def svg(fig: Figure) -> str:
    """The figure as SVG text with its text as ``<text>`` (measurable, crisp), sized by
    its container (the width and height attributes go; the viewBox stays)."""
    buf = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "govsim"}):
        fig.savefig(buf, format="svg", dpi=72, facecolor="white")
    text = buf.getvalue()
    start = text.index("<svg")
    head_end = text.index(">", start)
    head = text[start:head_end]
    for attr in ("width", "height"):
        i = head.find(f' {attr}="')
        if i >= 0:
            j = head.index('"', i + len(attr) + 3)
            head = head[:i] + head[j + 1:]
    return head + text[head_end:]


def present_titles(workshop: Workshop, lang: str) -> list[tuple[str, Any]]:
    """Short panel titles for large type: "Baseline" / "Changed", or the scenario's name
    alone (the day is in large type above; the file names are on the working page)."""
    if workshop.comparing:
        return [(t(r.role, lang), r.model) for r in workshop.runs]
    run = workshop.runs[0]
    return [(scenario_title(run.scenario.name, lang).split(" (")[0], run.model)]


def graph_svg(workshop: Workshop, lang: str, colour_by: str, size: tuple[int, int]) -> str:
    runs = present_titles(workshop, lang)
    fig = draw_graph(runs, lang, colour_by, (size[0] / 72, size[1] / 72), text=GRAPH_TEXT)
    return svg(fig)


def chart_svg(workshop: Workshop, reps: Replicates | None, lang: str, key: str,
              size: tuple[int, int], ghost: Any = None) -> str:
    inputs = chart_inputs(workshop, lang)
    bands, n = chart_bands(workshop, reps, inputs)
    w, h = size
    # margins in pixels for the large ticks and labels, as fractions of this size
    margins = (min(0.3, 80 / w), min(0.3, 64 / h), 1 - min(0.1, 16 / w),
               1 - min(0.2, 40 / h))
    fig = draw_charts(inputs, lang, (w / 72, h / 72), panels=(key,),
                      xmax=x_extent(workshop.day, workshop.days), bands=bands,
                      band_seeds=n, ghost=ghost, text_size=TEXT_PX, margins=margins)
    return svg(fig)


def legend_html(workshop: Workshop, lang: str, colour_by: str) -> str:
    """The graph's legend as HTML (a swatch and a label an entry), in large type."""
    runs = present_titles(workshop, lang)
    layouts = [layout_for(model.graph) for _, model in runs]
    items = []
    for label, style in legend_entries(runs, layouts, lang, colour_by):
        items.append(f'<span class="govsim-legend-item">{swatch(style)}'
                     f"{html.escape(label)}</span>")
    return "".join(items)


MARKER_CHARS: dict[str, str] = {"s": "■", "^": "▲", "o": "●", "D": "◆", "*": "★",
                                "P": "✚", "h": "⬢", "v": "▼"}


def swatch(style: dict[str, Any]) -> str:
    """A legend entry's mark as a coloured character (a line for a route)."""
    colour = str(style.get("markerfacecolor") or style.get("color") or "#555555")
    edge = str(style.get("color") or colour)
    mark = MARKER_CHARS.get(str(style.get("marker", "")), "━")
    if colour == "white":  # an open ring: the edge colour, hollow
        mark, colour = "○", edge
    return (f'<span class="govsim-legend-mark" style="color: {html.escape(colour)}">'
            f"{mark}</span>")


def draw_present(view: View, chart_key: str, box: tuple[int, int]) -> tuple[str, str, str]:
    """Today's graph, chart and graph legend for the projector (SVG, SVG, HTML)."""
    workshop = view.workshop
    assert workshop is not None
    graph_size, chart_size = picture_sizes(box)
    t0 = time.perf_counter()
    with workshop.lock:  # not while the play loop is stepping
        graph = graph_svg(workshop, view.lang, colour_by.value, graph_size)
        chart = chart_svg(workshop, view.built.replicates, view.lang, chart_key, chart_size,
                          ghost.value)
        legend = legend_html(workshop, view.lang, colour_by.value)
    workshop.draw_seconds = time.perf_counter() - t0  # the play loop paces itself by it
    return graph, chart, legend


@solara.component
def PresentPictures(view: View, chart_key: str) -> None:
    update_counter.get()
    workshop = view.workshop
    assert workshop is not None
    box_text = solara.use_reactive("")
    reps = view.built.replicates
    n_done = len(reps.done()) if reps is not None else 0
    box = parse_box(box_text.value)
    deps = [workshop, update_counter.value, view.lang, colour_by.value, n_done, ghost.value,
            chart_key, box]
    graph, chart, legend = solara.use_memo(lambda: draw_present(view, chart_key, box), deps)
    graph_w, chart_w = (s[0] for s in picture_sizes(box))
    with solara.Div(classes=["govsim-present-pictures"]):
        PictureBox.element(on_box=box_text.set)
        with solara.Div(classes=["govsim-present-column"],
                        style={"flex": f"0 0 {graph_w}px"}):
            solara.HTML(tag="div", classes=["govsim-graph", "govsim-svg"],
                        unsafe_innerHTML=graph)
            solara.HTML(tag="div", classes=["govsim-present-legend"],
                        attributes={"lang": view.lang}, unsafe_innerHTML=legend)
        with solara.Div(classes=["govsim-present-column"],
                        style={"flex": f"0 0 {chart_w}px"}):
            solara.HTML(tag="div", classes=["govsim-charts", "govsim-svg"],
                        unsafe_innerHTML=chart)
