"""The figures of the batch and sweep report (matplotlib, drawn off-screen).

Daily series with 95% bands, closure-time distributions, the forest plot of paired
differences, CI half-width against replicates and the sensitivity indices; plus the
grid and colours the planning figures use too. Each function returns a figure; saving
and embedding it is :class:`sim.experiments.report_page.Figures`' job.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.experiments.report_labels import SCENARIO_LABELS, Labels, is_share
from sim.experiments.report_readers import BIN_EDGES, hist_quantile

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Color = tuple[float, float, float, float]



def grid(n: int, ncols: int = 3, w: float = 4.6, h: float = 3.2
         ) -> tuple[Figure, list[Axes]]:
    """A figure of ``n`` panels, ``ncols`` a row, each ``w`` x ``h`` inches."""
    # Figure, not pyplot: no global state, so reports can be drawn in any thread.
    from matplotlib.figure import Figure

    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(w * ncols, h * nrows), layout="constrained")
    axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(n)]
    return fig, axes


def colors_for(n: int) -> list[Color]:
    """``n`` distinct colours, one a scenario or group (tab20 beyond ten)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def fig_daily(bands: pd.DataFrame, by: str, groups: Sequence[Any], columns: Sequence[str],
              lab: Labels, name_of: Callable[[Any], str]) -> Figure:
    """One panel a daily column: each group's mean over replicates and its 95% band."""
    fig, axes = grid(len(columns), ncols=2, w=6.0, h=3.4)
    colors = colors_for(len(groups))
    for ax, col in zip(axes, columns, strict=True):
        sub = bands[bands["column"] == col]
        for color, g in zip(colors, groups, strict=True):
            s = sub[sub[by] == g].sort_values("day")
            if s.empty:
                continue
            ax.plot(s["day"], s["mean"], color=color, lw=1.2, label=name_of(g))
            ax.fill_between(s["day"], s["low"], s["high"], color=color, alpha=0.2, lw=0)
        ax.set_title(lab.outcome(col))
        ax.set_xlabel(lab.text("day", "天"))
        ax.grid(alpha=0.3)
    if axes:
        axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(lab.text("Daily series: mean and 95% band over replicates",
                          "每日序列：重复运行均值与95%置信带"))
    return fig


