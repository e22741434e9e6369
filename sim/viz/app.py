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
import threading
import time
from collections.abc import Callable
from typing import Any

import solara
import solara.lab
from mesa.visualization.utils import update_counter

from sim.errors import InputError
from sim.scenario import Scenario
from sim.viz.address import make_query
from sim.viz.browser import AddressBar, BrowserLanguages, KeyShortcuts
from sim.viz.cards import (
    GAP_CARD,
    CardStat,
    GapStat,
    card_stats,
    format_card_change,
    format_card_value,
    format_gap,
    format_gap_change,
    format_gap_value,
    format_interval,
    gap_stat,
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
from sim.viz.graph_view import OTHER_TYPE_COLOUR, TYPE_COLOURS, draw_graph, types_present
from sim.viz.labels import LABELS, LANG_NAMES, LANGS, pick_language, scenario_title, t
from sim.viz.levers import LEVER_BY_KEY, LEVERS, changed_levers, lever_values
from sim.viz.live import IMAGE_FORMAT, LiveCharts, LiveGraph
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
from sim.viz.replicates import Replicates
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
from sim.viz.story import describe_change, story
from sim.viz.style import use_page_style

GRAPH_DPI = 80
PRESENT_CHART_SIZE = (7.0, 4.3)  # inches; at 80 dpi 560x344 px

use_page_style()

CSS = """
.govsim-cards { display: flex; gap: 8px; flex-wrap: nowrap; }
.govsim-card { flex: 1 1 0; min-width: 0; padding: 6px 10px; border-radius: 6px;
  background: #fafafa; border: 1px solid #e0e0e0; }
.govsim-card-label { font-size: 0.85em; color: #444; line-height: 1.2; }
.govsim-card-value { font-size: 1.6em; font-weight: 600; line-height: 1.2; }
.govsim-card-change { font-size: 1.0em; font-weight: 600; }
.govsim-card-interval { font-size: 0.78em; color: #555; line-height: 1.25; }
.govsim-card-unit { font-size: 0.55em; font-weight: 600; }
.govsim-card-what { font-size: 0.85em; line-height: 1.25; }
.govsim-present .govsim-card-value { font-size: 1.9em; }
.govsim-present .govsim-card-change { font-size: 0.95em; line-height: 1.2; }
.govsim-present .govsim-card-label { font-size: 0.95em; }
.govsim-story { font-size: 1.0em; line-height: 1.35; }
.govsim-present .govsim-story { font-size: 1.12em; }
.govsim-present-day { font-size: 1.9em; font-weight: 700; white-space: nowrap; }
.govsim-present-pictures { display: flex; gap: 8px; align-items: flex-start; }
.govsim-present-pictures > div { flex: 1 1 0; min-width: 0; }
.govsim-present-pictures img { display: block; max-width: 100%; max-height: 300px;
  object-fit: contain; }
.govsim-type-legend { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center;
  font-size: 0.9em; margin: 4px 0; }
.govsim-type { display: inline-flex; align-items: center; gap: 4px; white-space: nowrap; }
.govsim-swatch { display: inline-block; width: 12px; height: 12px; border-radius: 50%;
  border: 1px solid #555; }
.govsim-export-row { display: flex; flex-wrap: wrap; gap: 4px; }
.govsim-main { max-width: 100%; overflow-x: hidden; }
.govsim-outcomes td[data-verdict=good] { color: #1b7f3a; font-weight: 600; }
.govsim-outcomes td[data-verdict=bad] { color: #c62828; font-weight: 600; }
"""


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


def current_gap(workshop: Workshop, reps: Replicates | None) -> GapStat:
    summaries = {run.role: s for run, s in workshop.summaries()}
    done = reps.done() if reps is not None else []
    return gap_stat(summaries, workshop.day, done)


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


def cards_html(lang: str, stats: list[CardStat], gap: GapStat | None = None) -> str:
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
    if gap is not None:
        cards.append(gap_card_html(lang, gap))
    return "".join(cards)


def gap_card_html(lang: str, g: GapStat) -> str:
    """The largest-gap card: the gap in large type, what it is in words, its change."""
    value = format_gap_value(g, lang)
    number, _, unit = value.partition(" ")
    parts = [_tag("div", t("gap_card", lang), {"class": "govsim-card-label"}),
             f'<div class="govsim-card-value">{html.escape(number)}'
             + (_tag("span", " " + unit, {"class": "govsim-card-unit"}) if unit else "")
             + "</div>",
             _tag("div", format_gap(g, lang), {"class": "govsim-card-what"})]
    comparing = g.baseline is not None
    if comparing and g.key is not None:
        parts.append(_tag("div", format_gap_change(g, lang),
                          {"class": "govsim-card-change", "data-verdict": g.verdict,
                           "style": f"color: {g.colour}"}))
    if g.seeds > 1 and comparing:
        note = t("card_change_interval", lang, n=g.seeds, agree=g.agree,
                 interval=format_interval(GAP_CARD, g.change_low, g.change_high, lang,
                                          change=True))
    elif g.seeds > 1:
        note = t("card_interval", lang, n=g.seeds,
                 interval=format_interval(GAP_CARD, g.low, g.high, lang))
    else:
        note = t("card_one_seed", lang) if comparing else t("card_no_compare", lang)
    parts.append(_tag("div", note, {"class": "govsim-card-interval"}))
    attrs = (f'class="govsim-card govsim-card-gap" data-key="largest_gap" '
             f'data-gap="{html.escape(g.key or "")}" '
             f'title="{html.escape(t("gap_tip", lang), quote=True)}"')
    return f"<div {attrs}>{''.join(parts)}</div>"


def story_lines(view: View, stats: list[CardStat], gap: GapStat | None = None) -> list[str]:
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
    return story(stats, workshop.day, view.lang, what, running, gap)


@solara.component
def StoryAndCards(view: View) -> None:
    update_counter.get()
    workshop = view.workshop
    assert workshop is not None
    stats = current_cards(workshop, view.built.replicates)
    gap = current_gap(workshop, view.built.replicates)
    lines = story_lines(view, stats, gap)
    reps = view.built.replicates
    with solara.Column(gap="6px", classes=["govsim-summary"]):
        solara.HTML(tag="div", classes=["govsim-story"], attributes={"lang": view.lang},
                    unsafe_innerHTML=html.escape(("" if view.lang == "zh" else " ").join(lines)))
        solara.HTML(tag="div", classes=["govsim-cards"],
                    unsafe_innerHTML=cards_html(view.lang, stats, gap))
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
    return _tag("span", t("type_legend", lang), {"class": "govsim-type-legend-title"}) + \
        "".join(items)


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
            ColourToggle(lang, workshop)
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
