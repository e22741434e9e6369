"""The workshop page: the model in a browser, bilingual, with levers and side-by-side compare.

``govsim viz [SCENARIO.toml]`` serves :mod:`sim.viz.app` with Solara on 127.0.0.1.
Nothing here is imported by the model; this package imports the model. Solara is
imported only by :mod:`sim.viz.app` and the page's parts it composes (session, opening,
play, choosers, run_controls, lever_panel, takeaway, headline, pictures, working_view,
presentation; and by the server it starts), so the CLI and the pure modules (labels,
levers, picker, graph layout, charts, cards, export) load without it.
"""
