"""Fast redraws for the page: draw the axes once, then only what moved each day.

A full matplotlib draw of the charts and the graph takes 150-250 ms on a 2-core
laptop, most of it text (ticks, titles, legends) that does not change from one day to
the next. A :class:`LiveCharts` / :class:`LiveGraph` keeps its figure, draws it once
without the lines, bands, places and titles ("animated" artists), keeps that picture,
and for each new day restores it and draws only those artists on top (blitting, on the
Agg canvas), then encodes it as a JPEG of high quality. The figure is rebuilt only when
what it shows changes: language, runs, colour scale, a band or previous run appearing,
or an axis limit being outgrown (limits grow in steps, see :mod:`sim.viz.charts`).

A rebuild is the expensive part (a full draw: 300-600 ms of one core for the charts on a
busy 2-core laptop, against ~10 ms for a blitted frame), and the tables of a workshop
cross the same steps at about the same days: the charts' drawn backgrounds are shared by
every session of the server that shows the same thing (:func:`shared_blit`: the same
language, runs, band, previous run, axis limits and size), so a step crossed by eight
tables is drawn once, not eight times. Each frame paints its own session's lines on the
shared background under that background's lock.
"""

from __future__ import annotations

import io
import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image

from sim.viz.charts import (
    HOUR_KEYS,
    BandSpec,
    chart_series,
    draw_charts,
    limits_cover,
    panel_values,
    y_limits,
)
from sim.viz.graph_draw import draw_graph
from sim.viz.graph_view import (
    MAX_AGENT_MARKERS,
    OPEN_CMAP,
    TRUST_CMAP,
    layout_for,
    open_norm_top,
    place_style,
    place_types,
    place_values,
    route_segments,
)


def canvas_image(canvas: FigureCanvasAgg) -> bytes:
    """The canvas as a JPEG for the screen: quality 92 without chroma subsampling keeps
    lines and text clean, and encodes in ~3 ms where a PNG takes ~20 ms (downloads
    stay PNG, see :mod:`sim.viz.export`)."""
    w, h = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=92, subsampling=0)
    return buf.getvalue()


IMAGE_FORMAT = "jpeg"  # what canvas_image returns (for solara.Image)


Limits = dict[Any, tuple[tuple[float, float], tuple[float, float]]]  # axes: (x, y) limits
KEPT_STATES = 6  # backgrounds kept per figure, one per state shown (~1.6 MB each)


