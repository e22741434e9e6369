"""The levers: a slider each, marked when moved; and the dialogs that protect a run
under way (a lever move asks first, keeping the run as a faint "previous run" line)."""

from __future__ import annotations

import math
from typing import Any

import solara
import solara.lab

from sim.viz.compare import Workshop
from sim.viz.labels import t
from sim.viz.levers import LEVER_BY_KEY, LEVERS, changed_levers, lever_values
from sim.viz.session import (
    View,
    confirm_clear,
    ghost,
    lever_edits,
    measured_rate,
    pending_edit,
    playing,
    slider_nonce,
)


def snapshot(workshop: Workshop, lang: str) -> tuple[str, Any, int | None]:
    """The watched run, kept as the faint "previous run" line."""
    run, frame = workshop.frames()[-1]
    workers = len(run.model.grid_workers) if hasattr(run.model, "grid_workers") else None
    moved = ", ".join(f"{k.rpartition('.')[2]}={v:g}" for k, v in workshop.edits.items())
    label = t("ghost_label", lang) + (f" ({moved})" if moved else "")
    return (label, frame, workers)


def request_edits(view: View, new_edits: dict[str, Any]) -> None:
    """Apply lever edits; with a run under way, ask first (the run stays as a faint line)."""
    playing.set(False)
    measured_rate.set(None)
    workshop = view.workshop
    if workshop is not None and workshop.day > 0:
        pending_edit.set(new_edits)
    else:
        lever_edits.set(new_edits)


def on_step(value: float, lo: float, hi: float, step: float) -> float:
    """The slider's own step nearest ``value`` (as the browser's slider would show it)."""
    if step <= 0:
        return value
    snapped = lo + math.floor((float(value) - lo) / step + 0.5) * step  # as JS Math.round
    return round(min(max(snapped, lo), hi), 9)


@solara.component
def LeverSlider(value: float, lo: float, hi: float, step: float,
                on_change: Any) -> solara.Element:
    """A slider that reports its value when let go (a drag does not rebuild the run at
    every intermediate value). It is given the value on its own steps: a value between
    two (a delay of 0.25 on a slider of 0.1 steps, a calibrated 0.4092…) was snapped
    by the browser, sent back, and set again by the server after every step of the run
    (the label above says the exact value)."""
    slider = solara.v.Slider(v_model=on_step(value, lo, hi, step), min=lo, max=hi,
                             step=step, hide_details=True, thumb_label=True)

    def changed(widget: Any, event: str, data: Any) -> None:
        if data is not None:
            on_change(data)

    solara.v.use_event(slider, "change", changed)
    return slider


@solara.component
def LeverControls(view: View) -> None:
    scenario, lang = view.built.scenario, view.lang
    if scenario is None:
        return
    defaults = lever_values(scenario)
    edits = view.edits
    changed = changed_levers(scenario, edits)

    def set_lever(key: str, value: Any) -> None:
        request_edits(view, {**edits, key: LEVER_BY_KEY[key].coerce(value)})

    with solara.Card(t("levers", lang), margin=0):
        with solara.Tooltip(t("levers_tip", lang)):
            solara.Text(t("levers_tip", lang), style={"font-size": "0.8em", "color": "#666"})
        for lever in LEVERS:
            value = edits.get(lever.key, defaults[lever.key])
            hi = max(lever.max, float(defaults[lever.key]))
            shown = f"{value:g}" if not lever.integer else f"{int(value)}"
            label = f"{t(lever.label_key, lang)}: {shown}"
            if lever.key in changed:
                label = f"{label} ({t('lever_changed', lang)})"
            css = f"govsim-lever-{lever.key.replace('.', '-')}"
            with solara.Tooltip(t(lever.tip_key, lang)), solara.Div(classes=[css]):
                solara.Text(label, classes=["govsim-lever-label"],
                            style={"font-size": "0.9em",
                                   "font-weight": "bold" if lever.key in changed else "normal"})
                LeverSlider(value, lever.min, hi, lever.step,
                            on_change=lambda v, k=lever.key: set_lever(k, v)).key(
                                f"{lever.key}-{slider_nonce.value}")
        if changed:
            solara.Button(t("revert_levers", lang), text=True,
                          on_click=lambda: request_edits(view, {}), classes=["govsim-revert"])
        if ghost.value is not None:
            solara.Button(t("clear_ghost", lang), text=True, small=True,
                          on_click=lambda: confirm_clear.set(True),
                          classes=["govsim-clear-ghost"])


@solara.component
def ProtectDialogs(view: View) -> None:
    """Asks before a lever move wipes the run, and before the previous run is discarded."""
    lang, workshop = view.lang, view.workshop

    def keep_and_apply() -> None:
        if workshop is not None and workshop.day > 0:
            ghost.set(snapshot(workshop, lang))
        lever_edits.set(pending_edit.value or {})
        pending_edit.set(None)

    def cancel() -> None:
        pending_edit.set(None)
        slider_nonce.set(slider_nonce.value + 1)  # the sliders go back to the run's values

    day = workshop.day if workshop is not None else 0
    solara.lab.ConfirmationDialog(
        pending_edit.value is not None, on_close=cancel,
        title=t("confirm_title", lang), content=t("confirm_text", lang, day=day),
        ok=solara.Button(t("confirm_ok", lang), on_click=keep_and_apply, color="primary",
                         classes=["govsim-confirm-ok"]),
        cancel=solara.Button(t("confirm_cancel", lang), on_click=cancel, text=True,
                             classes=["govsim-confirm-cancel"]))
    solara.lab.ConfirmationDialog(
        confirm_clear.value, on_close=lambda: confirm_clear.set(False),
        title=t("confirm_clear_title", lang), content=t("confirm_clear_text", lang),
        ok=solara.Button(t("confirm_clear_ok", lang),
                         on_click=lambda: (ghost.set(None), confirm_clear.set(False)),
                         color="primary", classes=["govsim-clear-ok"]),
        cancel=t("confirm_cancel", lang))
