"""The page's own HTML: escaped tags for the pieces drawn as one HTML string (cards,
outcomes, legend: one widget update a day instead of one per cell), and its stylesheet."""

from __future__ import annotations

import html


def tag(name: str, text: str, attrs: dict[str, str] | None = None) -> str:
    """An HTML element with escaped text (labels and file names are never markup)."""
    extra = "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in (attrs or {}).items())
    return f"<{name}{extra}>{html.escape(text)}</{name}>"


CSS = """
/* Solara's busy bar (shown while the server takes over 0.3 s) keeps still: its sliding
   animation repainted every page 60 times a second while it waited, half of Chromium's
   work a click with eight tables stepping at once (docs/workshop.md) */
.v-application--wrap > .v-progress-linear .v-progress-linear__indeterminate > div {
  animation: none !important; left: 0 !important; right: 0 !important; }
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
/* The pictures' box is as tall as the window leaves it (set by the browser as the text
   above grows, sim.viz.browser.PictureBox); the pictures fit inside it at once, and are
   redrawn at the new size a moment later: nothing ever reaches past the window. */
.govsim-present-pictures { display: flex; gap: 10px; align-items: stretch; width: 100%;
  overflow: hidden; }
.govsim-present-column { min-width: 0; min-height: 0; display: flex;
  flex-direction: column; }
.govsim-present-column > .govsim-svg { flex: 1 1 0; min-height: 0; }
.govsim-svg svg { display: block; width: 100%; height: 100%; }
.govsim-present-legend { display: flex; flex-wrap: wrap; gap: 0 14px; font-size: 17px;
  line-height: 1.3; flex: none; }
.govsim-legend-item { white-space: nowrap; }
.govsim-legend-mark { margin-right: 3px; }
.govsim-present .govsim-card-interval { font-size: 0.9em; }
.govsim-card-change, .govsim-card-what, .govsim-card-label { word-break: keep-all;
  overflow-wrap: normal; }
.govsim-verdict { white-space: nowrap; }
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