class _Blit:
    """A drawn figure without its animated artists, to paint them on again and again.

    Its backgrounds are kept by what the figure shows (:meth:`show`: the charts' axis
    limits, the graph's colour scale): when a limit is outgrown only the axes that
    changed are drawn again, on a copy of the background, not the whole figure (one
    chart's axes take ~30 ms of a 2-core laptop, the whole figure ~200 ms)."""

    def __init__(self, fig: Figure, dpi: float, state: Any = None) -> None:
        fig.set_dpi(dpi)
        self.fig = fig
        self.lock = threading.Lock()  # one session paints on it at a time
        self.canvas = FigureCanvasAgg(fig)
        self.canvas.draw()  # animated artists are left out
        self.background = self.canvas.copy_from_bbox(fig.bbox)
        self.state = state  # what the figure shows now: its axis limits, its colour scale
        renderer = self.canvas.get_renderer()
        # each axes' drawn extent (labels included) in the background shown: what to
        # clear when it is drawn again
        self._boxes: dict[Any, Bbox] = {ax: ax.get_tightbbox(renderer) for ax in fig.axes}
        self.backgrounds: OrderedDict[Any, tuple[Any, dict[Any, Bbox]]] = OrderedDict(
            {state: (self.background, dict(self._boxes))})
        self.redraws = 0  # backgrounds made by drawing only the axes that changed

    def show(self, key: Any, change: Callable[[], Sequence[Any]]) -> None:
        """Show the state named ``key`` (axis limits, a colour scale's top): ``change``
        sets the figure to it and returns the axes it changed. The background is the one
        kept for ``key``, else these axes drawn again on the current one (call under
        :attr:`lock`)."""
        if key == self.state:
            return
        kept = self.backgrounds.get(key)
        if kept is None:
            self._redraw(change())
            kept = (self.canvas.copy_from_bbox(self.fig.bbox), dict(self._boxes))
            self.redraws += 1
        else:
            change()
        self.backgrounds[key] = kept
        self.backgrounds.move_to_end(key)
        while len(self.backgrounds) > KEPT_STATES:
            self.backgrounds.popitem(last=False)
        self.background, self._boxes = kept[0], dict(kept[1])
        self.state = key

    def png(self, artists: Sequence[Any]) -> bytes:
        self.canvas.restore_region(self.background)
        for artist in artists:
            self.fig.draw_artist(artist)
        return canvas_image(self.canvas)

    def _redraw(self, changed: Sequence[Any]) -> None:
        renderer = self.canvas.get_renderer()
        self.canvas.restore_region(self.background)
        pixels = np.asarray(self.canvas.buffer_rgba())
        height, width = pixels.shape[:2]
        face = (np.array(mpl.colors.to_rgba(self.fig.get_facecolor())) * 255).round()
        regions = []
        for ax in changed:
            after = ax.get_tightbbox(renderer)
            regions.append(Bbox.union([self._boxes[ax], after]))
            self._boxes[ax] = after
        for box in regions:  # cleared to the figure's colour (ticks and labels as well)
            x0, x1 = max(0, int(box.x0) - 2), min(width, int(np.ceil(box.x1)) + 2)
            y0, y1 = max(0, int(box.y0) - 2), min(height, int(np.ceil(box.y1)) + 2)
            pixels[height - y1:height - y0, x0:x1] = face
        # every axes reaching into a cleared region is drawn again (the changed ones and
        # any neighbour's labels), in the figure's order; animated artists are left out
        for ax in self.fig.axes:
            if ax in changed or any(self._boxes[ax].overlaps(b) for b in regions):
                ax.draw(renderer)


def set_scale_top(fig: Figure, top: float | None) -> Callable[[], list[Any]]:
    """A :meth:`_Blit.show` change: the graph's open-issues colour scale up to ``top``
    (its colour bar follows the scale)."""
    def change() -> list[Any]:
        bar = getattr(fig, "govsim_colourbar", None)
        if top is None or bar is None or fig.govsim_norm.vmax == top:
            return []
        fig.govsim_norm.vmax = top
        return [bar.ax]
    return change


def set_limits(limits: Limits) -> Callable[[], list[Any]]:
    """A :meth:`_Blit.show` change: the axes to these limits (those that differ)."""
    def change() -> list[Any]:
        changed = [ax for ax, (x, y) in limits.items()
                   if tuple(ax.get_xlim()) != tuple(x) or tuple(ax.get_ylim()) != tuple(y)]
        for ax in changed:
            ax.set_xlim(*limits[ax][0])
            ax.set_ylim(*limits[ax][1])
        return changed
    return change


SHARED_BLITS = 16  # drawn figures kept for every session (LRU; 2-10 MB each)
_SHARED: OrderedDict[Any, _Blit] = OrderedDict()
_SHARED_LOCK = threading.Lock()
_OWNERS = itertools.count()  # a session's own token: what only it shows is not shared


_MAKING: dict[Any, threading.Lock] = {}  # a background being drawn now, by its key


def shared_blit(key: Any, make: Callable[[], _Blit]) -> tuple[_Blit, bool]:
    """The drawn background for ``key`` (every session's), made by ``make`` if no session
    has it; and whether it was made now. Sessions asking for the same new background at
    once wait for the one drawing it (eight tables crossing an axis step together drew
    it eight times over, each slowed by the others: most of the server's time and the
    long waits while stepping at once)."""
    with _SHARED_LOCK:
        blit = _SHARED.get(key)
        if blit is not None:
            _SHARED.move_to_end(key)
            return blit, False
        making = _MAKING.setdefault(key, threading.Lock())
    with making:
        with _SHARED_LOCK:  # drawn by another session while this one waited
            blit = _SHARED.get(key)
            if blit is not None:
                _SHARED.move_to_end(key)
                return blit, False
        try:
            blit = make()
        except BaseException:
            with _SHARED_LOCK:
                _MAKING.pop(key, None)
            raise
        with _SHARED_LOCK:  # kept and no longer being made, in one step
            _SHARED[key] = blit
            _SHARED.move_to_end(key)
            _MAKING.pop(key, None)
            while len(_SHARED) > SHARED_BLITS:
                _SHARED.popitem(last=False)
    return blit, True


