"""The live charts: open issues, on-time share, incidents, worker hours, mean trust.

One matplotlib figure with a panel per chart (or one chart, in presentation mode), drawn
from the runs' daily frames (``model.daily_frame()``). Comparing, the baseline is dashed
and the changed run solid, in the same colours, so the gap between the lines is the
difference; the background seeds give a band (their range) around the changed run,
and the previous run, after a lever moved, stays as a faint line. Axis limits grow in
steps (:func:`x_extent`, :func:`y_limits`) so that the page can redraw only the lines
between steps (:mod:`sim.viz.live`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.viz.labels import t
from sim.viz.replicates import BAND

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
PANEL_KEYS: tuple[str, ...] = tuple(p[0] for p in PANELS)
PANEL_BY_KEY: dict[str, tuple[str, str, str]] = {p[0]: p for p in PANELS}
HOUR_KEYS: frozenset[str] = frozenset(h[0] for h in HOURS)
GHOST_STYLE: dict[str, Any] = {"linestyle": "-", "alpha": 0.3, "linewidth": 1.0}


def chart_series(frame: pd.DataFrame, workers: int | None = None) -> dict[str, pd.Series]:
    """The series each panel plots, indexed by the day as the page counts it: the row of
    day index 0 (the first simulated day) is day 1, so after "day 20" the lines end at 20,
    as the cards and the CSV's ``page_day`` do."""
    if frame.empty:
        return {}
    f = frame.set_index(frame["day"] + 1) if "day" in frame.columns else frame
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


BandSpec = tuple[np.ndarray, np.ndarray, np.ndarray]  # days, low, high


def series_bands(frames: Sequence[pd.DataFrame], day: int,
                 workers: int | None = None) -> dict[str, BandSpec]:
    """The band of the seeds' series per panel (single-line panels) over the first
    ``day`` days (the rows a run has after ``day`` steps)."""
    per_key: dict[str, list[pd.Series]] = {}
    for frame in frames:
        f = frame[frame["day"] < day] if "day" in frame.columns else frame.iloc[:day]
        for key, s in chart_series(f, workers).items():
            if key in PANEL_KEYS and key != "chart_hours":
                per_key.setdefault(key, []).append(s)
    out: dict[str, BandSpec] = {}
    for key, parts in per_key.items():
        table = pd.concat(parts, axis=1)
        values = table.to_numpy(dtype=float)
        ok = np.isfinite(values).sum(axis=1) > 0
        if not ok.any():
            continue
        with np.errstate(all="ignore"):
            lo = np.nanpercentile(values[ok], BAND[0], axis=1)
            hi = np.nanpercentile(values[ok], BAND[1], axis=1)
        out[key] = (table.index.to_numpy()[ok], lo, hi)
    return out


def _nice_ceil(x: float) -> float:
    """The next of 1, 2, 2.5, 5 x 10^k at or above ``x`` (at least 1)."""
    if not np.isfinite(x) or x <= 1.0:
        return 1.0
    mag = 10.0 ** np.floor(np.log10(x))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * mag >= x - 1e-9:
            return float(m * mag)
    return float(10 * mag)


def x_extent(day: int, days: int) -> float:
    """The x-axis end: grows in steps (10, 30, 60, 90, 180, 365, ...), so the axes are
    redrawn only when a step is crossed, never past the scenario's last day."""
    for end in (10, 30, 60, 90, 180, 365, 730, 1095, 1825, 3650):
        if day <= end:
            return float(min(end, max(days, 1)))
    return float(max(days, day))


