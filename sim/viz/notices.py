"""What the page did not use, said in one line each above everything else (in both
layouts): a lever value or seed in the address outside what the slider allows, a seed
typed in the field. The page keeps running what it had."""

from __future__ import annotations

import solara

from sim.viz.address import refusal_text
from sim.viz.session import View, input_refused


@solara.component
def Notices(view: View) -> None:
    lines = [refusal_text(r, view.lang) for r in view.start.address.refused]
    if input_refused.value is not None:
        lines.append(refusal_text(input_refused.value, view.lang))
    for line in lines:
        solara.Error(line, dense=True, classes=["govsim-value-refused"])