def clear_shared() -> None:
    """Forget the shared backgrounds (when the last session closes: their memory goes)."""
    with _SHARED_LOCK:
        _SHARED.clear()


class LiveCharts:
    """The page's charts, redrawn by blitting between rebuilds."""

    def __init__(self, figsize: tuple[float, float] = (11.0, 5.6), dpi: float = 80,
                 panels: Sequence[str] | None = None) -> None:
        self.figsize = figsize
        self.dpi = dpi
        self.panels = tuple(panels) if panels else None
        self.key: Any = None
        self.limits: dict[str, tuple[float, float]] = {}
        self.blit: _Blit | None = None
        self.rebuilds = 0
        self.owner = next(_OWNERS)

    def png(self, runs: Sequence[tuple[str, pd.DataFrame, int | None]], lang: str, *,
            xmax: float, bands: dict[str, BandSpec] | None = None, band_seeds: int = 0,
            ghost: tuple[str, pd.DataFrame, int | None] | None = None) -> bytes:
        series = {role: chart_series(frame, workers) for role, frame, workers in runs}
        ghost_series = chart_series(ghost[1], ghost[2]) if ghost is not None else {}
        values = panel_values([*series.values(), ghost_series], bands)
        # the lines the figure has (none at day 0: its "no data yet" note instead)
        lines = tuple((role, tuple(sorted(s))) for role, s in series.items())
        shows = (lang, tuple((r, w) for r, _, w in runs), lines, tuple(sorted(bands or {})),
                 band_seeds, None if ghost is None else (ghost[0], id(ghost[1])),
                 mpl.rcParams["font.sans-serif"][0])
        key = (shows, xmax)
        if self.blit is None or key != self.key or not limits_cover(self.limits, values):
            self.limits = y_limits(values)
            self.key = key
        # the previous run's line is in the background and is this session's own; the
        # limits are not in the key: a figure keeps a background for each (_Blit.show)
        figure_key = (shows, self.figsize, self.dpi, self.panels,
                      None if ghost is None else self.owner)
        limits = self.limits
        limits_key = (xmax, tuple(sorted(limits.items())))

        def make() -> _Blit:
            fig = draw_charts(runs, lang, self.figsize, panels=self.panels, xmax=xmax,
                              limits=limits, bands=bands, band_seeds=band_seeds,
                              ghost=ghost, animated=True)
            return _Blit(fig, self.dpi, limits_key)

        self.blit, made = shared_blit(figure_key, make)
        self.rebuilds += made
        with self.blit.lock:  # the figure's lines are shared: paint this session's
            fig = self.blit.fig
            self.blit.show(limits_key, set_limits(
                {ax: ((0.0, xmax), limits.get(k, (0.0, 1.0)))
                 for k, ax in fig.govsim_axes.items()}))
            for (role, k), line in fig.govsim_lines.items():
                s = series.get(role, {}).get(k)
                if s is not None:
                    line.set_data(s.index.to_numpy(), s.to_numpy())
                else:
                    line.set_data([], [])
            for (role, k), coll in list(fig.govsim_bands.items()):
                if bands and k in bands:
                    ax = coll.axes
                    colour = coll.get_facecolor()[0]
                    coll.remove()
                    x, lo, hi = bands[k]
                    fig.govsim_bands[(role, k)] = ax.fill_between(
                        x, lo, hi, color=colour, linewidth=0, animated=True)
            artists = [*fig.govsim_bands.values(), *fig.govsim_lines.values()]
            return self.blit.png(artists)


_ROUTE_PRINTS: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


