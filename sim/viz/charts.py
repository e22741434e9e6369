"""The live charts: open issues, on-time share, incidents, worker hours, mean trust.

One matplotlib figure with a panel per chart, drawn from the runs' daily frames
(``model.daily_frame()``). Comparing, the baseline is dashed and the changed run solid,
in the same colours, so the gap between the lines is the difference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.viz.labels import t

RUN_STYLE: dict[str, dict[str, Any]] = {
    "run": {"linestyle": "-", "alpha": 1.0},
    "changed": {"linestyle": "-", "alpha": 1.0},
    "baseline": {"linestyle": "--", "alpha": 0.8},
}
HOURS: tuple[tuple[str, str, str], ...] = (
    ("admin_hours", "hours_admin", "#d62728"),
    ("case_hours", "hours_case", "#1f77b4"),
    ("patrol_hours", "hours_patrol", "#2ca02c"),
)
# (chart label, y-axis label, colour)
PANELS: tuple[tuple[str, str, str], ...] = (
    ("chart_open", "axis_issues", "#e6550d"),
    ("chart_on_time", "axis_share", "#3182bd"),
    ("chart_incidents", "axis_issues", "#756bb1"),
    ("chart_hours", "axis_hours", "#000000"),
    ("chart_trust", "axis_trust", "#31a354"),
)


def chart_series(frame: pd.DataFrame, workers: int | None = None) -> dict[str, pd.Series]:
    """The series each panel plots, indexed by day."""
    if frame.empty:
        return {}
    f = frame.set_index("day") if "day" in frame.columns else frame
    out: dict[str, pd.Series] = {"chart_open": f["open"].astype(float)}
    if "on_time_share" in f.columns:  # the model's own running share
        out["chart_on_time"] = f["on_time_share"].astype(float)
    elif {"resolved_on_time", "resolved_late"} <= set(f.columns):
        on_time = f["resolved_on_time"].cumsum().astype(float)
        total = on_time + f["resolved_late"].cumsum()
        out["chart_on_time"] = (on_time / total.where(total > 0)).astype(float)
    out["chart_incidents"] = f["incidents"].cumsum().astype(float)
    per = float(workers) if workers else 1.0
    for column, _, _ in HOURS:
        if column in f.columns:  # a 7-day mean: weekends would make the lines saw-toothed
            out[column] = (f[column].astype(float) / per).rolling(7, min_periods=1).mean()
    out["chart_trust"] = f["mean_trust"].astype(float)
    return out


def draw_charts(runs: Sequence[tuple[str, pd.DataFrame, int | None]], lang: str,
                figsize: tuple[float, float] = (11.0, 5.6)) -> Figure:
    """Charts for one run or a baseline and a changed run (role, daily frame, workers)."""
    # A fixed layout (no layout engine): drawing stays fast enough to redraw every frame.
    fig = Figure(figsize=figsize)
    axes = fig.subplots(2, 3).ravel()
    fig.subplots_adjust(left=0.06, right=0.99, top=0.94, bottom=0.09, wspace=0.3, hspace=0.45)
    series = [(role, chart_series(frame, workers)) for role, frame, workers in runs]
    empty = all(not s for _, s in series)
    for ax, (key, ylabel, colour) in zip(axes, PANELS, strict=False):
        title = t(key, lang)
        if key == "chart_hours" and not any(w for *_, w in runs):
            title = t("chart_hours_total", lang)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(t("axis_day", lang), fontsize=8)
        ax.set_ylabel(t(ylabel, lang), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(4, integer=ylabel == "axis_issues"))
        ax.grid(alpha=0.25)
        for role, s in series:
            style = RUN_STYLE[role]
            if key == "chart_hours":
                for column, label_key, hcolour in HOURS:
                    if column in s:
                        ax.plot(s[column].index, s[column].to_numpy(), color=hcolour,
                                label=t(label_key, lang), **style)
            elif key in s:
                ax.plot(s[key].index, s[key].to_numpy(), color=colour, **style)
        if key == "chart_on_time":
            ax.set_ylim(0, 1.02)
        elif key == "chart_trust":
            lows = [float(s[key].min()) for _, s in series if key in s and len(s[key])]
            highs = [float(s[key].max()) for _, s in series if key in s and len(s[key])]
            if lows:
                mid = (min(lows) + max(highs)) / 2
                half = max((max(highs) - min(lows)) / 2 * 1.2, 0.025)
                ax.set_ylim(max(0.0, mid - half), min(1.0, mid + half))
        else:
            ax.set_ylim(0, max(ax.get_ylim()[1], 1.0))
        if empty:
            ax.set_xlim(0, 1)
    legend_ax = axes[-1]
    legend_ax.axis("off")
    handles, labels = axes[3].get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    entries = list(unique.items())
    roles = [role for role, _ in series]
    if "baseline" in roles:
        entries.append((t("baseline", lang), Line2D([], [], color="#555555", linestyle="--")))
        entries.append((t("changed", lang), Line2D([], [], color="#555555", linestyle="-")))
    if entries:
        legend_ax.legend([h for _, h in entries], [lab for lab, _ in entries], loc="center",
                         fontsize=9, frameon=False)
    if empty:
        legend_ax.text(0.5, 0.1, t("no_data", lang), ha="center", va="center", fontsize=9,
                       transform=legend_ax.transAxes, color="#777777")
    return fig


def last_values(frame: pd.DataFrame) -> dict[str, float]:
    """The latest value of each chart series (for tests and the page's live numbers)."""
    s = chart_series(frame)
    return {k: float(v.iloc[-1]) for k, v in s.items() if len(v) and np.isfinite(v.iloc[-1])}
