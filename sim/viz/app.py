"""The workshop page (Solara): levers, the community graph, live charts, compare, export.

Served by ``govsim viz`` (see :mod:`sim.viz.server`). The page is in Chinese when the
browser's Accept-Language prefers it, English otherwise, and switches at any time.
Which scenario opens first: the address's ``?scenario=NAME.toml``, else the one
``govsim viz`` was given (``$GOVSIM_VIZ_SCENARIO``), else ``nanjing_baseline.toml``;
all of them through the picker, which opens nothing outside ``scenarios/``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import solara
import solara.lab
from mesa.visualization.utils import force_update, update_counter

from sim.errors import InputError
from sim.scenario import Scenario, load_scenario
from sim.viz.browser import BrowserLanguages
from sim.viz.charts import draw_charts
from sim.viz.compare import OUTCOME_KEYS, Workshop, format_difference, format_value
from sim.viz.export import figure_png, file_stem, runs_csv
from sim.viz.graph_view import draw_graph
from sim.viz.labels import LABELS, LANG_NAMES, LANGS, pick_language, scenario_title, t
from sim.viz.levers import LEVER_BY_KEY, LEVERS, changed_levers, lever_values
from sim.viz.picker import ENV_SCENARIO, ScenarioRefused, list_scenarios, resolve_scenario
from sim.viz.style import use_page_style

DEFAULT_SCENARIO = "nanjing_baseline.toml"
SPEEDS: tuple[int, ...] = (1, 2, 5, 10, 20, 30)
FRAME_SECONDS = 0.5  # while playing: first guess of a frame's time (steps in between)
MAX_FRAME_SECONDS = 4.0
IDLE_SECONDS = 0.15  # pause after each frame so the browser's clicks get through

use_page_style()

# Per-session state (Solara keeps one value per browser session). Redraws after a step
# use Mesa's own counter: ``force_update()`` re-renders every view that reads it.
language: solara.Reactive[str | None] = solara.reactive(None)
scenario_name: solara.Reactive[str | None] = solara.reactive(None)
baseline_name: solara.Reactive[str | None] = solara.reactive(None)
lever_edits: solara.Reactive[dict[str, Any]] = solara.reactive({})
comparing: solara.Reactive[bool] = solara.reactive(False)
seed: solara.Reactive[int | None] = solara.reactive(None)
colour_by: solara.Reactive[str] = solara.reactive("open")
speed: solara.Reactive[int] = solara.reactive(10)
playing: solara.Reactive[bool] = solara.reactive(False)
generation: solara.Reactive[int] = solara.reactive(0)
measured_rate: solara.Reactive[float | None] = solara.reactive(None)


@dataclass(frozen=True)
class Startup:
    """What the address and the command line asked for, checked once per session."""

    lang: str
    lang_from_query: bool
    scenario: str | None
    refused: str | None  # the refused path, to tell the user


def startup(search: str | None, headers: dict[str, Any] | None) -> Startup:
    query = parse_qs(search or "")
    lang = (query.get("lang") or [""])[0]
    from_query = lang in LANGS
    if not from_query:
        accept = (headers or {}).get("accept-language")
        lang = pick_language(accept)
    names = list_scenarios()
    refused = None
    wanted = (query.get("scenario") or [None])[0] or os.environ.get(ENV_SCENARIO)
    chosen = None
    if wanted:
        try:
            chosen = resolve_scenario(wanted).name
        except ScenarioRefused:
            refused = wanted
    if chosen is None:
        chosen = DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else (names[0] if names else None)
    return Startup(lang=lang, lang_from_query=from_query, scenario=chosen, refused=refused)


def load_picked(name: str) -> Scenario:
    return load_scenario(resolve_scenario(name))


@dataclass
class Built:
    workshop: Workshop | None
    scenario: Scenario | None  # the picked file, before lever edits
    error: str | None


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
        return Built(Workshop(changed, run_seed, baseline, edits=overrides), picked, None)
    except InputError as exc:
        return Built(None, picked, str(exc))


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
def ScenarioPicker(lang: str, current: str | None, names: list[str],
                   refused: str | None) -> None:
    def pick(name: str) -> None:
        playing.set(False)
        lever_edits.set({})
        scenario_name.set(name)

    with solara.Card(t("scenario", lang), margin=0):
        if refused:
            solara.Error(t("scenario_refused", lang, path=refused), dense=True,
                         classes=["govsim-refused"])
        if not names:
            solara.Warning(t("no_scenarios", lang))
            return
        with solara.Tooltip(t("scenario_tip", lang)):
            solara.Select(t("scenario", lang), values=names, value=current, on_value=pick,
                          classes=["govsim-scenario"])
        presets = [n for n in names if n != DEFAULT_SCENARIO]
        if presets:
            with solara.Tooltip(t("presets_tip", lang)):
                solara.Text(t("presets", lang), style={"font-weight": "bold"})
            with solara.Column(gap="2px"):
                for name in [DEFAULT_SCENARIO, *presets] if DEFAULT_SCENARIO in names \
                        else presets:
                    stem = name.removesuffix(".toml")
                    solara.Button(t(f"scn_{stem}", lang) if f"scn_{stem}" in LABELS else stem,
                                  text=True, small=True,
                                  on_click=lambda n=name: pick(n),
                                  color="primary" if name == current else None,
                                  classes=["govsim-preset", f"govsim-preset-{stem}"],
                                  style={"justify-content": "start",
                                         "text-transform": "none"})


@solara.component
def RunControls(lang: str, workshop: Workshop | None, scenario: Scenario | None) -> None:
    update_counter.get()  # shows the run's day: redraw after every step
    def step_one() -> None:
        if workshop is not None:
            workshop.step(1)
            force_update()

    def restart() -> None:
        playing.set(False)
        measured_rate.set(None)
        generation.set(generation.value + 1)

    def toggle() -> None:
        measured_rate.set(None)
        playing.set(not playing.value)

    finished = workshop is None or workshop.finished
    with solara.Card(t("run_controls", lang), margin=0):
        with solara.Row(gap="4px"):
            with solara.Tooltip(t("step_tip", lang)):
                solara.Button(t("step", lang), on_click=step_one, color="primary",
                              disabled=playing.value or finished, classes=["govsim-step"])
            with solara.Tooltip(t("play_tip", lang)):
                solara.Button(t("pause", lang) if playing.value else t("play", lang),
                              on_click=toggle, color="primary", outlined=True,
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
            solara.SliderValue(t("speed", lang), value=speed, values=list(SPEEDS))
        with solara.Tooltip(t("seed_tip", lang)):
            default_seed = int(scenario.run.seed) if scenario is not None else 1
            solara.InputInt(t("seed", lang),
                            value=seed.value if seed.value is not None else default_seed,
                            on_value=lambda v: seed.set(None if v is None else max(0, int(v))),
                            classes=["govsim-seed"])


@solara.component
def CompareControls(lang: str, names: list[str], current: str | None) -> None:
    base = baseline_name.value or (DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else current)
    with solara.Card(t("compare", lang), margin=0):
        with solara.Tooltip(t("compare_tip", lang)):
            solara.Switch(label=t("compare_on", lang), value=comparing.value,
                          on_value=comparing.set, classes=["govsim-compare"])
        if comparing.value and names:
            solara.Select(t("baseline_scenario", lang), values=names, value=base,
                          on_value=baseline_name.set, classes=["govsim-baseline"])


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
def LeverControls(lang: str, scenario: Scenario | None) -> None:
    if scenario is None:
        return
    defaults = lever_values(scenario)
    edits = lever_edits.value
    changed = changed_levers(scenario, edits)

    def set_lever(key: str, value: Any) -> None:
        playing.set(False)
        measured_rate.set(None)
        lever_edits.set({**lever_edits.value, key: LEVER_BY_KEY[key].coerce(value)})

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
                            on_change=lambda v, k=lever.key: set_lever(k, v))
        if changed:
            solara.Button(t("revert_levers", lang), text=True,
                          on_click=lambda: lever_edits.set({}), classes=["govsim-revert"])


@solara.component
def ExportControls(lang: str, workshop: Workshop) -> None:
    update_counter.get()  # the file names carry the day
    stem = file_stem(workshop)

    def charts_png() -> bytes:
        with workshop.lock:
            fig = draw_charts(chart_inputs(workshop, lang), lang)
        return figure_png(fig)

    def graph_png() -> bytes:
        with workshop.lock:
            fig = draw_graph(graph_inputs(workshop, lang), lang, colour_by.value)
        return figure_png(fig)

    with solara.Card(t("export", lang), margin=0), solara.Row(gap="4px"):
        with solara.Tooltip(t("export_png_tip", lang)):
            solara.FileDownload(charts_png, filename=f"{stem}_charts.png",
                                label=t("export_png", lang), mime_type="image/png",
                                children=[solara.Button(t("export_png", lang),
                                                        icon_name="mdi-image",
                                                        outlined=True,
                                                        classes=["govsim-export-png"])])
        with solara.Tooltip(t("export_graph_tip", lang)):
            solara.FileDownload(graph_png, filename=f"{stem}_graph.png",
                                mime_type="image/png",
                                children=[solara.Button(t("export_graph", lang),
                                                        icon_name="mdi-graph",
                                                        outlined=True,
                                                        classes=["govsim-export-graph"])])
        with solara.Tooltip(t("export_csv_tip", lang)):
            solara.FileDownload(lambda: runs_csv(workshop), filename=f"{stem}.csv",
                                mime_type="text/csv",
                                children=[solara.Button(t("export_csv", lang),
                                                        icon_name="mdi-table",
                                                        outlined=True,
                                                        classes=["govsim-export-csv"])])


def run_title(role: str, scenario: Scenario, lang: str, edits: int = 0) -> str:
    name = scenario_title(scenario.name, lang)
    if edits and role != "baseline":
        name = f"{name}, {t('levers_changed_n', lang, n=edits)}"
    return name if role == "run" else f"{t(role, lang)}: {name}"


def graph_inputs(workshop: Workshop, lang: str) -> list[tuple[str, Any]]:
    n = len(workshop.edits)
    return [(t("graph_title", lang, name=run_title(r.role, r.scenario, lang, n),
               day=r.model.day), r.model) for r in workshop.runs]


def chart_inputs(workshop: Workshop, lang: str) -> list[tuple[str, Any, int | None]]:
    out = []
    for run, frame in workshop.frames():
        workers = len(run.model.grid_workers) if hasattr(run.model, "grid_workers") else None
        out.append((run.role, frame, workers))
    return out


@solara.component
def Outcomes(lang: str, workshop: Workshop) -> None:
    update_counter.get()  # redraw after every step
    rows = workshop.outcome_rows(OUTCOME_KEYS)
    roles = [r.role for r in workshop.runs]
    head = [t("indicator", lang)]
    if workshop.comparing:
        head += [t("baseline", lang), t("changed", lang), t("difference", lang)]
    else:
        head += [t("value", lang)]
    pp = t("unit_pp", lang)
    body = []
    for row in rows:
        key = row["key"]
        cells = [t(f"out_{key}", lang)] + [format_value(key, row[r]) for r in roles]
        if workshop.comparing:
            cells.append(format_difference(key, row["difference"], pp))
        body.append(solara.v.Html(tag="tr", attributes={"data-key": key}, children=[
            solara.v.Html(tag="td", children=[c]) for c in cells]))
    with solara.Card(t("outcomes", lang), margin=0, classes=["govsim-outcomes"]):
        with solara.Tooltip(t("outcomes_tip", lang)):
            solara.Text(t("outcomes_tip", lang), style={"font-size": "0.8em", "color": "#666"})
        solara.v.SimpleTable(dense=True, children=[
            solara.v.Html(tag="thead", children=[solara.v.Html(tag="tr", children=[
                solara.v.Html(tag="th", children=[h]) for h in head])]),
            solara.v.Html(tag="tbody", children=body),
        ])


@solara.component
def Views(lang: str, workshop: Workshop) -> None:
    shade = colour_by.value
    deps = [workshop, update_counter.value, lang, shade]

    def pictures() -> tuple[bytes, bytes]:
        t0 = time.perf_counter()
        with workshop.lock:  # not while the play loop is stepping
            graph_fig = draw_graph(graph_inputs(workshop, lang), lang, shade)
            charts_fig = draw_charts(chart_inputs(workshop, lang), lang)
        graph = figure_png(graph_fig, dpi=80, tight=False)
        charts = figure_png(charts_fig, dpi=80, tight=False)
        workshop.draw_seconds = time.perf_counter() - t0  # the play loop paces itself by it
        return graph, charts

    graph_png, charts_png = solara.use_memo(pictures, deps)
    wide = "1 1 100%" if workshop.comparing else "3 1 600px"
    with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
        with solara.Card(t("tab_community", lang), margin=0,
                         style={"flex": wide, "min-width": "0"}):
            with solara.Tooltip(t("colour_by_tip", lang)):
                solara.ToggleButtonsSingle(value=shade, on_value=colour_by.set, children=[
                    solara.Button(t("colour_open", lang), value="open", text=True,
                                  classes=["govsim-colour-open"]),
                    solara.Button(t("colour_trust", lang), value="trust", text=True,
                                  classes=["govsim-colour-trust"]),
                ])
            with solara.Tooltip(t("graph_tip", lang)):
                solara.Image(graph_png, width="100%", classes=["govsim-graph"])
        with solara.Column(style={"flex": "1 1 360px"}):
            Outcomes(lang, workshop)
    with solara.Card(t("tab_charts", lang), margin=0):
        solara.Image(charts_png, width="100%", classes=["govsim-charts"])


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
    names = solara.use_memo(list_scenarios, dependencies=[])
    current = scenario_name.value or start.scenario
    base = baseline_name.value or (DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else current)
    edits = lever_edits.value
    built = solara.use_memo(
        lambda: build(current, edits, base, comparing.value, seed.value),
        dependencies=[current, tuple(sorted(edits.items())), base, comparing.value,
                      seed.value, generation.value])
    workshop = built.workshop

    def loop() -> None:
        if workshop is not None and playing.value:
            play_loop(workshop)

    solara.lab.use_task(loop, dependencies=[playing.value, workshop], prefer_threaded=True)

    solara.Title(t("title", lang))
    with solara.AppBar():
        solara.AppBarTitle(children=[t("title", lang)])
        LanguageSwitch(lang)
    with solara.Sidebar(), solara.Column(gap="8px", style={"width": "370px"}):
        ScenarioPicker(lang, current, names, start.refused)
        RunControls(lang, workshop, built.scenario)
        CompareControls(lang, names, current)
        LeverControls(lang, built.scenario)
        if workshop is not None:
            ExportControls(lang, workshop)
    # Draw the pictures once the language is settled (the browser reports its languages
    # a moment after the page opens), not twice.
    settled = bool(language.value or start.lang_from_query or browser_langs.value)
    with solara.Column(classes=["govsim-main"]):
        if built.error:
            solara.Error(t("scenario_invalid", lang, message=built.error),
                         classes=["govsim-error"])
        if workshop is not None and settled:
            Views(lang, workshop)
        elif workshop is not None:
            solara.Text(t("loading", lang))
