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

import html
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import solara
import solara.lab
from mesa.visualization.utils import force_update, update_counter

from sim.errors import InputError
from sim.scenario import Scenario, load_scenario
from sim.viz.address import Address, make_query, parse_address
from sim.viz.browser import AddressBar, BrowserLanguages, KeyShortcuts
from sim.viz.cards import (
    CARD_KEYS,
    CardStat,
    card_stats,
    format_card_change,
    format_card_value,
    format_interval,
)
from sim.viz.charts import PANEL_KEYS, draw_charts, series_bands, x_extent
from sim.viz.compare import (
    DAY_KEYS,
    OUTCOME_KEYS,
    Workshop,
    format_difference,
    format_value,
    verdict,
)
from sim.viz.export import caption, captioned_png, file_stem, runs_csv
from sim.viz.graph_view import draw_graph
from sim.viz.labels import LANG_NAMES, LANGS, pick_language, scenario_title, t
from sim.viz.levers import LEVER_BY_KEY, LEVERS, changed_levers, lever_values
from sim.viz.live import IMAGE_FORMAT, LiveCharts, LiveGraph
from sim.viz.picker import ENV_SCENARIO, ScenarioRefused, list_scenarios, resolve_scenario
from sim.viz.replicates import EXTRA_SEEDS, Replicates
from sim.viz.save import save_scenario
from sim.viz.story import describe_change, story
from sim.viz.style import use_page_style

DEFAULT_SCENARIO = "nanjing_baseline.toml"
SPEEDS: tuple[int, ...] = (1, 2, 5, 10, 20, 30)
FRAME_SECONDS = 0.5  # while playing: first guess of a frame's time (steps in between)
MAX_FRAME_SECONDS = 4.0
IDLE_SECONDS = 0.15  # pause after each frame so the browser's clicks get through
SEED_POLL_SECONDS = 1.0  # paused: how often to look for newly finished seeds
GRAPH_DPI = 80
PRESENT_CHART_SIZE = (7.0, 4.3)  # inches; at 80 dpi 560x344 px

use_page_style()

# Per-session state (Solara keeps one value per browser session). ``None`` means "as the
# address said" (or the default). Redraws after a step use Mesa's own counter:
# ``force_update()`` re-renders every view that reads it.
language: solara.Reactive[str | None] = solara.reactive(None)
scenario_name: solara.Reactive[str | None] = solara.reactive(None)
baseline_name: solara.Reactive[str | None] = solara.reactive(None)
lever_edits: solara.Reactive[dict[str, Any] | None] = solara.reactive(None)
comparing: solara.Reactive[bool | None] = solara.reactive(None)
presenting: solara.Reactive[bool | None] = solara.reactive(None)
seed: solara.Reactive[int | None] = solara.reactive(None)
colour_by: solara.Reactive[str] = solara.reactive("open")
present_chart: solara.Reactive[str] = solara.reactive("chart_open")
speed: solara.Reactive[int] = solara.reactive(10)
playing: solara.Reactive[bool] = solara.reactive(False)
generation: solara.Reactive[int] = solara.reactive(0)
measured_rate: solara.Reactive[float | None] = solara.reactive(None)
pending_edit: solara.Reactive[dict[str, Any] | None] = solara.reactive(None)
slider_nonce: solara.Reactive[int] = solara.reactive(0)
ghost: solara.Reactive[tuple[str, Any, int | None] | None] = solara.reactive(None)
confirm_clear: solara.Reactive[bool] = solara.reactive(False)
saved_count: solara.Reactive[int] = solara.reactive(0)
save_message: solara.Reactive[tuple[str, str] | None] = solara.reactive(None)

