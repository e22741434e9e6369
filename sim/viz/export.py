"""Export: the current charts as PNG, the run's day-by-day data as CSV."""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.figure import Figure

from sim.viz.compare import Workshop

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def figure_png(fig: Figure, dpi: int = 130, tight: bool = True) -> bytes:
    """A matplotlib figure as PNG bytes (``tight`` trims margins, at twice the cost)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None,
                facecolor="white")
    return buf.getvalue()


def runs_frame(workshop: Workshop) -> pd.DataFrame:
    """Every run's daily rows, with the run's role, scenario and seed in front."""
    parts = []
    for run, frame in workshop.frames():
        f = frame.copy()
        f.insert(0, "seed", workshop.seed)
        f.insert(0, "scenario", run.scenario.name)
        f.insert(0, "run", run.role)
        parts.append(f)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def runs_csv(workshop: Workshop) -> str:
    """The CSV the page offers for download."""
    return runs_frame(workshop).to_csv(index=False)


def file_stem(workshop: Workshop) -> str:
    """A download's file name without extension: scenario(s), seed and day."""
    names = "_vs_".join(run.scenario.name for run in reversed(workshop.runs))
    return f"govsim_{names}_seed{workshop.seed}_day{workshop.day}"
