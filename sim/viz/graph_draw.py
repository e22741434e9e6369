"""Drawing the community graph (the layout and the values are :mod:`sim.viz.graph_view`'s):
one panel per run on one colour scale, the places, the workers and riders beside them,
and a legend of what the marks are. :class:`GraphText` sets the text sizes, so the
projector (:mod:`sim.viz.projector`) can draw the same picture with large type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.viz.graph_view import (
    MAX_AGENT_MARKERS,
    OPEN_CMAP,
    OTHER_TYPE_COLOUR,
    SERVICE_KINDS,
    SERVICE_STYLE,
    TRUST_CMAP,
    TYPE_COLOURS,
    Layout,
    PlaceValues,
    _agent_xy,
    _rank_within,
    _scatter_agents,
    layout_for,
    open_norm_top,
    place_style,
    place_values,
    portray_grid_worker,
    portray_rider,
    route_segments,
    type_colours,
    types_present,
)
from sim.viz.labels import LABELS, t


@dataclass(frozen=True)
class GraphText:
    """Text sizes in points (at 72 dpi, points are pixels) and whether the picture
    carries its own legend (the projector shows it beside the picture, in HTML)."""

    title: float = 11
    label: float = 8
    colourbar: float = 10
    legend: float = 8
    legend_in_picture: bool = True


def legend_entries(runs: Sequence[tuple[str, Any]], layouts: Sequence[Layout], lang: str,
                   colour_by: str) -> list[tuple[str, dict[str, Any]]]:
    """What the marks are: (label, Line2D style) in the order the legend lists them."""
    out: list[tuple[str, dict[str, Any]]] = []
    if colour_by == "type":
        for name in types_present([model for _, model in runs]):
            out.append((t(f"hood_{name}", lang) if f"hood_{name}" in LABELS else name,
                        {"color": "#555555", "marker": "o", "linestyle": "", "markersize": 8,
                         "markeredgewidth": 0.5,
                         "markerfacecolor": TYPE_COLOURS.get(name, OTHER_TYPE_COLOUR)}))
    out += [
        (t("legend_grid_worker", lang), {"color": "#1f4e9c", "marker": "s", "linestyle": "",
                                          "markersize": 5}),
        (t("legend_mobile_worker", lang), {"color": "#d62728", "marker": "^",
                                            "linestyle": "", "markersize": 6}),
        (t("legend_rider", lang), {"color": "#9e9e9e", "marker": "^", "linestyle": "",
                                    "markersize": 5}),
        (t("legend_route", lang), {"color": "#f4a460", "linewidth": 1}),
        (t("kind_grid", lang), {"color": "#777777", "marker": "o", "linestyle": "",
                                 "markersize": 8, "markerfacecolor": "white"}),
        (t("kind_micro_grid", lang), {"color": "#777777", "marker": "o", "linestyle": "",
                                       "markersize": 5, "markerfacecolor": "white"}),
    ]
    for kind in SERVICE_KINDS:
        if any(kind in lay.services for lay in layouts):
            colour, marker = SERVICE_STYLE[kind]
            out.append((t(f"kind_{kind}", lang), {"color": colour, "marker": marker,
                                                   "linestyle": "", "markersize": 7}))
    return out


def draw_graph(runs: Sequence[tuple[str | tuple[str, str], Any]], lang: str,
               colour_by: str = "open", figsize: tuple[float, float] | None = None, *,
               norm_top: float | None = None, animated: bool = False,
               text: GraphText | None = None) -> Figure:
    """One panel per run (a baseline and a changed run share one colour scale).

    A run's title is a text, or (name, day): the name centred, the day on the right.
    ``norm_top`` fixes the open-issues colour scale; ``animated`` leaves the places and
    titles out of a plain draw (the page blits them; see :mod:`sim.viz.live`). The
    changing artists are kept in ``fig.govsim_places`` and ``fig.govsim_titles``.
    """
    text = text or GraphText()
    n = len(runs)
    # A fixed layout (no layout engine): drawing stays fast enough to redraw every frame.
    fig = Figure(figsize=figsize or (6.0 * n + 1.2, 5.6))
    bottom = 0.2 if text.legend_in_picture else 0.04
    ceiling = 0.94 if text.legend_in_picture else 0.9
    right = 0.86 if text.legend_in_picture else 0.8  # big type: a wider colour-bar margin
    width = right / n
    axes = [fig.add_axes((0.01 + i * width, bottom, width - 0.01, ceiling - bottom))
            for i in range(n)]
    cax = fig.add_axes((right + 0.04, bottom + 0.12, 0.018, ceiling - bottom - 0.24))
    layouts = [layout_for(model.graph) for _, model in runs]
    values = [place_values(model, lay) for (_, model), lay in zip(runs, layouts, strict=True)]
    if colour_by in ("trust", "type"):
        norm = Normalize(0.0, 1.0)
        cmap = mpl.colormaps[TRUST_CMAP]
        bar_label = t("colourbar_trust", lang)
    else:
        top = norm_top if norm_top is not None else open_norm_top(runs, layouts, values)
        norm = Normalize(0.0, top)
        cmap = mpl.colormaps[OPEN_CMAP]
        bar_label = t("colourbar_open", lang)
    fig.govsim_places = []  # type: ignore[attr-defined]
    fig.govsim_titles = []  # type: ignore[attr-defined]
    fig.govsim_norm = norm  # type: ignore[attr-defined]
    for ax, (title, model), lay, vals in zip(axes, runs, layouts, values, strict=True):
        places = _draw_one(ax, model, lay, vals, colour_by, norm, cmap, lang, animated,
                           text.label)
        fig.govsim_places.extend(places)
        if isinstance(title, tuple):  # (name, day): the name stays, the day changes
            name, day = title
            ax.set_title(name, fontsize=text.title)
            fig.govsim_titles.append(ax.set_title(day, loc="right", fontsize=text.title,
                                                  animated=animated))
        else:
            fig.govsim_titles.append(ax.set_title(title, fontsize=text.title,
                                                  animated=animated))
    fig.govsim_colourbar = None  # type: ignore[attr-defined]
    if colour_by == "type":  # a legend of the types instead of a colour scale
        cax.remove()
    else:
        bar = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), cax=cax)
        fig.govsim_colourbar = bar  # type: ignore[attr-defined]
        bar.set_label(bar_label, fontsize=text.colourbar)
        bar.ax.tick_params(labelsize=text.colourbar)
    if not text.legend_in_picture:
        return fig
    handles = [Line2D([], [], label=label, **style)
               for label, style in legend_entries(runs, layouts, lang, colour_by)]
    # Columns by the figure's width, so long English labels are never cut at the edges.
    ncol = max(1, min(len(handles), int(fig.get_figwidth() // 2.3)))
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0),
               ncol=ncol, fontsize=text.legend, frameon=False)
    return fig


def _draw_one(ax: Any, model: Any, lay: Layout, vals: PlaceValues, colour_by: str,
              norm: Normalize, cmap: Any, lang: str, animated: bool = False,
              label_size: float = 8) -> list[Any]:
    ax.set_aspect("equal")
    ax.axis("off")
    if len(lay.contains):
        ax.add_collection(LineCollection(lay.contains, colors="#c8c8c8", linewidths=0.6,
                                         zorder=0))
    if len(lay.service_links):
        ax.add_collection(LineCollection(lay.service_links, colors="#dcdcf0",
                                         linewidths=0.4, linestyles="dashed", zorder=0))
    routes = route_segments(model.graph, lay)
    if len(routes):
        ax.add_collection(LineCollection(routes, colors="#f4a460", linewidths=0.5,
                                         alpha=0.5, zorder=1))
    if lay.root:
        root_colour = "#444444"
        if colour_by == "type" and lay.root == "community" and len(vals.type_community) == 1:
            root_colour = TYPE_COLOURS.get(str(vals.type_community[0]), OTHER_TYPE_COLOUR)
        ax.scatter([0], [0], s=160, c=root_colour, marker="o", zorder=2,
                   edgecolors="#444444", linewidths=1.0)
        ax.annotate(t(f"kind_{lay.root}", lang), (0, 0), xytext=(0, -14),
                    textcoords="offset points", ha="center", fontsize=label_size)
    places = []
    for kind, open_arr in (("grid", vals.open_grid), ("micro_grid", vals.open_micro)):
        if kind not in lay.pos or len(lay.pos[kind]) != len(open_arr):
            continue
        xy = lay.pos[kind]
        colours, sizes = place_style(kind, vals, lay, colour_by, norm, cmap)
        places.append((ax, kind, ax.scatter(xy[:, 0], xy[:, 1], s=sizes, c=colours,
                                            edgecolors="#555555", linewidths=0.5, zorder=2,
                                            animated=animated)))
    # Other hierarchy rings (street / district scale) as small grey dots; by type, the
    # communities in their type's colour.
    for kind in lay.shown:
        if kind not in ("grid", "micro_grid"):
            xy = lay.pos[kind]
            colour: Any = "#888888"
            if colour_by == "type" and kind == "community" and \
                    len(vals.type_community) == len(xy):
                colour = type_colours(vals.type_community)
            ax.scatter(xy[:, 0], xy[:, 1], s=40, c=colour, zorder=2, edgecolors="#555555",
                       linewidths=0.5)
    for kind, xy in lay.services.items():
        colour, marker = SERVICE_STYLE[kind]
        ax.scatter(xy[:, 0], xy[:, 1], s=70, c=colour, marker=marker, zorder=3)
    workers = list(getattr(model, "grid_workers", []) or [])[:MAX_AGENT_MARKERS]
    if workers and "grid" in lay.pos:
        grids = np.array([int(w.grid) for w in workers])
        ok = grids < len(lay.pos["grid"])
        xy = _agent_xy(lay, "grid", grids[ok], _rank_within(grids[ok]), -0.22)
        places += [(ax, "agents", c) for c in _scatter_agents(
            ax, [w for w, keep in zip(workers, ok, strict=True) if keep], xy,
            portray_grid_worker, animated)]
    riders = list(getattr(model, "riders", []) or [])[:MAX_AGENT_MARKERS]
    if riders and "micro_grid" in lay.pos:
        homes = np.array([int(r.route[0]) if len(r.route) else 0 for r in riders])
        ok = homes < len(lay.pos["micro_grid"])
        xy = _agent_xy(lay, "micro_grid", homes[ok], _rank_within(homes[ok]), 0.18)
        places += [(ax, "agents", c) for c in _scatter_agents(
            ax, [r for r, keep in zip(riders, ok, strict=True) if keep], xy,
            portray_rider, animated)]
    lim = lay.extent + 0.6
    right = lay.extent + 1.4 if lay.services else lim
    ax.set_xlim(-lim, right)
    ax.set_ylim(-lim, lim)
    return places