class _Same:
    """An object in a key by its identity (kept alive by the key, so never mistaken)."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj


def _drawn_print(model: Any, lay: Any) -> tuple[Any, ...]:
    """What a graph's background and its markers show of one run: the places (the
    layout's identity), the riders' routes, the workers' grids, the riders' homes and
    enrolment, and the neighbourhood types."""
    graph = model.graph
    if graph not in _ROUTE_PRINTS:
        _ROUTE_PRINTS[graph] = hash(route_segments(graph, lay).tobytes())
    workers = list(getattr(model, "grid_workers", []) or [])[:MAX_AGENT_MARKERS]
    riders = list(getattr(model, "riders", []) or [])[:MAX_AGENT_MARKERS]
    types = tuple(str(x) for x in place_types(model)[0])
    return (_Same(lay), _ROUTE_PRINTS[graph], tuple(int(w.grid) for w in workers),
            tuple((int(r.route[0]) if len(r.route) else 0, bool(getattr(r, "enrolled", False)))
                  for r in riders), types)


class LiveGraph:
    """The page's community graph, redrawn by blitting between rebuilds."""

    def __init__(self, dpi: float = 80, figsize: tuple[float, float] | None = None) -> None:
        self.dpi = dpi
        self.figsize = figsize
        self.key: Any = None
        self.blit: _Blit | None = None
        self.norm_top: float | None = None
        self.rebuilds = 0

    def png(self, runs: Sequence[tuple[str | tuple[str, str], Any]], lang: str,
            colour_by: str) -> bytes:
        layouts = [layout_for(model.graph) for _, model in runs]
        values = [place_values(model, lay) for (_, model), lay in zip(runs, layouts,
                                                                     strict=True)]
        top = open_norm_top(runs, layouts, values) if colour_by == "open" else 1.0
        # what the background shows of each run (not its id: tables showing the same
        # places, routes, workers and riders share one background)
        drawn = tuple(_drawn_print(model, lay) for (_, model), lay in zip(runs, layouts,
                                                                          strict=True))
        # a title's name is drawn with the background (only its day changes)
        names = tuple(title[0] if isinstance(title, tuple) else None for title, _ in runs)
        key = (lang, colour_by, drawn, names, mpl.rcParams["font.sans-serif"][0])
        grow = colour_by == "open" and (self.norm_top is None or top > self.norm_top)
        if self.blit is None or key != self.key or grow:
            self.norm_top = top if colour_by == "open" else None
            self.key = key
        norm_top = self.norm_top

        def make() -> _Blit:
            fig = draw_graph(runs, lang, colour_by, self.figsize, norm_top=norm_top,
                             animated=True)
            return _Blit(fig, self.dpi, norm_top)

        # the colour scale's top is not in the key: the figure keeps a background for
        # each top, and a new one redraws the colour bar alone
        self.blit, made = shared_blit(("graph", key, self.figsize, self.dpi), make)
        self.rebuilds += made
        with self.blit.lock:  # the places are shared: colour them as this session's
            self.blit.show(norm_top, set_scale_top(self.blit.fig, norm_top))
            return self._paint(runs, layouts, values, colour_by)

    def _paint(self, runs: Sequence[tuple[str, Any]], layouts: Sequence[Any],
               values: Sequence[Any], colour_by: str) -> bytes:
        assert self.blit is not None
        fig = self.blit.fig
        cmap = mpl.colormaps[TRUST_CMAP if colour_by == "trust" else OPEN_CMAP]
        axes = [title.axes for title in fig.govsim_titles]
        for ax, kind, coll in fig.govsim_places:
            if kind == "agents":  # drawn on top of the places, unchanged
                continue
            i = axes.index(ax)
            colours, sizes = place_style(kind, values[i], layouts[i], colour_by,
                                         fig.govsim_norm, cmap)
            coll.set_facecolor(colours)
            coll.set_sizes(sizes)
        for title, (text, _) in zip(fig.govsim_titles, runs, strict=True):
            title.set_text(text[1] if isinstance(text, tuple) else text)
        # places first, then the workers and riders beside them (their z-order)
        ordered = sorted(fig.govsim_places, key=lambda p: p[1] == "agents")
        artists = [c for *_, c in ordered] + list(fig.govsim_titles)
        return self.blit.png(artists)


__all__ = ["HOUR_KEYS", "IMAGE_FORMAT", "LiveCharts", "LiveGraph", "canvas_image",
           "clear_shared", "shared_blit"]
