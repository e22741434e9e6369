"""A city's own work orders (工单) in: read a 12345 / 311 export, clean it, fit it.

``govsim fit-orders EXPORT... --out DIR`` reads an export (:mod:`sim.orders.read`),
recognises its columns (:mod:`sim.orders.shapes`), lists every row it does not use
(:mod:`sim.orders.clean`), fits arrivals, the share settled on the call and closure
times (:mod:`sim.orders.fit`), maps the export's categories to the scenario's
(:mod:`sim.orders.categories`), optionally runs the fitted scenario against the data
(:mod:`sim.orders.check`) and writes a scenario, ``fit.json``, ``cleaning.csv`` and a
bilingual report atomically (:mod:`sim.orders.write`). See ``docs/orders.md``.
"""
