"""The working page's main area: the headline, the community graph beside the outcomes
table, and the charts (the controls are in the sidebar)."""

from __future__ import annotations

import html
import threading

import solara
from mesa.visualization.utils import update_counter

from sim.viz.compare import (
    DAY_KEYS,
    OUTCOME_KEYS,
    Workshop,
    format_difference,
    format_value,
    verdict,
)
from sim.viz.headline import StoryAndCards
from sim.viz.labels import t
from sim.viz.live import IMAGE_FORMAT, LiveCharts, LiveGraph
from sim.viz.markup import tag
from sim.viz.pictures import GRAPH_DPI, ColourToggle, draw_pictures
from sim.viz.session import View, colour_by, ghost


def outcomes_html(lang: str, workshop: Workshop) -> str:
    """The outcomes table as one piece of HTML: one widget update a day instead of one per
    cell (the table changes every step). The table names its day (``data-day``): the day
    label above is another widget, and may reach the browser a message earlier."""
    with workshop.lock:  # the rows and their day from the same moment
        rows = workshop.outcome_rows(OUTCOME_KEYS)
        day = workshop.day
    roles = [r.role for r in workshop.runs]
    head = [t("indicator", lang)]
    if workshop.comparing:
        head += [t("baseline", lang), t("changed", lang), t("difference_label", lang)]
    else:
        head += [t("value", lang)]
    pp = t("unit_pp", lang)
    days = t("unit_days_value", lang, v="{v}")
    body = []
    for row in rows:
        key = row["key"]
        cells = [tag("td", t(f"out_{key}", lang))]
        for r in roles:
            value = format_value(key, row[r])
            if key in DAY_KEYS and value != "–":
                value = t("unit_days_value", lang, v=value)
            cells.append(tag("td", value))
        if workshop.comparing:
            diff = row["difference"]
            cells.append(tag("td", format_difference(key, diff, pp, days),
                             {"data-verdict": verdict(key, diff)}))
        body.append(f'<tr data-key="{html.escape(key)}">{"".join(cells)}</tr>')
    thead = "<thead><tr>" + "".join(tag("th", h) for h in head) + "</tr></thead>"
    return ('<div class="v-data-table v-data-table--dense theme--light">'
            f'<div class="v-data-table__wrapper"><table data-day="{day}">' + thead
            + "<tbody>" + "".join(body) + "</tbody></table></div></div>")


@solara.component
def Outcomes(lang: str, workshop: Workshop) -> None:
    with solara.Card(t("outcomes", lang), margin=0, classes=["govsim-outcomes"]):
        with solara.Tooltip(t("outcomes_tip", lang)):
            solara.Text(t("outcomes_tip", lang), style={"font-size": "0.8em", "color": "#666"})
        OutcomesTable(lang, workshop)


@solara.component
def OutcomesTable(lang: str, workshop: Workshop) -> None:
    """The table alone follows the day: a step re-renders this, not the card around it
    (the server's work a click is mostly re-rendering what shows the day)."""
    update_counter.get()  # redraw after every step
    solara.HTML(tag="div", unsafe_innerHTML=outcomes_html(lang, workshop))


def _same(a: object, b: object) -> bool:
    """The same object, or equal numbers or words (a frame is compared by identity)."""
    return a is b or (type(a) in (int, str) and a == b)


class LivePictures:
    """A session's two live pictures, drawn together once per day (and per language,
    colour, seeds, previous run): the graph's and the charts' components each ask for
    them, so only those two re-render after a step, not the cards and rows around them."""

    def __init__(self) -> None:
        self.graph = LiveGraph(GRAPH_DPI)
        self.charts = LiveCharts(dpi=GRAPH_DPI)
        self.lock = threading.Lock()
        self.mutex = threading.Lock()
        self.key: tuple[object, ...] | None = None
        self.drawn: tuple[bytes, bytes] = (b"", b"")

    def pictures(self, view: View) -> tuple[bytes, bytes]:
        reps = view.built.replicates
        n_done = len(reps.done()) if reps is not None else 0
        # the run and the previous run by identity (kept by the key: never mistaken)
        key = (view.workshop, update_counter.value, view.lang, colour_by.value, n_done,
               ghost.value)
        with self.mutex:
            if self.key is None or not all(map(_same, key, self.key)):
                self.drawn = draw_pictures(view, self.graph, self.charts, self.lock)
                self.key = key
            return self.drawn


@solara.component
def GraphPicture(view: View, live: LivePictures) -> None:
    update_counter.get()  # redraw after every step
    graph_png, _ = live.pictures(view)
    with solara.Tooltip(t("graph_tip", view.lang)):
        solara.Image(graph_png, width="100%", format=IMAGE_FORMAT, classes=["govsim-graph"])


@solara.component
def ChartsPicture(view: View, live: LivePictures) -> None:
    update_counter.get()  # redraw after every step
    _, charts_png = live.pictures(view)
    solara.Image(charts_png, width="100%", format=IMAGE_FORMAT, classes=["govsim-charts"])


@solara.component
def Views(view: View) -> None:
    workshop = view.workshop
    assert workshop is not None
    lang = view.lang
    live = solara.use_memo(LivePictures, dependencies=[])
    wide = "1 1 100%" if workshop.comparing else "3 1 600px"
    StoryAndCards(view)
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
        with solara.Card(t("tab_community", lang), margin=0,
                         style={"flex": wide, "min-width": "0"}):
            ColourToggle(lang, workshop)
            GraphPicture(view, live)
        with solara.Column(style={"flex": "1 1 360px"}):
            Outcomes(lang, workshop)
    with solara.Card(t("tab_charts", lang), margin=0):
        ChartsPicture(view, live)
