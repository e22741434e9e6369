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

This module only composes the page from its parts, each with one job: the session's
state (:mod:`~sim.viz.session`), what the address opens (:mod:`~sim.viz.opening`),
running the day (:mod:`~sim.viz.play`), the sidebar's cards (:mod:`~sim.viz.choosers`,
:mod:`~sim.viz.run_controls`, :mod:`~sim.viz.lever_panel`, :mod:`~sim.viz.takeaway`), and
the two layouts (:mod:`~sim.viz.working_view`, :mod:`~sim.viz.presentation`) built from
the headline (:mod:`~sim.viz.headline`) and the pictures (:mod:`~sim.viz.pictures`). The
names this module has always offered (``startup``, ``cards_html``…) still import from here.
"""

from __future__ import annotations

import solara
import solara.lab

from sim.viz import serving
from sim.viz.address import make_query
from sim.viz.browser import AddressBar, BrowserLanguages, KeyShortcuts
from sim.viz.choosers import CompareControls, LanguageSwitch, ScenarioPicker, ScenarioSelect
from sim.viz.headline import (
    StoryAndCards,
    cards_html,
    current_cards,
    current_gap,
    gap_card_html,
    story_lines,
)
from sim.viz.labels import pick_language, t
from sim.viz.lever_panel import (
    LeverControls,
    LeverSlider,
    ProtectDialogs,
    request_edits,
    snapshot,
)
from sim.viz.levers import changed_levers
from sim.viz.markup import CSS
from sim.viz.notices import Notices
from sim.viz.opening import (
    DEFAULT_SCENARIO,
    Built,
    Startup,
    build,
    load_picked,
    page_name,
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
from sim.viz.run_controls import RunControls
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
from sim.viz.table_panel import TablePanel, page_table, use_table
from sim.viz.takeaway import ExportControls, SaveControls
from sim.viz.working_view import Outcomes, Views, outcomes_html

use_page_style()
serving.install()  # count sessions; free a closed session's memory

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
    table = page_table(view)  # a room's table: pushes, cost and budget, submit
    use_table(view, table)
    key_counts = solara.use_memo(dict, dependencies=[])  # the presses already acted on
    KeyShortcuts.element(on_pressed=key_handler(workshop, chosen.presenting, key_counts))
    overrides = changed_levers(built.scenario, chosen.edits) if built.scenario is not None \
        else {}
    AddressBar.element(query=make_query(
        chosen.current, lang, workshop.seed if workshop is not None else chosen.seed,
        overrides, chosen.base if chosen.comparing else None,
        "present" if chosen.presenting else "page", table))
    solara.Style(CSS)
    solara.Title(t("title", lang))
    with solara.AppBar():
        solara.AppBarTitle(children=[t("title", lang)])
        LanguageSwitch(lang)
    ProtectDialogs(view)
    if not chosen.presenting:
        with solara.Sidebar(), solara.Column(gap="8px", style={"width": "370px"}):
            if table:
                TablePanel(view, table)
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
        Notices(view)
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
