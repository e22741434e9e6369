"""Running the day: Step, Play / Pause, Reset, the play loop that paces itself by the
draw time, the background seeds shown as they land, and the keyboard shortcuts.

Like Mesa's ``ModelController``: a threaded ``solara.lab.use_task`` steps the run while
``playing`` is on, and ``force_update()`` redraws every view after each frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import solara
import solara.lab
from mesa.visualization.utils import force_update

from sim.viz.compare import Workshop
from sim.viz.opening import Built
from sim.viz.session import generation, measured_rate, playing, presenting, speed

SPEEDS: tuple[int, ...] = (1, 2, 5, 10, 20, 30)
FRAME_SECONDS = 0.5  # while playing: first guess of a frame's time (steps in between)
MAX_FRAME_SECONDS = 4.0
IDLE_SECONDS = 0.15  # pause after each frame so the browser's clicks get through
SEED_POLL_SECONDS = 1.0  # paused: how often to look for newly finished seeds


def do_step(workshop: Workshop | None) -> None:
    if workshop is not None and not playing.value and not workshop.finished:
        workshop.step(1)
        force_update()


def toggle_play() -> None:
    measured_rate.set(None)
    playing.set(not playing.value)


def restart() -> None:
    playing.set(False)
    measured_rate.set(None)
    generation.set(generation.value + 1)


def play_loop(workshop: Workshop) -> None:
    """Advance while playing at about ``speed`` days a second, redrawing every frame.

    Drawing a frame takes longer than a simulated day, so each frame advances as many
    days as the last frame took at the chosen speed; and each frame is followed by a
    pause (at least ``IDLE_SECONDS``), so clicks (pause, language, levers) get through.
    """
    started = time.perf_counter()
    done = 0
    cycle = max(FRAME_SECONDS, 1.3 * workshop.draw_seconds)
    while playing.value and not workshop.finished:
        t0 = time.perf_counter()
        rate = max(1, int(speed.value))
        n = max(1, round(rate * cycle))
        done += workshop.step(n)
        force_update()  # redraws the page (in this thread)
        busy = time.perf_counter() - t0
        pause = max(n / rate - busy, IDLE_SECONDS, 0.25 * busy)
        time.sleep(pause)
        cycle = min(busy + pause, MAX_FRAME_SECONDS)
        measured_rate.set(done / (time.perf_counter() - started))
    if workshop.finished:
        playing.set(False)
        force_update()  # the last seeds' band and the finished note


def use_play(built: Built) -> None:
    """The page's two background tasks (a hook: call it from the page's render)."""
    workshop = built.workshop

    def loop() -> None:
        if workshop is not None and playing.value:
            if built.replicates is not None:
                built.replicates.start()
            play_loop(workshop)

    solara.lab.use_task(loop, dependencies=[playing.value, workshop], prefer_threaded=True)

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
                force_update()
        if not playing.value and not reps.cancelled and len(reps.done()) != seen:
            force_update()

    solara.lab.use_task(watch_seeds, dependencies=[playing.value, built], prefer_threaded=True)


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
                force_update()
        elif name == "play" and workshop is not None and \
                (playing.value or not workshop.finished):
            toggle_play()
        elif name == "present":
            presenting.set(not is_presenting)
        elif name == "leave":
            presenting.set(False)

    return on_key
