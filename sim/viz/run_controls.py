"""The sidebar's run card: Step, Play / Pause, Reset, the day, the speed, the seed, and
the way into presentation mode."""

from __future__ import annotations

import solara
from mesa.visualization.utils import update_counter

from sim.viz.address import check_seed
from sim.viz.labels import t
from sim.viz.levers import Refused
from sim.viz.play import SPEEDS, do_step, restart, toggle_play
from sim.viz.session import (
    View,
    day_classes,
    input_refused,
    measured_rate,
    playing,
    presenting,
    seed,
    speed,
)


def set_seed(value: int | None) -> None:
    """A seed typed in the field: used as typed, or refused in one line (never clamped)."""
    if value is None:
        seed.set(None)
        return
    try:
        seed.set(check_seed(str(value)))
        input_refused.set(None)
    except Refused as exc:
        input_refused.set(exc)


@solara.component
def RunButtons(view: View) -> None:
    """Step, Play / Pause, Reset (a finished run disables Step)."""
    update_counter.get()  # finished or not: redraw after every step
    lang, workshop = view.lang, view.workshop
    finished = workshop is None or workshop.finished
    with solara.Row(gap="4px"):
        with solara.Tooltip(t("step_tip", lang)):
            solara.Button(t("step", lang), on_click=lambda: do_step(workshop),
                          color="primary", disabled=playing.value or finished,
                          classes=["govsim-step"])
        with solara.Tooltip(t("play_tip", lang)):
            solara.Button(t("pause", lang) if playing.value else t("play", lang),
                          on_click=toggle_play, color="primary", outlined=True,
                          disabled=finished and not playing.value,
                          classes=["govsim-play"])
        with solara.Tooltip(t("reset_tip", lang)):
            solara.Button(t("reset", lang), on_click=restart, text=True,
                          classes=["govsim-reset"])


@solara.component
def DayLine(view: View) -> None:
    """The run's day, finished, and the speed measured while playing."""
    update_counter.get()  # shows the run's day: redraw after every step
    lang, workshop = view.lang, view.workshop
    with solara.Column(gap="0px"):
        if workshop is not None:
            solara.Text(t("day", lang, day=workshop.day, days=workshop.days),
                        classes=day_classes(), style={"font-size": "1.1em"})
            if workshop.finished:
                solara.Text(t("finished", lang), classes=["govsim-finished"])
        if measured_rate.value is not None:
            solara.Text(t("measured_speed", lang, rate=measured_rate.value),
                        classes=["govsim-rate"], style={"color": "#666"})


@solara.component
def RunControls(view: View) -> None:
    # Only the buttons and the day follow the day: a step re-renders those two parts, not
    # the speed, seed and presentation controls (the server's work a click).
    lang, workshop, scenario = view.lang, view.workshop, view.built.scenario
    with solara.Card(t("run_controls", lang), margin=0):
        RunButtons(view)
        DayLine(view)
        with solara.Tooltip(t("speed_tip", lang)):
            solara.Text(t("speed", lang), style={"font-size": "0.85em"})
        # Buttons, not a slider: a slider's tick labels ran into the seed field.
        solara.ToggleButtonsSingle(
            value=speed.value, on_value=speed.set, dense=True, classes=["govsim-speed"],
            children=[solara.Button(str(v), value=v, text=True, small=True) for v in SPEEDS])
        with solara.Tooltip(t("seed_tip", lang)), solara.Div(style={"margin-top": "10px"}):
            default_seed = workshop.seed if workshop is not None else (
                int(scenario.run.seed) if scenario is not None else 1)
            solara.InputInt(t("seed", lang), value=default_seed,
                            on_value=set_seed,
                            classes=["govsim-seed"])
        with solara.Column(gap="2px", style={"margin-top": "6px"}):
            with solara.Tooltip(t("present_tip", lang)):
                solara.Button(t("present", lang), icon_name="mdi-projector-screen",
                              on_click=lambda: presenting.set(True), outlined=True,
                              classes=["govsim-present-on"])
            solara.Text(t("keys_help", lang), style={"font-size": "0.78em", "color": "#666"})
