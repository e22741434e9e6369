"""Running the day: Step, Play / Pause, Reset, the play loop that paces itself by the
draw time, the background seeds shown as they land, and the keyboard shortcuts.

Like Mesa's ``ModelController``: a threaded task (``solara.lab.use_task``, through
:func:`sim.viz.serving.use_task`) steps the run while ``playing`` is on, and
``force_update()`` redraws every view after each frame (one render pass:
:func:`sim.viz.serving.force_update`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import solara
import solara.lifecycle

from sim.viz import serving
from sim.viz.compare import Workshop
from sim.viz.opening import Built
from sim.viz.session import generation, looping, measured_rate, playing, presenting, speed

SPEEDS: tuple[int, ...] = (1, 2, 5, 10, 20, 30)
FRAME_SECONDS = 0.5  # while playing: first guess of a frame's time (steps in between)
MAX_FRAME_SECONDS = 30.0  # a frame catches up at most this much of the clock
IDLE_SECONDS = 0.15  # pause after each frame so the browser's clicks get through
SEED_POLL_SECONDS = 1.0  # paused: how often to look for newly finished seeds


def do_step(workshop: Workshop | None) -> None:
    if workshop is not None and not playing.value and not workshop.finished:
        workshop.step(1)
        serving.force_update()


def toggle_play() -> None:
    measured_rate.set(None)
    playing.set(not playing.value)


def restart() -> None:
    playing.set(False)
    measured_rate.set(None)
    generation.set(generation.value + 1)


def rest(seconds: float, closed: threading.Event | None = None) -> None:
    """Wait between frames, but no longer once Pause is pressed or the tab closed."""
    end = time.perf_counter() + seconds
    while playing.value and not (closed and closed.is_set()):
        left = end - time.perf_counter()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))


def play_loop(workshop: Workshop, closed: threading.Event | None = None) -> None:
    """Advance while playing at ``speed`` days a second of wall-clock time, redrawing
    every frame.

    Each frame advances the days the clock says are due since Play was pressed (at
    least one, at most ``MAX_FRAME_SECONDS`` worth), then pauses (at least
    ``IDLE_SECONDS``, more while other tables play: :func:`sim.viz.serving.frame_gap`)
    so clicks get through. A table whose frames come slowly (a busy
    server with many tables) takes bigger steps, so every table playing at one speed
    reaches about the same day: fair, whatever the order the server serves them in. (With
    a cap of 4 s, tables whose frames took longer than that fell behind for good: eight
    tables playing together reached days 60 to 156 in 20 s.) And at Pause a table takes
    the days the clock gave it up to the moment Pause was pressed (the days are the
    clock's, not the frames'): eight tables drawn at different rates stopped up to a
    frame apart, 20-50 days of 200.
    """
    paused_at: list[float] = []

    def on_playing(value: bool) -> None:
        if not value and not paused_at:
            paused_at.append(time.perf_counter())

    unsubscribe = playing.subscribe(on_playing)
    looping.set(True)
    try:
        _play(workshop, closed, paused_at)
        if workshop.finished:
            playing.set(False)
            serving.force_update()  # the last seeds' band and the finished note
    finally:
        unsubscribe()
        looping.set(False)


def _play(workshop: Workshop, closed: threading.Event | None, paused_at: list[float]) -> None:
    with serving.playing():
        started, day0, rate = time.perf_counter(), workshop.day, max(1, int(speed.value))
        done = 0

        def due(now: float) -> float:
            # the first day at once, then what the clock says is due
            return 1.0 + day0 + rate * (now - started) - workshop.day

        while playing.value and not workshop.finished and not (closed and closed.is_set()):
            t0 = time.perf_counter()
            if max(1, int(speed.value)) != rate:  # a new speed: count from now
                started, day0, rate = t0, workshop.day, max(1, int(speed.value))
            ahead = due(t0)
            if ahead < 1.0:  # ahead of the clock (slow speeds): wait for the next day
                time.sleep(min((1.0 - ahead) / rate, FRAME_SECONDS))
                continue
            n = min(int(ahead), max(1, round(rate * MAX_FRAME_SECONDS)))
            done += workshop.step(n)
            serving.force_update()  # redraws the page (in this thread)
            busy = time.perf_counter() - t0
            rest(max(IDLE_SECONDS, 0.25 * busy, serving.frame_gap()), closed)
            measured_rate.set(done / (time.perf_counter() - started))
        if paused_at and not (closed and closed.is_set()) and not workshop.finished:
            # Pause: the days due when it was pressed (a frame may have passed since)
            n = min(int(due(paused_at[0])), max(1, round(rate * MAX_FRAME_SECONDS)))
            if n >= 1 and workshop.step(n):
                serving.force_update()


def use_play(built: Built) -> None:
    """The page's two background tasks (a hook: call it from the page's render)."""
    workshop = built.workshop

    def loop() -> None:
        if workshop is not None and playing.value:
            if built.replicates is not None:
                built.replicates.start()
            play_loop(workshop, solara.lifecycle.kernel_closed_event())

    serving.use_task(loop, dependencies=[playing.value, workshop])

    def watch_seeds() -> None:
        """Paused, the seeds still finish: show each as it lands (playing, every frame
        redraws anyway)."""
        reps = built.replicates
        if reps is None or not reps.started:
            return
        seen = len(reps.done())
        while not playing.value and not reps.cancelled and not reps.finished:
            time.sleep(SEED_POLL_SECONDS)
            if len(reps.done()) != seen:
                seen = len(reps.done())
                serving.force_update()
        if not playing.value and not reps.cancelled and len(reps.done()) != seen:
            serving.force_update()

    serving.use_task(watch_seeds, dependencies=[playing.value, built])


def presses(pressed: str, seen: dict[str, int]) -> tuple[str, int]:
    """The key's name and how many presses ``"name:count"`` stands for. The browser sends
    only the latest value while the server is busy (ipywidgets buffers a widget's
    changes), so ten quick → presses can arrive as two messages: the count says how many
    there were. ``seen`` keeps the last count (a new widget starts again at 1)."""
    name, _, count_text = pressed.partition(":")
    count = int(count_text) if count_text.isdigit() else 0
    last = seen.get("count", 0)
    seen["count"] = count
    return name, count - last if count > last else 1


def key_handler(workshop: Workshop | None, is_presenting: bool,
                seen: dict[str, int] | None = None) -> Callable[[str], None]:
    """What the keys do (:class:`~sim.viz.browser.KeyShortcuts` names them): → or N
    steps (once per press), Space plays / pauses, P switches presentation mode, Esc
    leaves it."""
    seen = {} if seen is None else seen

    def on_key(pressed: str) -> None:
        name, n = presses(pressed, seen)
        if name == "step":
            if workshop is not None and not playing.value and not workshop.finished:
                workshop.step(n)
                serving.force_update()
        elif name == "play" and workshop is not None and \
                (playing.value or not workshop.finished):
            toggle_play()
        elif name == "present":
            presenting.set(not is_presenting)
        elif name == "leave":
            presenting.set(False)

    return on_key
