"""Choosing what the page shows: the language (app bar), the scenario (a dropdown and the
presets, with the address's refusals), and the baseline to compare with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solara

from sim.viz.labels import LANG_NAMES, LANGS, scenario_title, t
from sim.viz.opening import DEFAULT_SCENARIO
from sim.viz.session import (
    View,
    baseline_name,
    comparing,
    language,
    lever_edits,
    playing,
    scenario_name,
)


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
def CompareControls(view: View) -> None:
    lang = view.lang
    with solara.Card(t("compare", lang), margin=0):
        with solara.Tooltip(t("compare_tip", lang)):
            solara.Switch(label=t("compare_on", lang), value=view.comparing,
                          on_value=comparing.set, classes=["govsim-compare"])
        if view.comparing and view.names:
            ScenarioSelect(t("baseline_scenario", lang), view.names, view.base,
                           baseline_name.set, lang, "govsim-baseline")
