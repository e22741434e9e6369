"""Taking the run out of the room: the charts and graph as PNG and the days as CSV (each
stamped with what it shows), and the moved levers saved as a new scenario file."""

from __future__ import annotations

import solara
from mesa.visualization.utils import update_counter

from sim.errors import InputError
from sim.viz.charts import draw_charts
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