CSS = """
.govsim-cards { display: flex; gap: 8px; flex-wrap: nowrap; }
.govsim-card { flex: 1 1 0; min-width: 0; padding: 6px 10px; border-radius: 6px;
  background: #fafafa; border: 1px solid #e0e0e0; }
.govsim-card-label { font-size: 0.85em; color: #444; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.govsim-card-value { font-size: 1.6em; font-weight: 600; line-height: 1.2; }
.govsim-card-change { font-size: 1.0em; font-weight: 600; }
.govsim-card-interval { font-size: 0.78em; color: #555; line-height: 1.25; }
.govsim-present .govsim-card-value { font-size: 2.1em; }
.govsim-present .govsim-card-change { font-size: 1.05em; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
.govsim-present .govsim-card-label { font-size: 1.0em; }
.govsim-story { font-size: 1.0em; line-height: 1.35; }
.govsim-present .govsim-story { font-size: 1.12em; }
.govsim-present-day { font-size: 1.9em; font-weight: 700; white-space: nowrap; }
.govsim-present-pictures { display: flex; gap: 8px; align-items: flex-start; }
.govsim-present-pictures > div { flex: 1 1 0; min-width: 0; }
.govsim-present-pictures img { max-width: 100%; max-height: 320px; object-fit: contain; }
.govsim-export-row { display: flex; flex-wrap: wrap; gap: 4px; }
.govsim-main { max-width: 100%; overflow-x: hidden; }
.govsim-outcomes td[data-verdict=good] { color: #1b7f3a; font-weight: 600; }
.govsim-outcomes td[data-verdict=bad] { color: #c62828; font-weight: 600; }
"""


@dataclass(frozen=True)
class Startup:
    """What the address and the command line asked for, checked once per session."""

    lang: str
    lang_from_query: bool
    scenario: str | None
    refused: str | None  # the refused path(s), to tell the user
    address: Address = field(default_factory=Address)
    baseline: str | None = None  # comparing with it (from the address)


def startup(search: str | None, headers: dict[str, Any] | None) -> Startup:
    address = parse_address(search)
    from_query = address.lang is not None
    lang = address.lang or pick_language((headers or {}).get("accept-language"))
    names = list_scenarios()
    refused = []
    wanted = address.scenario or os.environ.get(ENV_SCENARIO)
    chosen = None
    if wanted:
        try:
            chosen = resolve_scenario(wanted).relative_to(_root()).as_posix()
        except (ScenarioRefused, ValueError):
            refused.append(wanted)
    if chosen is None:
        chosen = DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else (names[0] if names else None)
    baseline = None
    if address.baseline:
        try:
            baseline = resolve_scenario(address.baseline).relative_to(_root()).as_posix()
        except (ScenarioRefused, ValueError):
            refused.append(address.baseline)
    return Startup(lang=lang, lang_from_query=from_query, scenario=chosen,
                   refused=", ".join(refused) or None, address=address, baseline=baseline)


def _root() -> Any:
    from sim.viz.picker import scenarios_dir

    return scenarios_dir().resolve()


def load_picked(name: str) -> Scenario:
    return load_scenario(resolve_scenario(name))


@dataclass
class Built:
    workshop: Workshop | None
    scenario: Scenario | None  # the picked file, before lever edits
    error: str | None
    replicates: Replicates | None = None


def build(name: str | None, edits: dict[str, Any], base: str | None, compare: bool,
          seed_value: int | None) -> Built:
    if name is None:
        return Built(None, None, None)
    try:
        picked = load_picked(name)
    except InputError as exc:
        return Built(None, None, str(exc))
    try:
        overrides = changed_levers(picked, edits)
        changed = picked.with_overrides(overrides, origin="workshop page") if overrides \
            else picked
        baseline = load_picked(base or name) if compare else None
        run_seed = int(picked.run.seed if seed_value is None else seed_value)
        workshop = Workshop(changed, run_seed, baseline, edits=overrides)
        reps = Replicates([(r.role, r.scenario) for r in workshop.runs], run_seed,
                          workshop.days, CARD_KEYS, EXTRA_SEEDS)
        return Built(workshop, picked, None, reps)
    except InputError as exc:
        return Built(None, picked, str(exc))


@dataclass
class View:
    """Everything the components need about the current session, worked out once."""

    lang: str
    names: list[str]
    current: str | None
    base: str | None
    edits: dict[str, Any]
    comparing: bool
    presenting: bool
    built: Built
    start: Startup

    @property
    def workshop(self) -> Workshop | None:
        return self.built.workshop


# ---------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------


def do_step(workshop: Workshop | None) -> None:
    if workshop is not None and not playing.value and not workshop.finished:
        workshop.step(1)
        force_update()


def toggle_play() -> None:
    measured_rate.set(None)
    playing.set(not playing.value)


def restart() -> None:
    playing.set(False)
    measured_rate.set(None)
    generation.set(generation.value + 1)


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


