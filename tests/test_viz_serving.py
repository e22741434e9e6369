"""Serving many sessions from one server: a closed session leaves nothing of its run behind.

Solara's ``use_task`` keeps the first function a session gives it for the life of the
server; the page's tasks close over the session's run (models, frames), so before
:func:`sim.viz.serving.use_task` every closed session's models stayed in the server's
memory. These tests render a component in a Solara session (a virtual kernel, as the
server makes one per browser tab), close it and look for what is left.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import weakref
from collections.abc import Callable

import solara
import solara.lab
from solara.server import kernel, kernel_context

from sim.viz import serving


class Run:
    """Stands for a session's run (its models and frames)."""


def closed_session_keeps_its_run(use: Callable[[Callable[[], None]], None]) -> tuple[bool, bool]:
    """Render a component whose task closes over its run, close the session; return
    (whether the task ran, whether the run is still in memory)."""
    box = [Run()]
    alive = weakref.ref(box[0])
    ran = threading.Event()
    ctx = kernel_context.VirtualKernelContext(id=f"test-{id(use)}", kernel=kernel.Kernel(),
                                              session_id="test")

    @solara.component
    def Page() -> None:
        held = solara.use_memo(lambda: box[0], dependencies=[])

        def task() -> None:
            assert held is not None
            ran.set()

        use(task)
        solara.Text("a table")

    with ctx:
        _, rc = solara.render(Page(), handle_error=False)
        ran.wait(10)
        rc.close()
    box.clear()
    del rc, ctx, Page
    gc.collect()
    return ran.is_set(), alive() is not None


def test_solara_use_task_keeps_a_closed_sessions_run() -> None:
    """Why the page does not call it directly: the leak is real (if Solara fixes it, this
    test says so and the wrapper can go)."""
    ran, kept = closed_session_keeps_its_run(
        lambda f: solara.lab.use_task(f, dependencies=[], prefer_threaded=True))
    assert ran
    assert kept


def test_the_pages_use_task_runs_and_lets_a_closed_session_go() -> None:
    ran, kept = closed_session_keeps_its_run(lambda f: serving.use_task(f, dependencies=[]))
    assert ran  # the task still runs the session's function
    assert not kept


def test_the_seeds_process_stops_when_no_session_is_left_and_starts_again() -> None:
    """The background seeds' process holds its own models: when the last session has
    closed it goes (its memory back to the system), and the next seeds start a new one."""
    import os
    import time

    import psutil

    from sim.viz import replicates

    first = replicates.pool().submit(os.getpid).result(timeout=120)
    assert first != os.getpid()
    replicates.stop_pool()
    deadline = time.monotonic() + 30
    while psutil.pid_exists(first) and time.monotonic() < deadline:
        with contextlib.suppress(psutil.Error):
            if psutil.Process(first).status() == psutil.STATUS_ZOMBIE:
                break
        time.sleep(0.2)
    gone = not psutil.pid_exists(first) or \
        psutil.Process(first).status() == psutil.STATUS_ZOMBIE
    assert gone
    second = replicates.pool().submit(os.getpid).result(timeout=120)
    assert second not in (first, os.getpid())
    replicates.stop_pool()


def test_a_step_renders_the_page_once_however_many_parts_show_the_day() -> None:
    """Every part that shows the day reads Mesa's counter; a step must render the page
    once, not once per part (five parts rendered the whole page five times a click: the
    server's work when many tables step)."""
    from mesa.visualization.utils import update_counter

    renders: list[str] = []

    def part(name: str) -> Callable[[], None]:
        @solara.component
        def Part() -> None:
            update_counter.get()
            renders.append(name)
            solara.Text(f"{name} {update_counter.value}")

        return Part

    parts = [part(n) for n in ("day", "cards", "pictures", "outcomes", "export")]

    @solara.component
    def Page() -> None:
        with solara.Column():
            for p in parts:
                p()

    ctx = kernel_context.VirtualKernelContext(id="test-once", kernel=kernel.Kernel(),
                                              session_id="test")
    with ctx:
        _, rc = solara.render(Page(), handle_error=False)
        ctx.app_object = rc  # as the server keeps it
        before, renders[:] = rc.render_count, []

        def step() -> None:  # a click's handler or the play loop, in its own thread
            with ctx:
                serving.force_update()

        th = threading.Thread(target=step)
        th.start()
        th.join(10)
        assert sorted(renders) == sorted(["day", "cards", "pictures", "outcomes", "export"])
        assert rc.render_count - before == 1
        rc.close()


def test_skipping_unchanged_properties_still_shows_every_change() -> None:
    """The page's server skips setting a widget's property to the value it has (reacton
    sets all of them on every render); what did change still reaches the widget: a text,
    a style, a child added and one taken away."""
    import ipyvuetify as v

    serving.skip_unchanged_props()
    day = solara.reactive(1)

    @solara.component
    def Page() -> None:
        with solara.Column(classes=["box"]):
            solara.Text(f"day {day.value}", style={"color": "red" if day.value > 2 else "blue"})
            for i in range(day.value % 3):
                solara.Text(f"row {i}")

    ctx = kernel_context.VirtualKernelContext(id="test-skip", kernel=kernel.Kernel(),
                                              session_id="test")
    with ctx:
        _, rc = solara.render(Page(), handle_error=False)

        def texts() -> list[str]:
            return [w.children[0] for w in rc.find(v.Html, tag="span").widgets]

        assert texts() == ["day 1", "row 0"]
        day.set(2)
        assert texts() == ["day 2", "row 0", "row 1"]
        day.set(3)
        assert texts() == ["day 3"]
        assert "red" in rc.find(v.Html, tag="span").widgets[0].style_
        day.set(4)
        assert texts() == ["day 4", "row 0"]
        rc.close()


def test_a_table_paused_has_the_days_the_clock_gave_it_however_slow_its_frames() -> None:
    """Play fair: a table's days are the clock's (speed x time from Play to Pause), not
    how many frames the server drew it. Its frames are made slow here (1.5 s each, as a
    busy server draws eight tables); at Pause it still has the days due when Pause was
    pressed (Pause comes mid-frame: without the catch-up it stopped ~10 days short)."""
    import time

    from sim.scenario import load_scenario
    from sim.viz import play
    from sim.viz.compare import Workshop
    from sim.viz.picker import resolve_scenario
    from sim.viz.session import day_classes, playing, speed

    ws = Workshop(load_scenario(resolve_scenario("nanjing_baseline.toml"))
                  .with_overrides({"run.days": 200}), seed=1)
    ctx = kernel_context.VirtualKernelContext(id="test-fair", kernel=kernel.Kernel(),
                                              session_id="test")
    slow = lambda: time.sleep(1.5)  # noqa: E731  (a frame's drawing on a busy server)
    original = serving.force_update
    serving.force_update = slow  # type: ignore[assignment]
    try:
        with ctx:
            speed.set(10)
            playing.set(True)

            def loop() -> None:
                with ctx:
                    play.play_loop(ws)

            th = threading.Thread(target=loop)
            start = time.perf_counter()
            th.start()
            time.sleep(3.0)  # the second frame is being drawn (from ~1.9 s to ~3.4 s)
            playing.set(False)
            paused = time.perf_counter()
            # the page says the day may still move until the last days have landed
            assert "govsim-day-at-rest" not in day_classes()
            th.join(30)
            assert "govsim-day-at-rest" in day_classes()
            expected = 1 + 10 * (paused - start)
            assert abs(ws.day - expected) <= 2.5, (ws.day, expected)
    finally:
        serving.force_update = original  # type: ignore[assignment]
