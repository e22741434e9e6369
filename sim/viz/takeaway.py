"""Taking the run out of the room: the charts and graph as PNG and the days as CSV (each
stamped with what it shows), and the moved levers saved as a new scenario file."""

from __future__ import annotations

import solara

from sim.errors import InputError
from sim.viz.charts import draw_charts
from sim.viz.download import DownloadOnClick
from sim.viz.export import caption, captioned_png, file_stem, runs_csv
from sim.viz.graph_draw import draw_graph
from sim.viz.labels import t
from sim.viz.levers import changed_levers
from sim.viz.opening import scenarios_root
from sim.viz.pictures import chart_bands, chart_inputs, graph_inputs
from sim.viz.save import save_scenario
from sim.viz.session import View, colour_by, ghost, save_message, saved_count


@solara.component
def ExportControls(view: View) -> None:
    """The charts, the graph and the days, each file named and made at the click (its
    name carries the day: :mod:`sim.viz.download`), so a step does not redraw this."""
    workshop, lang = view.workshop, view.lang
    assert workshop is not None
    reps = view.built.replicates
    scale = colour_by.value
    previous = ghost.value

    def charts_png() -> tuple[str, bytes]:
        with workshop.lock:
            inputs = chart_inputs(workshop, lang)
            bands, n = chart_bands(workshop, reps, inputs)
            fig = draw_charts(inputs, lang, bands=bands, band_seeds=n, ghost=previous)
            return (f"{file_stem(workshop)}_charts.png",
                    captioned_png(fig, caption(workshop, lang)))

    def graph_png() -> tuple[str, bytes]:
        with workshop.lock:
            fig = draw_graph(graph_inputs(workshop, lang), lang, scale)
            return (f"{file_stem(workshop)}_graph.png",
                    captioned_png(fig, caption(workshop, lang)))

    def days_csv() -> tuple[str, bytes]:
        with workshop.lock:
            return f"{file_stem(workshop)}.csv", runs_csv(workshop).encode("utf-8")

    files = (("export_png", "export_png_tip", "mdi-image", "govsim-export-png", charts_png,
              "image/png"),
             ("export_graph", "export_graph_tip", "mdi-graph", "govsim-export-graph",
              graph_png, "image/png"),
             ("export_csv", "export_csv_tip", "mdi-table", "govsim-export-csv", days_csv,
              "text/csv"))
    with solara.Card(t("export", lang), margin=0), solara.Div(classes=["govsim-export-row"]):
        for label, tip, icon, css, make, mime in files:
            with solara.Tooltip(t(tip, lang)):
                DownloadOnClick(make, mime, children=[solara.Button(
                    t(label, lang), icon_name=icon, small=True, outlined=True,
                    classes=[css])])


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
        saved_count.set(saved_count.value + 1)  # the picker lists the new file

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
