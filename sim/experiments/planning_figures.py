"""The figures of the planning pages: the Pareto front, its levers, the search's
convergence, and a PRIM box over the futures that fail.

Drawn with the same grid and labels as the batch report's figures, so the pages look
alike; each function returns a figure for :class:`sim.experiments.report_page.Figures`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.experiments.report_figures import grid
from sim.experiments.report_labels import (
    EXTRA_OUTCOMES,
    OUTCOME_LABELS,
    Labels,
    outcome_label,
    param_label,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def fig_pareto(pareto: pd.DataFrame, objectives: list[str], lab: Labels) -> Figure:
    """The first goal against each other goal, coloured by the third (or the second)."""
    x = objectives[0]
    others = objectives[1:]
    fig, axes = grid(len(others), ncols=min(3, len(others)))
    color_by = objectives[2] if len(objectives) > 2 else objectives[1]
    for ax, y in zip(axes, others, strict=True):
        c = ax.scatter(pareto[x], pareto[y], c=pareto[color_by], cmap="viridis", s=28,
                       edgecolors="k", linewidths=0.3)
        ax.set_xlabel(_bi(x, lab))
        ax.set_ylabel(_bi(y, lab))
        ax.grid(alpha=0.3)
    fig.colorbar(c, ax=axes, label=outcome_label(color_by))
    return fig


def _bi(key: str, lab: Labels) -> str:
    """An outcome in English and, if shown and known, Chinese."""
    zh = outcome_label(key, True)
    return f"{outcome_label(key)} {zh}" if lab.cjk and zh != key.replace("_", " ") \
        else outcome_label(key)


def fig_parallel(pareto: pd.DataFrame, cols: list[str], lab: Labels) -> Figure:
    """Parallel coordinates: each Pareto policy's levers and goals, scaled 0-1."""
    from matplotlib import colormaps

    fig, axes = grid(1, ncols=1, w=max(6.0, 1.4 * len(cols)), h=3.6)
    ax = axes[0]
    data = pareto[cols].to_numpy(dtype=float)
    lo, hi = np.nanmin(data, axis=0), np.nanmax(data, axis=0)
    scaled = (data - lo) / np.where(hi > lo, hi - lo, 1.0)
    # Coloured by the last column (the last goal), so one goal's trade-off can be traced.
    order = np.argsort(data[:, len(cols) - 1]) if len(cols) else []
    cmap = colormaps["viridis"]
    for rank, i in enumerate(order):
        ax.plot(range(len(cols)), scaled[i], color=cmap(rank / max(len(order) - 1, 1)),
                alpha=0.7, lw=1.2)
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels([outcome_label(c) if c in OUTCOME_LABELS or c in EXTRA_OUTCOMES
                        else param_label(c) for c in cols], rotation=20, ha="right",
                       fontsize=8)
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)
    return fig


def fig_search_convergence(conv: pd.DataFrame, lab: Labels) -> Figure:
    """Epsilon progress and hypervolume against the evaluations of the search."""
    fig, axes = grid(2, ncols=2, w=4.6, h=3.0)
    d = conv.dropna(subset=["epsilon_progress"]) if "epsilon_progress" in conv else conv
    axes[0].plot(d["nfe"], d.get("epsilon_progress", np.nan), marker="o", ms=3)
    axes[0].set_xlabel(lab.text("evaluations", "评估次数"))
    axes[0].set_ylabel(lab.text("epsilon progress", "ε进展"))
    h = conv.dropna(subset=["hypervolume"]) if "hypervolume" in conv else conv.iloc[0:0]
    axes[1].plot(h["nfe"], h["hypervolume"], marker="o", ms=3, color="tab:green")
    axes[1].set_xlabel(lab.text("evaluations", "评估次数"))
    axes[1].set_ylabel(lab.text("hypervolume", "超体积"))
    for ax in axes:
        ax.grid(alpha=0.3)
    return fig


def fig_box(table: pd.DataFrame, conditions: list[str], group: pd.DataFrame,
            bad: np.ndarray, lab: Labels) -> Figure | None:
    """The futures over two conditions of PRIM's first box (failures ``bad`` in red),
    with the box drawn; ``None`` if there is no box or fewer than two conditions."""
    box1 = group[group["box"] == 1]
    if box1.empty:
        return None
    parts = [p.strip() for p in str(box1["limits"].iloc[0]).split(";") if p.strip()]
    keys = [p.split(" ")[0] for p in parts][:2]
    if len(keys) < 2:  # a box on one condition is drawn against the next one sampled
        rest = [k for k in conditions if k not in keys]
        keys += rest[: 2 - len(keys)]
    if len(keys) < 2:
        return None
    fig, axes = grid(1, ncols=1, w=5.2, h=4.0)
    ax = axes[0]
    ax.scatter(table.loc[~bad, keys[0]], table.loc[~bad, keys[1]], s=10, c="tab:blue",
               alpha=0.5, label=lab.text("no failure", "未失效"))
    ax.scatter(table.loc[bad, keys[0]], table.loc[bad, keys[1]], s=14, c="tab:red",
               marker="x", label=lab.text("failure", "失效"))
    lims = _box_limits(parts, {k: [float(table[k].min()), float(table[k].max())]
                               for k in keys})
    from matplotlib.patches import Rectangle

    (x0, x1), (y0, y1) = lims[keys[0]], lims[keys[1]]
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="k", lw=1.5, ls="--"))
    ax.set_xlabel(param_label(keys[0]) + (f"\n{param_label(keys[0], True)}" if lab.cjk else ""))
    ax.set_ylabel(param_label(keys[1]) + (f"\n{param_label(keys[1], True)}" if lab.cjk else ""))
    ax.legend(fontsize=8)
    return fig


def _box_limits(parts: list[str], lims: dict[str, list[float]]) -> dict[str, list[float]]:
    """The sampled ranges ``lims``, narrowed by the box's limits (``key in [lo, hi]``,
    ``key >= lo``, ``key <= hi``) on the keys drawn."""
    for p in parts:
        k = p.split(" ")[0]
        if k not in lims:
            continue
        if " in [" in p:
            lo, hi = p.split(" in [", 1)[1].rstrip("]").split(", ")
            lims[k] = [float(lo), float(hi)]
        elif " >= " in p:
            lims[k][0] = float(p.split(" >= ")[1])
        elif " <= " in p:
            lims[k][1] = float(p.split(" <= ")[1])
    return lims


__all__ = ["fig_box", "fig_parallel", "fig_pareto", "fig_search_convergence"]