def chart_inputs(workshop: Workshop, lang: str) -> list[tuple[str, Any, int | None]]:
    out = []
    for run, frame in workshop.frames():
        workers = len(run.model.grid_workers) if hasattr(run.model, "grid_workers") else None
        out.append((run.role, frame, workers))
    return out


def run_title(role: str, scenario: Scenario, lang: str, edits: int = 0) -> str:
    name = scenario_title(scenario.name, lang)
    if edits and role != "baseline":
        name = f"{name}, {t('levers_changed_n', lang, n=edits)}"
    return name if role == "run" else f"{t(role, lang)}: {name}"


def graph_inputs(workshop: Workshop, lang: str) -> list[tuple[str, Any]]:
    n = len(workshop.edits)
    return [(t("graph_title", lang, name=run_title(r.role, r.scenario, lang, n),
               day=r.model.day), r.model) for r in workshop.runs]


def chart_bands(workshop: Workshop, reps: Replicates | None,
                inputs: list[tuple[str, Any, int | None]]) -> tuple[dict[str, Any] | None, int]:
    """The seeds' band around the changed (or only) run, up to today's day."""
    done = reps.done() if reps is not None else []
    if not done:
        return None, 0
    role, frame, workers = inputs[-1]
    frames = [frame] + [r.frames[role] for r in done if role in r.frames]
    return series_bands(frames, workshop.day, workers), len(frames)


def current_cards(workshop: Workshop, reps: Replicates | None) -> list[CardStat]:
    summaries = {run.role: s for run, s in workshop.summaries()}
    done = reps.done() if reps is not None else []
    return card_stats(summaries, workshop.day, done)


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
        shown = path.relative_to(_root()).as_posix()
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


def _tag(tag: str, text: str, attrs: dict[str, str] | None = None) -> str:
    """An HTML element with escaped text (labels and file names are never markup)."""
    extra = "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in (attrs or {}).items())
    return f"<{tag}{extra}>{html.escape(text)}</{tag}>"


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
        cells = [_tag("td", t(f"out_{key}", lang))]
        for r in roles:
            value = format_value(key, row[r])
            if key in DAY_KEYS and value != "–":
                value = t("unit_days_value", lang, v=value)
            cells.append(_tag("td", value))
        if workshop.comparing:
            diff = row["difference"]
            cells.append(_tag("td", format_difference(key, diff, pp, days),
                              {"data-verdict": verdict(key, diff)}))
        body.append(f'<tr data-key="{html.escape(key)}">{"".join(cells)}</tr>')
    thead = "<thead><tr>" + "".join(_tag("th", h) for h in head) + "</tr></thead>"
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


def cards_html(lang: str, stats: list[CardStat]) -> str:
    """The headline cards as one piece of HTML (one widget update a day)."""
    cards = []
    for s in stats:
        comparing = s.change is not None
        parts = [_tag("div", t(f"out_{s.card.key}", lang), {"class": "govsim-card-label"}),
                 _tag("div", format_card_value(s.card, s.value, lang),
                      {"class": "govsim-card-value"})]
        if comparing:
            text = (f"{s.arrow} {format_card_change(s.card, s.change, lang)} "
                    f"{t('card_vs_baseline', lang)} · {t('verdict_' + s.verdict, lang)}")
            parts.append(_tag("div", text, {"class": "govsim-card-change",
                                            "data-verdict": s.verdict,
                                            "style": f"color: {s.colour}"}))
        if s.seeds > 1 and comparing:
            interval = format_interval(s.card, s.change_low, s.change_high, lang, change=True)
            note = t("card_change_interval", lang, n=s.seeds, interval=interval, agree=s.agree)
        elif s.seeds > 1:
            note = t("card_interval", lang, n=s.seeds,
                     interval=format_interval(s.card, s.low, s.high, lang))
        else:
            note = t("card_one_seed", lang) if comparing else t("card_no_compare", lang)
        parts.append(_tag("div", note, {"class": "govsim-card-interval"}))
        cards.append(f'<div class="govsim-card govsim-card-{html.escape(s.card.key)}" '
                     f'data-key="{html.escape(s.card.key)}">{"".join(parts)}</div>')
    return "".join(cards)