def fig_closure(hists: dict[Any, np.ndarray], groups: Sequence[Any], lab: Labels,
                name_of: Callable[[Any], str]) -> Figure:
    """Share resolved within so many days (CDF), and the density over the first 30."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.2), layout="constrained")
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    colors = colors_for(len(groups))
    centers = (BIN_EDGES[:-1] + BIN_EDGES[1:]) / 2
    xmax = 1.0
    for color, g in zip(colors, groups, strict=True):
        h = hists.get(g)
        if h is None or h.sum() == 0:
            continue
        cdf = np.cumsum(h) / h.sum()
        ax1.step(BIN_EDGES[1:], cdf, where="post", color=color, label=name_of(g))
        xmax = max(xmax, hist_quantile(h, 0.99))
        ax2.plot(centers[:120], h[:120] / h.sum() / 0.25, color=color, lw=1)
    ax1.set_xlim(0, xmax)
    ax1.set_ylim(0, 1)
    ax1.set_xlabel(lab.text("days from raised to resolved", "从发现到办结天数"))
    ax1.set_ylabel(lab.text("share resolved within", "累计办结比例"))
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=7, loc="lower right")
    ax2.set_xlim(0, min(30, xmax))
    ax2.set_xlabel(lab.text("days (first 30)", "天（前30天）"))
    ax2.set_ylabel(lab.text("density", "密度"))
    ax2.grid(alpha=0.3)
    fig.suptitle(lab.text("Closure-time distribution by scenario", "各情景办结时间分布"))
    return fig


def fig_forest(diffs: pd.DataFrame, outcomes: Sequence[str], scenarios: Sequence[str],
               reference: str, lab: Labels) -> Figure:
    """Paired differences from the reference with 95% CIs; red where the CI excludes 0."""
    fig, axes = grid(len(outcomes), ncols=3, w=4.8, h=0.5 + 0.42 * max(2, len(scenarios)))
    for ax, out in zip(axes, outcomes, strict=True):
        sub = diffs[diffs["outcome"] == out].set_index("scenario").reindex(scenarios)
        y = np.arange(len(scenarios))[::-1]
        mean = sub["mean_diff"].to_numpy(dtype=float)
        lo, hi = sub["ci_low"].to_numpy(dtype=float), sub["ci_high"].to_numpy(dtype=float)
        scale = 100.0 if is_share(out) else 1.0
        err = np.vstack([mean - lo, hi - mean]) * scale
        err = np.nan_to_num(err, nan=0.0)
        excl = (lo > 0) | (hi < 0)
        colors = ["#c0392b" if e else "#555555" for e in excl]
        for j in range(len(y)):
            ax.errorbar(mean[j] * scale, y[j], xerr=err[:, j:j + 1], fmt="none",
                        ecolor=colors[j], capsize=3)
        ax.scatter(mean * scale, y, c=colors, zorder=3, s=18)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels([lab.scenario(s) for s in scenarios], fontsize=7)
        unit = " (pp)" if is_share(out) else ""
        ax.set_title(lab.outcome(out) + unit, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(lab.text(f"Paired difference vs {reference} (mean, 95% CI; red: CI excludes 0)",
                          f"与{SCENARIO_LABELS.get(reference, reference)}的配对差值"))
    return fig


def fig_convergence(conv: pd.DataFrame, by: str, outcomes: Sequence[str], lab: Labels
                    ) -> Figure:
    """Median relative CI half-width against replicates, one line an outcome (log-log)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    colors = colors_for(len(outcomes))
    nmax = 2
    for color, out in zip(colors, outcomes, strict=True):
        sub = conv[conv["outcome"] == out]
        med = sub.groupby("replicates")["relative_half_width"].median().dropna()
        if med.empty:
            continue
        nmax = max(nmax, int(med.index.max()))
        ax.plot(med.index, med.to_numpy() * 100, marker="o", color=color,
                label=lab.outcome(out, short=False))
    ax.set_xlabel(lab.text("replicates", "重复次数"))
    ax.set_ylabel(lab.text("CI half-width, % of mean (median over groups)",
                           "置信区间半宽/均值 (%)"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="best")
    fig.suptitle(lab.text("Are there enough replicates? (half-width falls as 1/√n)",
                          "重复次数是否足够"))
    return fig


def fig_sensitivity(sens: pd.DataFrame, kind: str, outcomes: Sequence[str], lab: Labels
                    ) -> Figure:
    """One panel an outcome: Sobol S1/ST, Morris mu*/sigma or Spearman rho by parameter."""
    fig, axes = grid(len(outcomes), ncols=3, w=4.6, h=3.4)
    for ax, out in zip(axes, outcomes, strict=True):
        sub = sens[sens["outcome"] == out]
        names = list(sub["parameter"])
        x = np.arange(len(names))
        if kind == "sobol":
            ax.bar(x - 0.2, sub["S1"], 0.4, yerr=sub["S1_conf"], capsize=2, label="S1")
            ax.bar(x + 0.2, sub["ST"], 0.4, yerr=sub["ST_conf"], capsize=2, label="ST")
            ax.set_ylabel(lab.text("Sobol index", "Sobol指数"))
        elif kind == "morris":
            ax.bar(x - 0.2, sub["mu_star"], 0.4, yerr=sub["mu_star_conf"], capsize=2,
                   label="μ*")
            ax.bar(x + 0.2, sub["sigma"], 0.4, label="σ")
            ax.set_ylabel(lab.text("elementary effect (unit range)", "基本效应"))
        else:
            ax.bar(x, sub["spearman_rho"], 0.6, label="Spearman ρ")
            ax.axhline(0, color="black", lw=0.8)
            ax.set_ylabel(lab.text("rank correlation", "秩相关"))
        ax.set_xticks(x)
        ax.set_xticklabels([n.split(".")[-1] for n in names], rotation=30, ha="right",
                           fontsize=7)
        ax.set_title(lab.outcome(out), fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    if axes:
        axes[0].legend(fontsize=7)
    title = {"sobol": ("Sobol' indices (S1 first order, ST total; 95% CI)", "Sobol敏感性指数"),
             "morris": ("Morris screening (μ*, σ; 95% CI on μ*)", "Morris筛选"),
             }.get(kind, ("Rank correlation of parameters with outcomes", "参数与结果的秩相关"))
    fig.suptitle(lab.text(*title))
    return fig
