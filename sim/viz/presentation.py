"""Presentation mode: for a projector (1280x720 up to 1920x1080), no controls but Step /
Play: the day, the headline, the graph and one chart of the room's choosing, drawn at
the size the screen gives them with large type (:mod:`sim.viz.projector`)."""

from __future__ import annotations

import solara
from mesa.visualization.utils import update_counter

from sim.viz.charts import PANEL_KEYS
from sim.viz.headline import StoryAndCards
from sim.viz.labels import t
from sim.viz.play import do_step, toggle_play
from sim.viz.projector import PresentPictures
from sim.viz.session import View, day_classes, playing, present_chart, presenting


@solara.component
def PresentView(view: View) -> None:
    """Presentation mode: for a projector at 1280x720, no controls but Step / Play."""
    update_counter.get()
    workshop = view.workshop
    assert workshop is not None
    lang = view.lang
    chart_key = present_chart.value
    finished = workshop.finished
    with solara.Column(gap="6px", classes=["govsim-present"],
                       style={"padding": "0 4px", "max-width": "100%"}):
        with solara.Row(gap="10px", style={"align-items": "center", "flex-wrap": "nowrap"}):
            solara.Text(t("day", lang, day=workshop.day, days=workshop.days),
                        classes=day_classes("govsim-present-day"))
            solara.Button(t("step", lang), on_click=lambda: do_step(workshop), color="primary",
                          disabled=playing.value or finished, classes=["govsim-step"])
            solara.Button(t("pause", lang) if playing.value else t("play", lang),
                          on_click=toggle_play, color="primary", outlined=True,
                          disabled=finished and not playing.value, classes=["govsim-play"])
            solara.v.Select(label=t("present_chart", lang), dense=True, hide_details=True,
                            items=[{"text": t(k, lang), "value": k} for k in PANEL_KEYS
                                   if k != "chart_hours"],
                            v_model=chart_key, on_v_model=present_chart.set,
                            style_="max-width: 220px", class_="govsim-present-chart")
            solara.Text(t("keys_help", lang), style={"font-size": "0.8em", "color": "#666"})
            solara.Button(t("exit_present", lang), icon_name="mdi-close", text=True,
                          on_click=lambda: presenting.set(False), classes=["govsim-present-off"])
        StoryAndCards(view)
        PresentPictures(view, chart_key)