def story_lines(view: View, stats: list[CardStat]) -> list[str]:
    workshop = view.workshop
    assert workshop is not None
    scenario = view.built.scenario
    what = None
    if workshop.comparing and scenario is not None:
        base_title = scenario_title(workshop.runs[0].scenario.name, view.lang)
        what = describe_change(workshop.edits, lever_values(scenario), view.lang,
                               scenario_title(workshop.runs[-1].scenario.name, view.lang),
                               base_title)
    reps = view.built.replicates
    running = reps is not None and reps.started and len(reps.done()) < reps.n
    return story(stats, workshop.day, view.lang, what, running)


@solara.component
def StoryAndCards(view: View) -> None:
    update_counter.get()
    workshop = view.workshop
    assert workshop is not None
    stats = current_cards(workshop, view.built.replicates)
    lines = story_lines(view, stats)
    reps = view.built.replicates
    with solara.Column(gap="6px", classes=["govsim-summary"]):
        solara.HTML(tag="div", classes=["govsim-story"], attributes={"lang": view.lang},
                    unsafe_innerHTML=html.escape(("" if view.lang == "zh" else " ").join(lines)))
        solara.HTML(tag="div", classes=["govsim-cards"],
                    unsafe_innerHTML=cards_html(view.lang, stats))
        if reps is not None and not view.presenting:
            done = len(reps.done())
            text = t("seeds_running", view.lang, k=reps.n, done=done) if reps.started \
                else t("seeds_idle", view.lang, k=reps.n)
            solara.Text(text, classes=["govsim-seeds"],
                        style={"font-size": "0.8em", "color": "#666"})


def _pictures(view: View, live_graph: LiveGraph, live_charts: LiveCharts,
              graph_lock: threading.Lock) -> tuple[bytes, bytes]:
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
def ColourToggle(lang: str) -> None:
    with solara.Tooltip(t("colour_by_tip", lang)):
        solara.ToggleButtonsSingle(value=colour_by.value, on_value=colour_by.set, children=[
            solara.Button(t("colour_open", lang), value="open", text=True,
                          classes=["govsim-colour-open"]),
            solara.Button(t("colour_trust", lang), value="trust", text=True,
                          classes=["govsim-colour-trust"]),
        ])


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
        lambda: _pictures(view, live_graph, live_charts, lock), deps)
    wide = "1 1 100%" if workshop.comparing else "3 1 600px"
    StoryAndCards(view)
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
        with solara.Card(t("tab_community", lang), margin=0,
                         style={"flex": wide, "min-width": "0"}):
            ColourToggle(lang)
            with solara.Tooltip(t("graph_tip", lang)):
                solara.Image(graph_png, width="100%", format=IMAGE_FORMAT,
                             classes=["govsim-graph"])
        with solara.Column(style={"flex": "1 1 360px"}):
            Outcomes(lang, workshop)
    with solara.Card(t("tab_charts", lang), margin=0):
        solara.Image(charts_png, width="100%", format=IMAGE_FORMAT, classes=["govsim-charts"])


@solara.component
def PresentView(view: View) -> None:
    """Presentation mode: for a projector at 1280x720, no controls but Step / Play."""
    update_counter.get()
    workshop = view.workshop
    assert workshop is not None
    lang = view.lang
    reps = view.built.replicates
    n_done = len(reps.done()) if reps is not None else 0
    chart_key = present_chart.value
    live_graph = solara.use_memo(lambda: LiveGraph(GRAPH_DPI), dependencies=[])
    live_charts = solara.use_memo(
        lambda: LiveCharts(PRESENT_CHART_SIZE, GRAPH_DPI, panels=(chart_key,)),
        dependencies=[chart_key])
    lock = solara.use_memo(threading.Lock, dependencies=[])
    deps = [workshop, update_counter.value, lang, colour_by.value, n_done, ghost.value,
            chart_key]
    graph_png, charts_png = solara.use_memo(
        lambda: _pictures(view, live_graph, live_charts, lock), deps)
    finished = workshop.finished
    with solara.Column(gap="6px", classes=["govsim-present"],
                       style={"padding": "0 4px", "max-width": "100%"}):
        with solara.Row(gap="10px", style={"align-items": "center", "flex-wrap": "nowrap"}):
            solara.Text(t("day", lang, day=workshop.day, days=workshop.days),
                        classes=["govsim-day", "govsim-present-day"])
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
        with solara.Div(classes=["govsim-present-pictures"]):
            with solara.Div():
                solara.Image(graph_png, format=IMAGE_FORMAT, classes=["govsim-graph"])
            with solara.Div():
                solara.Image(charts_png, format=IMAGE_FORMAT, classes=["govsim-charts"])