def y_limits(values: dict[str, list[np.ndarray]]) -> dict[str, tuple[float, float]]:
    """Axis limits per panel with headroom, rounded so they rarely change."""
    out: dict[str, tuple[float, float]] = {}
    for key in PANEL_KEYS:
        arrays = [a[np.isfinite(a)] for a in values.get(key, []) if len(a)]
        arrays = [a for a in arrays if len(a)]
        if key == "chart_on_time":
            out[key] = (0.0, 1.02)
        elif key == "chart_trust":
            if arrays:
                lo = min(float(a.min()) for a in arrays)
                hi = max(float(a.max()) for a in arrays)
                lo, hi = np.floor(lo / 0.05) * 0.05 - 0.05, np.ceil(hi / 0.05) * 0.05 + 0.05
                out[key] = (max(0.0, float(lo)), min(1.0, float(hi)))
            else:
                out[key] = (0.0, 1.0)
        else:
            top = max((float(a.max()) for a in arrays), default=0.0)
            out[key] = (0.0, _nice_ceil(top * 1.2))
    return out


def limits_cover(limits: dict[str, tuple[float, float]],
                 values: dict[str, list[np.ndarray]]) -> bool:
    """Whether every value fits inside the drawn limits."""
    for key, arrays in values.items():
        lo, hi = limits.get(key, (-np.inf, np.inf))
        for a in arrays:
            a = a[np.isfinite(a)]
            if len(a) and (a.min() < lo - 1e-9 or a.max() > hi + 1e-9):
                return False
    return True


def panel_values(series: Sequence[dict[str, pd.Series]],
                 bands: dict[str, BandSpec] | None = None) -> dict[str, list[np.ndarray]]:
    """Every value each panel shows (for its limits)."""
    out: dict[str, list[np.ndarray]] = {}
    for s in series:
        for key, v in s.items():
            panel = "chart_hours" if key in HOUR_KEYS else key
            out.setdefault(panel, []).append(v.to_numpy(dtype=float))
    for key, (_, lo, hi) in (bands or {}).items():
        out.setdefault(key, []).extend([lo, hi])
    return out


