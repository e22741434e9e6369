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
    cell (the table changes every step)."""
    rows = workshop.outcome_rows(OUTCOME_KEYS)
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
            '<div class="v-data-table__wrapper"><table>' + thead + "<tbody>" + "".join(body)
            + "</tbody></table></div></div>")


@solara.component
def Outcomes(lang: str, workshop: Workshop) -> None:
    update_counter.get()  # redraw after every step
    with solara.Card(t("outcomes", lang), margin=0, classes=["govsim-outcomes"]):
        with solara.Tooltip(t("outcomes_tip", lang)):
            solara.Text(t("outcomes_tip", lang), style={"font-size": "0.8em", "color": "#666"})
        solara.HTML(tag="div", unsafe_innerHTML=outcomes_html(lang, workshop))


@solara.component
def Views(view: View) -> None:
    workshop = view.workshop
    assert workshop is not None
    lang = view.lang
    reps = view.built.replicates
    n_done = len(reps.done()) if reps is not None else 0
    live_graph = solara.use_memo(lambda: LiveGraph(GRAPH_DPI), dependencies=[])
    live_charts = solara.use_memo(lambda: LiveCharts(dpi=GRAPH_DPI), dependencies=[])
    lock = solara.use_memo(threading.Lock, dependencies=[])
    deps = [workshop, update_counter.value, lang, colour_by.value, n_done, ghost.value]
    graph_png, charts_png = solara.use_memo(
        lambda: draw_pictures(view, live_graph, live_charts, lock), deps)
    wide = "1 1 100%" if workshop.comparing else "3 1 600px"
    StoryAndCards(view)
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
        with solara.Card(t("tab_community", lang), margin=0,
                         style={"flex": wide, "min-width": "0"}):
            ColourToggle(lang, workshop)
            with solara.Tooltip(t("graph_tip", lang)):
                solara.Image(graph_png, width="100%", format=IMAGE_FORMAT,
                             classes=["govsim-graph"])
        with solara.Column(style={"flex": "1 1 360px"}):
            Outcomes(lang, workshop)
    with solara.Card(t("tab_charts", lang), margin=0):
        solara.Image(charts_png, width="100%", format=IMAGE_FORMAT, classes=["govsim-charts"])
