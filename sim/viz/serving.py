"""Serving a room from one laptop: sessions are counted, and a closed session's memory
goes back to the system.

Solara keeps a closed browser session (its "virtual kernel": the models, the pictures,
the seeds' tables) for ``SOLARA_KERNEL_CULL_TIMEOUT``, 24 hours by default, so that a
reconnecting tab finds its state; a workshop's 30 devices that come and go would pile up
sessions. The page's server sets a short timeout (:data:`CULL_TIMEOUT`: a reload within
it still reconnects), and when Solara closes a session :func:`session_closed` collects
the garbage and asks the C allocator to hand freed pages back (``malloc_trim``), so the
server's size falls again instead of staying at its high-water mark.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import threading
from collections.abc import Callable

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
        # after the session's objects are dropped (the close finishes first)
        threading.Timer(2.0, release_memory).start()

    return closed


def install() -> None:
    """Register :func:`session_started` with Solara (once per server process)."""
    import solara.lifecycle

    if not getattr(install, "done", False):
        solara.lifecycle.on_kernel_start(session_started)
        install.done = True  # type: ignore[attr-defined]