def draw_charts(runs: Sequence[tuple[str, pd.DataFrame, int | None]], lang: str,
                figsize: tuple[float, float] = (11.0, 5.6), *,
                panels: Sequence[str] | None = None, xmax: float | None = None,
                limits: dict[str, tuple[float, float]] | None = None,
                bands: dict[str, BandSpec] | None = None, band_seeds: int = 0,
                ghost: tuple[str, pd.DataFrame, int | None] | None = None,
                animated: bool = False, text_size: float | None = None,
                margins: tuple[float, float, float, float] | None = None) -> Figure:
    """Charts for one run or a baseline and a changed run (role, daily frame, workers).

    ``panels``: which charts (all, in a 2x3 grid with a legend panel; one: a single
    chart). ``bands``: the seeds' range around the changed (or only) run.
    ``ghost``: the previous run (label, frame, workers), drawn as a faint line.
    ``animated``: lines and bands are left out of a plain draw (the page blits them).
    ``text_size``: every label in points (the projector's large type; title 2 pt more),
    with ``margins`` (left, bottom, right, top as figure fractions) to make room for it.
    The artists are kept in ``fig.govsim_lines`` / ``fig.govsim_bands`` by (role, key).
    """
    keys = list(panels) if panels else list(PANEL_KEYS)
    single = len(keys) == 1
    # A fixed layout (no layout engine): drawing stays fast enough to redraw every frame.
    fig = Figure(figsize=figsize)
    if single:
        left, bottom, right, top = margins or (0.1, 0.14, 0.96, 0.88)
        axes = [fig.add_axes((left, bottom, right - left, top - bottom))]
    else:
        axes = list(fig.subplots(2, 3).ravel())
        fig.subplots_adjust(left=0.06, right=0.99, top=0.94, bottom=0.09, wspace=0.3,
                            hspace=0.45)
    series = [(role, chart_series(frame, workers)) for role, frame, workers in runs]
    ghost_series = chart_series(ghost[1], ghost[2]) if ghost is not None else {}
    empty = all(not s for _, s in series)
    if limits is None:
        limits = y_limits(panel_values([s for _, s in series] + [ghost_series], bands))
    fig.govsim_lines = {}  # type: ignore[attr-defined]
    fig.govsim_bands = {}  # type: ignore[attr-defined]
    fig.govsim_axes = {}  # type: ignore[attr-defined]
    main_role = "changed" if any(r == "baseline" for r, _ in series) else "run"
    for ax, key in zip(axes, keys, strict=False):
        _, ylabel, colour = PANEL_BY_KEY[key]
        fig.govsim_axes[key] = ax
        title = t(key, lang)
        if key == "chart_hours" and not any(w for *_, w in runs):
            title = t("chart_hours_total", lang)
        size = text_size or (10 if single else 8)
        ax.set_title(title, fontsize=size + 2 if text_size else (13 if single else 10), y=1.0)
        ax.set_xlabel(t("axis_day", lang), fontsize=size)
        ax.set_ylabel(t(ylabel, lang), fontsize=size)
        ax.tick_params(labelsize=text_size or (9 if single else 7))
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(4, integer=ylabel == "axis_issues"))
        ax.grid(alpha=0.25)
        if key == "chart_hours":
            for column, _, hcolour in HOURS:
                if column in ghost_series:
                    ax.plot(ghost_series[column].index, ghost_series[column].to_numpy(),
                            color=hcolour, **GHOST_STYLE)
        elif key in ghost_series:
            ax.plot(ghost_series[key].index, ghost_series[key].to_numpy(), color=colour,
                    **GHOST_STYLE)
        if bands and key in bands:
            x, lo, hi = bands[key]
            fig.govsim_bands[(main_role, key)] = ax.fill_between(
                x, lo, hi, color=colour, alpha=0.18, linewidth=0, animated=animated)
        for role, s in series:
            style = RUN_STYLE[role]
            if key == "chart_hours":
                for column, label_key, hcolour in HOURS:
                    if column in s:
                        (line,) = ax.plot(s[column].index, s[column].to_numpy(),
                                          color=hcolour, label=t(label_key, lang),
                                          animated=animated, **style)
                        fig.govsim_lines[(role, column)] = line
            elif key in s:
                (line,) = ax.plot(s[key].index, s[key].to_numpy(), color=colour,
                                  animated=animated, **style)
                fig.govsim_lines[(role, key)] = line
        ax.set_ylim(*limits.get(key, (0.0, 1.0)))
        if xmax is not None:
            ax.set_xlim(0, xmax)
        elif empty:
            ax.set_xlim(0, 1)
    entries = []
    if "chart_hours" in keys:
        handles, labels = fig.govsim_axes["chart_hours"].get_legend_handles_labels()
        entries = list(dict(zip(labels, handles, strict=True)).items())
    roles = [role for role, _ in series]
    grey = "#555555"
    if "baseline" in roles:
        entries.append((t("baseline", lang), Line2D([], [], color=grey, linestyle="--")))
        entries.append((t("changed", lang), Line2D([], [], color=grey, linestyle="-")))
    if bands:
        entries.append((t("band_label", lang, n=band_seeds),
                        Patch(facecolor=grey, alpha=0.25, linewidth=0)))
    if ghost is not None:
        entries.append((ghost[0], Line2D([], [], color=grey, **GHOST_STYLE)))
    if single:
        if entries:
            axes[0].legend([h for _, h in entries], [lab for lab, _ in entries],
                           loc="upper left", fontsize=text_size or 10, frameon=False)
        if empty:
            axes[0].text(0.5, 0.5, t("no_data", lang), ha="center", va="center",
                         fontsize=text_size or 11, transform=axes[0].transAxes, color="#777777")
        return fig
    legend_ax = axes[-1]
    legend_ax.axis("off")
    if entries:
        legend_ax.legend([h for _, h in entries], [lab for lab, _ in entries], loc="center",
                         fontsize=9, frameon=False)
    if empty:
        legend_ax.text(0.5, 0.02, t("no_data", lang), ha="center", va="center", fontsize=9,
                       transform=legend_ax.transAxes, color="#777777")
    return fig


def last_values(frame: pd.DataFrame) -> dict[str, float]:
    """The latest value of each chart series (for tests and the page's live numbers)."""
    s = chart_series(frame)
    return {k: float(v.iloc[-1]) for k, v in s.items() if len(v) and np.isfinite(v.iloc[-1])}
