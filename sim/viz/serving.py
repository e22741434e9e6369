"""Serving a room from one laptop: sessions are counted, and a closed session's memory
goes back to the system.

Solara keeps a closed browser session (its "virtual kernel": the models, the pictures,
the seeds' tables) for ``SOLARA_KERNEL_CULL_TIMEOUT``, 24 hours by default, so that a
reconnecting tab finds its state; a workshop's 30 devices that come and go would pile up
sessions. The page's server sets a short timeout (:data:`CULL_TIMEOUT`: a reload within
it still reconnects), and when Solara closes a session :func:`session_closed` collects
the garbage and asks the C allocator to hand freed pages back (``malloc_trim``), so the
server's size falls again instead of staying at its high-water mark.

A closed session is only freed if nothing outside it still points at its objects.
``solara.lab.use_task`` keeps the function a session first gave it for the life of the
server (the task's ``Singleton`` registers a kernel-start callback that is never
removed), and the page's task functions close over the session's run: every closed
session's models stayed in memory. :func:`use_task` hands Solara a function that holds
only a weak reference to the session's own holder of the current function, so what stays
behind is a few small objects, not the run.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger("govsim.viz")

CULL_TIMEOUT = "20s"  # a closed tab's session is dropped after this (Solara's setting)
_LOCK = threading.Lock()
_LIVE = 0


def live_sessions() -> int:
    """Sessions open now (for the facilitator and the benchmark)."""
    return _LIVE


def release_memory() -> None:
    """Collect garbage and return freed heap pages to the system (glibc only)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        if hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)
    except OSError:
        pass


_PLAYING = 0
FRAME_SHARE_SECONDS = 0.12  # while n tables play, each waits >= n x this between frames


def players() -> int:
    """Play loops running now, in every session of this server."""
    return _PLAYING


@contextlib.contextmanager
def playing() -> Iterator[None]:
    """Count a play loop while it runs (see :func:`frame_gap`)."""
    global _PLAYING
    with _LOCK:
        _PLAYING += 1
    try:
        yield
    finally:
        with _LOCK:
            _PLAYING -= 1


def frame_gap() -> float:
    """The least time a play loop waits between its frames: the server's frames are
    shared by every table that plays (one table: 0.12 s, as fast as before; eight: about
    one frame a second each). Days still keep to the clock (each frame advances what is
    due), so a table drawn less often takes bigger steps, not fewer days; and the server
    keeps time for the clicks (Play, Pause, Step) instead of queueing them behind
    frames nobody asked for."""
    return FRAME_SHARE_SECONDS * max(1, _PLAYING)


def forget_fonts() -> None:
    """Drop matplotlib's open fonts. It keeps them per thread (``_get_font``'s cache is
    keyed by the thread), and the server draws in a pool of up to 40 threads: with the
    Chinese font, about 4 MB a thread that stays after every session has closed."""
    from matplotlib import font_manager

    cache = getattr(font_manager, "_get_font", None)
    if cache is not None and hasattr(cache, "cache_clear"):
        cache.cache_clear()


def session_started() -> Callable[[], None]:
    """Solara calls this when a session (virtual kernel) starts; the function returned
    runs when it closes."""
    global _LIVE
    with _LOCK:
        _LIVE += 1

    def closed() -> None:
        global _LIVE
        with _LOCK:
            _LIVE -= 1
            idle = _LIVE == 0
        if idle:  # nobody left: the seeds' process, the charts' shared backgrounds and
            # the fonts go too
            from sim.viz.live import clear_shared
            from sim.viz.replicates import stop_pool

            stop_pool()
            clear_shared()
            forget_fonts()
        # after the session's objects are dropped (the close finishes first)
        threading.Timer(2.0, release_memory).start()

    return closed


def force_update() -> None:
    """Mesa's ``force_update()`` (every part showing the day re-renders), in one render
    pass. Solara notifies each component that reads the counter on its own, and each
    notice ran a full render of the page (walking every element): five parts read it, so a
    step rendered the page five times over, most of the server's work a click. Inside the
    session's render context the notices are batched and render once, on leaving it."""
    from mesa.visualization.utils import force_update as mesa_force_update

    rc = _render_context()
    if rc is None:
        mesa_force_update()
        return
    with rc:
        mesa_force_update()


def _render_context() -> Any:
    """The session's render context (reacton), if this thread serves a session."""
    import reacton.core
    from solara.server import kernel_context

    rc = reacton.core.get_render_context(required=False)
    if rc is not None:
        return rc
    try:
        app = kernel_context.get_current_context().app_object
    except Exception:  # no session here (a script, a test without a kernel)
        return None
    return app if isinstance(app, reacton.core._RenderContext) else None


_SCALARS = (str, int, float, bool)


def _unchanged(current: Any, value: Any) -> bool:
    """Whether setting ``value`` on a trait holding ``current`` changes nothing (traitlets
    would compare them equal and send nothing)."""
    if current is value:
        return True
    if type(current) is type(value) and isinstance(value, _SCALARS):
        return bool(current == value)
    if isinstance(value, list | tuple) and type(current) is type(value):
        return len(current) == len(value) and all(a is b for a, b in zip(current, value,
                                                                          strict=True))
    return False


def skip_unchanged_props() -> None:
    """Reacton sets every property of every widget of the page on every render (a step:
    ~190 widgets, ~830 properties, each validated by traitlets, though only the day's
    text, cards and pictures changed). Skip a property whose value is already there:
    traitlets would find it equal and send nothing, so the page is the same, for less of
    the server's time. (Patched once per server process; ``reacton.core.Element``.)"""
    import reacton.core

    element = reacton.core.Element
    if getattr(element, "_govsim_skips", False):
        return
    original = element._update_widget_prop

    def update_widget_prop(self: Any, widget: Any, name: str, value: Any) -> None:
        if widget.has_trait(name) and _unchanged(getattr(widget, name), value):
            return
        original(self, widget, name, value)

    original_update = element._update_widget

    def update_widget(self: Any, widget: Any, el_prev: Any, kwargs: dict[str, Any]) -> None:
        # the same element as before (its component did not render again): only a child
        # widget among its values can have been replaced; nothing changed, nothing to do
        if el_prev is self and all(
                (widget.has_trait(name) and _unchanged(getattr(widget, name), value))
                or (name.startswith("on_") and not widget.has_trait(name))
                for name, value in kwargs.items()):
            return
        original_update(self, widget, el_prev, kwargs)

    element._update_widget_prop = update_widget_prop
    element._update_widget = update_widget
    element._govsim_skips = True


def install() -> None:
    """Register :func:`session_started` with Solara (once per server process)."""
    import solara.lifecycle

    if not getattr(install, "done", False):
        solara.lifecycle.on_kernel_start(session_started)
        skip_unchanged_props()
        install.done = True  # type: ignore[attr-defined]


class _Current:
    """A session's current task function (kept by the session's render, not by Solara)."""

    fn: Callable[[], None] | None = None


def use_task(fn: Callable[[], None], dependencies: list[Any]) -> None:
    """``solara.lab.use_task(fn, dependencies, prefer_threaded=True)``, without Solara
    keeping ``fn`` (and what it closes over) after the session closes."""
    import solara
    import solara.lab

    current = solara.use_memo(_Current, dependencies=[])
    current.fn = fn
    ref = weakref.ref(current)

    def run() -> None:
        holder = ref()
        f = holder.fn if holder is not None else None
        del holder
        if f is not None:
            f()

    solara.lab.use_task(run, dependencies=dependencies, prefer_threaded=True)