def play_loop(workshop: Workshop) -> None:
    """Advance while playing at about ``speed`` days a second, redrawing every frame.

    Drawing a frame takes longer than a simulated day, so each frame advances as many
    days as the last frame took at the chosen speed; and each frame is followed by a
    pause (at least ``IDLE_SECONDS``), so clicks (pause, language, levers) get through.
    """
    started = time.perf_counter()
    done = 0
    cycle = max(FRAME_SECONDS, 1.3 * workshop.draw_seconds)
    while playing.value and not workshop.finished:
        t0 = time.perf_counter()
        rate = max(1, int(speed.value))
        n = max(1, round(rate * cycle))
        done += workshop.step(n)
        force_update()  # redraws the page (in this thread)
        busy = time.perf_counter() - t0
        pause = max(n / rate - busy, IDLE_SECONDS, 0.25 * busy)
        time.sleep(pause)
        cycle = min(busy + pause, MAX_FRAME_SECONDS)
        measured_rate.set(done / (time.perf_counter() - started))
    if workshop.finished:
        playing.set(False)
        force_update()  # the last seeds' band and the finished note


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
    current = scenario_name.value or start.scenario
    is_comparing = comparing.value if comparing.value is not None else start.baseline is not None
    base = baseline_name.value or start.baseline or (
        DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else current)
    edits = lever_edits.value if lever_edits.value is not None else dict(start.address.levers)
    seed_value = seed.value if seed.value is not None else start.address.seed
    is_presenting = presenting.value if presenting.value is not None else \
        start.address.view == "present"
    built = solara.use_memo(
        lambda: build(current, edits, base, is_comparing, seed_value),
        dependencies=[current, tuple(sorted(edits.items())), base, is_comparing,
                      seed_value, generation.value])
    workshop = built.workshop
    # A run replaced (lever, scenario, seed, restart): its seeds not yet started are
    # dropped, so the background process works for the run on screen.
    solara.use_effect(lambda: built.replicates.cancel if built.replicates else None, [built])
    view = View(lang, names, current, base, edits, is_comparing, is_presenting, built, start)

    def loop() -> None:
        if workshop is not None and playing.value:
            if built.replicates is not None:
                built.replicates.start()
            play_loop(workshop)

    solara.lab.use_task(loop, dependencies=[playing.value, workshop], prefer_threaded=True)

    def watch_seeds() -> None:
        """Paused, the seeds still finish: show each as it lands (playing, every frame
        redraws anyway)."""
        reps = built.replicates
        if reps is None or not reps.started:
            return
        seen = len(reps.done())
        while not playing.value and not reps.cancelled and not reps.finished:
            time.sleep(SEED_POLL_SECONDS)
            if len(reps.done()) != seen:
                seen = len(reps.done())
                force_update()
        if not playing.value and not reps.cancelled and len(reps.done()) != seen:
            force_update()

    solara.lab.use_task(watch_seeds, dependencies=[playing.value, built], prefer_threaded=True)

    def on_key(pressed: str) -> None:
        name = pressed.partition(":")[0]
        if name == "step":
            do_step(workshop)
        elif name == "play" and workshop is not None and \
                (playing.value or not workshop.finished):
            toggle_play()
        elif name == "present":
            presenting.set(not is_presenting)
        elif name == "leave":
            presenting.set(False)

    KeyShortcuts.element(on_pressed=on_key)
    overrides = changed_levers(built.scenario, edits) if built.scenario is not None else {}
    AddressBar.element(query=make_query(
        current, lang, workshop.seed if workshop is not None else seed_value, overrides,
        base if is_comparing else None, "present" if is_presenting else "page"))
    solara.Style(CSS)
    solara.Title(t("title", lang))
    with solara.AppBar():
        solara.AppBarTitle(children=[t("title", lang)])
        LanguageSwitch(lang)
    ProtectDialogs(view)
    if not is_presenting:
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
            if is_presenting:
                PresentView(view)
            else:
                Views(view)
        elif workshop is not None:
            solara.Text(t("loading", lang))
