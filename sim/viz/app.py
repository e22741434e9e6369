"""The workshop page (Solara): levers, the community graph, live charts, compare, export.

Served by ``govsim viz`` (see :mod:`sim.viz.server`). The page is in Chinese when the
browser's Accept-Language prefers it, English otherwise, and switches at any time.
The address carries the view (:mod:`sim.viz.address`): scenario, moved levers, seed,
compare, presentation mode and language, so a reload or a shared link reopens it. Every
scenario (address, ``govsim viz`` argument, picker) goes through the picker, which opens
nothing outside ``scenarios/``.

Two layouts: the working page (controls in the sidebar) and presentation mode for a
projector (1280x720: headline cards, a story, the graph and one chart; keys → / Space /
P). While playing, more seeds run in the background (:mod:`sim.viz.replicates`) and the
cards and charts show how far they spread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solara
import solara.lab
from mesa.visualization.utils import update_counter

from sim.errors import InputError
from sim.viz.address import make_query
from sim.viz.browser import AddressBar, BrowserLanguages, KeyShortcuts
from sim.viz.charts import draw_charts
from sim.viz.compare import Workshop
from sim.viz.export import caption, captioned_png, file_stem, runs_csv
from sim.viz.graph_view import draw_graph
from sim.viz.headline import (
    StoryAndCards,
    cards_html,
    current_cards,
    current_gap,
    gap_card_html,
    story_lines,
)
from sim.viz.labels import LANG_NAMES, LANGS, pick_language, scenario_title, t
from sim.viz.levers import LEVER_BY_KEY, LEVERS, changed_levers, lever_values
from sim.viz.markup import CSS
from sim.viz.opening import (
    DEFAULT_SCENARIO,
    Built,
    Startup,
    build,
    load_picked,
    page_name,
    scenarios_root,
    startup,
)
from sim.viz.picker import list_scenarios
from sim.viz.pictures import (
    GRAPH_DPI,
    PRESENT_CHART_SIZE,
    ColourToggle,
    chart_bands,
    chart_inputs,
    graph_inputs,
    hood_label,
    run_title,
    type_legend_html,
)
from sim.viz.play import (
    FRAME_SECONDS,
    IDLE_SECONDS,
    MAX_FRAME_SECONDS,
    SEED_POLL_SECONDS,
    SPEEDS,
    do_step,
    key_handler,
    play_loop,
    restart,
    toggle_play,
    use_play,
)
from sim.viz.presentation import PresentView
from sim.viz.save import save_scenario
from sim.viz.session import (
    View,
    baseline_name,
    colour_by,
    comparing,
    confirm_clear,
    current_choices,
    generation,
    ghost,
    language,
    lever_edits,
    measured_rate,
    pending_edit,
    playing,
    present_chart,
    presenting,
    save_message,
    saved_count,
    scenario_name,
    seed,
    slider_nonce,
    speed,
)
from sim.viz.style import use_page_style
from sim.viz.working_view import Outcomes, Views, outcomes_html

use_page_style()


# ---------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------------------


@solara.component
def LanguageSwitch(lang: str) -> None:
    with solara.Tooltip(t("language_tip", lang)):
        solara.ToggleButtonsSingle(
            value=lang, on_value=language.set,
            children=[solara.Button(LANG_NAMES[code], value=code, text=True,
                                    classes=[f"govsim-lang-{code}"]) for code in LANGS],
        )


@solara.component
def ScenarioSelect(label: str, names: list[str], value: str | None,
                   on_value: Callable[[str], None], lang: str, css: str) -> solara.Element:
    """A dropdown showing the scenarios' names in the page's language (the file in
    brackets), whose value is the file."""
    items = [{"text": scenario_title(n.removesuffix(".toml"), lang), "value": n}
             for n in names]
    select = solara.v.Select(label=label, items=items, v_model=value, dense=True,
                             hide_details=True, class_=css,
                             menu_props={"contentClass": f"{css}-menu"})

    def changed(widget: Any, event: str, data: Any) -> None:
        if data:
            on_value(data)

    solara.v.use_event(select, "change", changed)
    return select


@solara.component
def ScenarioPicker(view: View) -> None:
    lang, names, current = view.lang, view.names, view.current

    def pick(name: str) -> None:
        playing.set(False)
        lever_edits.set({})
        scenario_name.set(name)

    with solara.Card(t("scenario", lang), margin=0):
        if view.start.refused:
            solara.Error(t("scenario_refused", lang, path=view.start.refused), dense=True,
                         classes=["govsim-refused"])
        if view.start.too_large:
            solara.Error(t("scenario_too_large", lang, path=view.start.too_large), dense=True,
                         classes=["govsim-refused", "govsim-too-large"])
        if view.start.address.ignored:
            solara.Warning(t("address_ignored", lang,
                             items=", ".join(view.start.address.ignored)), dense=True,
                           classes=["govsim-ignored"])
        if not names:
            solara.Warning(t("no_scenarios", lang))
            return
        with solara.Tooltip(t("scenario_tip", lang)):
            ScenarioSelect(t("scenario", lang), names, current, pick, lang, "govsim-scenario")
        presets = [n for n in names if n != DEFAULT_SCENARIO]
        if presets:
            with solara.Tooltip(t("presets_tip", lang)):
                solara.Text(t("presets", lang), style={"font-weight": "bold"})
            with solara.Column(gap="2px"):
                for name in [DEFAULT_SCENARIO, *presets] if DEFAULT_SCENARIO in names \
                        else presets:
                    stem = name.removesuffix(".toml")
                    solara.Button(scenario_title(stem, lang).split(" (")[0],
                                  text=True, small=True,
                                  on_click=lambda n=name: pick(n),
                                  color="primary" if name == current else None,
                                  classes=["govsim-preset",
                                           f"govsim-preset-{stem.replace('/', '-')}"],
                                  style={"justify-content": "start",
                                         "text-transform": "none"})


@solara.component
def RunControls(view: View) -> None:
    update_counter.get()  # shows the run's day: redraw after every step
    lang, workshop, scenario = view.lang, view.workshop, view.built.scenario
    finished = workshop is None or workshop.finished
    with solara.Card(t("run_controls", lang), margin=0):
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
        with solara.Column(gap="0px"):
            if workshop is not None:
                solara.Text(t("day", lang, day=workshop.day, days=workshop.days),
                            classes=["govsim-day"], style={"font-size": "1.1em"})
                if workshop.finished:
                    solara.Text(t("finished", lang), classes=["govsim-finished"])
            if measured_rate.value is not None:
                solara.Text(t("measured_speed", lang, rate=measured_rate.value),
                            classes=["govsim-rate"], style={"color": "#666"})
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
                            on_value=lambda v: seed.set(None if v is None else max(0, int(v))),
                            classes=["govsim-seed"])
        with solara.Column(gap="2px", style={"margin-top": "6px"}):
            with solara.Tooltip(t("present_tip", lang)):
                solara.Button(t("present", lang), icon_name="mdi-projector-screen",
                              on_click=lambda: presenting.set(True), outlined=True,
                              classes=["govsim-present-on"])
            solara.Text(t("keys_help", lang), style={"font-size": "0.78em", "color": "#666"})


@solara.component
def CompareControls(view: View) -> None:
    lang = view.lang
    with solara.Card(t("compare", lang), margin=0):
        with solara.Tooltip(t("compare_tip", lang)):
            solara.Switch(label=t("compare_on", lang), value=view.comparing,
                          on_value=comparing.set, classes=["govsim-compare"])
        if view.comparing and view.names:
            ScenarioSelect(t("baseline_scenario", lang), view.names, view.base,
                           baseline_name.set, lang, "govsim-baseline")


@solara.component
def LeverSlider(value: float, lo: float, hi: float, step: float,
                on_change: Any) -> solara.Element:
    """A slider that reports its value when let go (a drag does not rebuild the run at
    every intermediate value)."""
    slider = solara.v.Slider(v_model=value, min=lo, max=hi, step=step, hide_details=True,
                             thumb_label=True)

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


@solara.component
def ExportControls(view: View) -> None:
    update_counter.get()  # the file names carry the day
    workshop, lang = view.workshop, view.lang
    assert workshop is not None
    stem = file_stem(workshop)
    reps = view.built.replicates

    def charts_png() -> bytes:
        with workshop.lock:
            inputs = chart_inputs(workshop, lang)
            bands, n = chart_bands(workshop, reps, inputs)
            fig = draw_charts(inputs, lang, bands=bands, band_seeds=n, ghost=ghost.value)
            return captioned_png(fig, caption(workshop, lang))

    def graph_png() -> bytes:
        with workshop.lock:
            fig = draw_graph(graph_inputs(workshop, lang), lang, colour_by.value)
            return captioned_png(fig, caption(workshop, lang))

    with solara.Card(t("export", lang), margin=0), solara.Div(classes=["govsim-export-row"]):
        with solara.Tooltip(t("export_png_tip", lang)):
            solara.FileDownload(charts_png, filename=f"{stem}_charts.png",
                                label=t("export_png", lang), mime_type="image/png",
                                children=[solara.Button(t("export_png", lang),
                                                        icon_name="mdi-image", small=True,
                                                        outlined=True,
                                                        classes=["govsim-export-png"])])
        with solara.Tooltip(t("export_graph_tip", lang)):
            solara.FileDownload(graph_png, filename=f"{stem}_graph.png",
                                mime_type="image/png",
                                children=[solara.Button(t("export_graph", lang),
                                                        icon_name="mdi-graph", small=True,
                                                        outlined=True,
                                                        classes=["govsim-export-graph"])])
        with solara.Tooltip(t("export_csv_tip", lang)):
            solara.FileDownload(lambda: runs_csv(workshop), filename=f"{stem}.csv",
                                mime_type="text/csv",
                                children=[solara.Button(t("export_csv", lang),
                                                        icon_name="mdi-table", small=True,
                                                        outlined=True,
                                                        classes=["govsim-export-csv"])])


@solara.component
def SaveControls(view: View) -> None:
    lang = view.lang
    name = solara.use_reactive("")

    def save() -> None:
        workshop, scenario = view.workshop, view.built.scenario
        if view.current is None or scenario is None:
            return
        try:
            path, _ = save_scenario(view.current, changed_levers(scenario, view.edits),
                                    name.value,
                                    seed=workshop.seed if workshop is not None else None)
        except InputError as exc:
            save_message.set(("error", t("save_error", lang, message=str(exc))))
            return
        shown = path.relative_to(scenarios_root()).as_posix()
        save_message.set(("ok", t("save_done", lang, path=f"scenarios/{shown}")))
        saved_count.set(saved_count.value + 1)

    with solara.Card(t("save", lang), margin=0):
        with solara.Tooltip(t("save_tip", lang)):
            solara.InputText(t("save_name", lang), value=name, continuous_update=True,
                             classes=["govsim-save-name"])
        solara.Button(t("save_button", lang), on_click=save, outlined=True, small=True,
                      icon_name="mdi-content-save", classes=["govsim-save"],
                      disabled=not name.value.strip())
        if save_message.value:
            kind, text = save_message.value
            (solara.Success if kind == "ok" else solara.Error)(
                text, dense=True, classes=["govsim-save-message"])

__all__ = [
    "CSS", "DEFAULT_SCENARIO", "FRAME_SECONDS", "GRAPH_DPI", "IDLE_SECONDS",
    "MAX_FRAME_SECONDS", "PRESENT_CHART_SIZE", "SEED_POLL_SECONDS", "SPEEDS",
    "Built", "ColourToggle", "CompareControls", "ExportControls", "LanguageSwitch",
    "LeverControls", "LeverSlider", "Outcomes", "Page", "PresentView", "ProtectDialogs",
    "RunControls", "SaveControls", "ScenarioPicker", "ScenarioSelect", "Startup",
    "StoryAndCards", "View", "Views",
    "baseline_name", "build", "cards_html", "chart_bands", "chart_inputs", "colour_by",
    "comparing", "confirm_clear", "current_cards", "current_gap", "do_step", "gap_card_html",
    "generation", "ghost", "graph_inputs", "hood_label", "language", "lever_edits",
    "load_picked", "measured_rate", "outcomes_html", "page_name", "pending_edit",
    "play_loop", "playing", "present_chart", "presenting", "request_edits", "restart",
    "run_title", "save_message", "saved_count", "scenario_name", "seed", "slider_nonce",
    "snapshot", "speed", "startup", "story_lines", "toggle_play", "type_legend_html",
]


@solara.component
def Page() -> None:
    router = solara.use_router()
    start = solara.use_memo(
        lambda: startup(router.search, solara.lab.headers.value), dependencies=[])
    browser_langs = solara.use_reactive("")
    BrowserLanguages.element(on_languages=browser_langs.set)
    lang = language.value or start.lang
    if not language.value and not start.lang_from_query and browser_langs.value:
        lang = pick_language(browser_langs.value, default=start.lang)
    names = solara.use_memo(list_scenarios, dependencies=[saved_count.value])
    chosen = current_choices(start, names)
    built = solara.use_memo(
        lambda: build(chosen.current, chosen.edits, chosen.base, chosen.comparing,
                      chosen.seed),
        dependencies=[chosen.current, tuple(sorted(chosen.edits.items())), chosen.base,
                      chosen.comparing, chosen.seed, generation.value])
    workshop = built.workshop
    # A run replaced (lever, scenario, seed, restart): its seeds not yet started are
    # dropped, so the background process works for the run on screen.
    solara.use_effect(lambda: built.replicates.cancel if built.replicates else None, [built])
    view = View(lang, names, chosen.current, chosen.base, chosen.edits, chosen.comparing,
                chosen.presenting, built, start)
    use_play(built)
    KeyShortcuts.element(on_pressed=key_handler(workshop, chosen.presenting))
    overrides = changed_levers(built.scenario, chosen.edits) if built.scenario is not None \
        else {}
    AddressBar.element(query=make_query(
        chosen.current, lang, workshop.seed if workshop is not None else chosen.seed,
        overrides, chosen.base if chosen.comparing else None,
        "present" if chosen.presenting else "page"))
    solara.Style(CSS)
    solara.Title(t("title", lang))
    with solara.AppBar():
        solara.AppBarTitle(children=[t("title", lang)])
        LanguageSwitch(lang)
    ProtectDialogs(view)
    if not chosen.presenting:
        with solara.Sidebar(), solara.Column(gap="8px", style={"width": "370px"}):
            ScenarioPicker(view)
            RunControls(view)
            CompareControls(view)
            LeverControls(view)
            if workshop is not None:
                ExportControls(view)
            SaveControls(view)
    # Draw the pictures once the language is settled (the browser reports its languages
    # a moment after the page opens), not twice.
    settled = bool(language.value or start.lang_from_query or browser_langs.value)
    with solara.Column(classes=["govsim-main"]):
        if built.error:
            solara.Error(t("scenario_invalid", lang, message=built.error),
                         classes=["govsim-error"])
        if workshop is not None and settled:
            if chosen.presenting:
                PresentView(view)
            else:
                Views(view)
        elif workshop is not None:
            solara.Text(t("loading", lang))
