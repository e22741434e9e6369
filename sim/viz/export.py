"""Export: the current charts and graph as PNG, the run's day-by-day data as CSV.

Every export says what it shows: the file name carries the scenario(s), the levers moved
(``workers_per_10k-30``), the seed and the day; the CSV has ``run``, ``scenario``,
``levers_changed`` and ``seed`` columns and ``page_day`` (the day as the page names
it, 1..D, beside the tables' ``day`` index 0..D-1); the PNGs carry a caption line in the page's
language with the same facts.
"""

from __future__ import annotations

import io
import re

import pandas as pd
from matplotlib.figure import Figure

from sim.viz.compare import Workshop
from sim.viz.labels import scenario_title, t

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def figure_png(fig: Figure, dpi: int = 130, tight: bool = True,
               description: str | None = None) -> bytes:
    """A matplotlib figure as PNG bytes (``tight`` trims margins, at twice the cost);
    ``description`` also goes into the PNG's own text field (``Description``)."""
    buf = io.BytesIO()
    meta = {"Software": "govsim", **({"Description": description} if description else {})}
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None,
                facecolor="white", metadata=meta)
    return buf.getvalue()


def levers_text(workshop: Workshop, sep: str = "; ") -> str:
    """The moved levers as ``key=value`` (empty when none moved)."""
    return sep.join(f"{k}={v:g}" for k, v in workshop.edits.items())


def runs_frame(workshop: Workshop) -> pd.DataFrame:
    """Every run's daily rows, with the run's role, scenario, moved levers and seed."""
    parts = []
    moved = levers_text(workshop)
    for run, frame in workshop.frames():
        f = frame.copy()
        if "day" in f.columns:  # the page's "day 20" is the 20th row (day index 19)
            f.insert(int(f.columns.get_loc("day")) + 1, "page_day", f["day"] + 1)
        f.insert(0, "seed", workshop.seed)
        f.insert(0, "levers_changed", "" if run.role == "baseline" else moved)
        f.insert(0, "scenario", run.scenario.name)
        f.insert(0, "run", run.role)
        parts.append(f)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def runs_csv(workshop: Workshop) -> str:
    """The CSV the page offers for download."""
    return runs_frame(workshop).to_csv(index=False)


def _safe(text: str) -> str:
    return re.sub(r"[^\w.+-]+", "_", text).strip("_")


def file_stem(workshop: Workshop) -> str:
    """A download's file name without extension: scenario (with moved levers), baseline,
    seed and day, e.g. ``govsim_nanjing_baseline+workers_per_10k-30_vs_nanjing_baseline_
    seed1_day12``."""
    moved = "".join(f"+{k.rpartition('.')[2]}-{v:g}" for k, v in workshop.edits.items())
    names = []
    for run in reversed(workshop.runs):
        names.append(run.scenario.name + ("" if run.role == "baseline" else moved))
    return _safe(f"govsim_{'_vs_'.join(names)}_seed{workshop.seed}_day{workshop.day}")


def caption(workshop: Workshop, lang: str) -> str:
    """One line saying what a picture shows (scenario, baseline, moved levers, seed, day)."""
    main = workshop.runs[-1].scenario.name
    levers = levers_text(workshop) or t("levers_none", lang)
    fields = {"scenario": scenario_title(main, lang), "levers": levers,
              "seed": workshop.seed, "day": workshop.day}
    if workshop.comparing:
        base = scenario_title(workshop.runs[0].scenario.name, lang)
        return t("caption_compare", lang, baseline=base, **fields)
    return t("caption", lang, **fields)


def captioned_png(fig: Figure, text: str, dpi: int = 130) -> bytes:
    """The figure as PNG with ``text`` as a caption line below it."""
    fig.text(0.01, -0.01, text, ha="left", va="top", fontsize=9, color="#333333")
    return figure_png(fig, dpi=dpi, tight=True, description=text)
