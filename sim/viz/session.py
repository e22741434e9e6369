"""What one browser session holds: its choices (scenario, levers, seed, language, compare,
presentation), the play state, and the :class:`View` they resolve to on each render.

Solara keeps one value of each ``solara.reactive`` per browser session. ``None`` means
"as the address said" (or the default). Redraws after a step use Mesa's own counter:
``force_update()`` re-renders every view that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import solara

from sim.viz.compare import Workshop
from sim.viz.opening import DEFAULT_SCENARIO, Built, Startup

language: solara.Reactive[str | None] = solara.reactive(None)
scenario_name: solara.Reactive[str | None] = solara.reactive(None)
baseline_name: solara.Reactive[str | None] = solara.reactive(None)
lever_edits: solara.Reactive[dict[str, Any] | None] = solara.reactive(None)
comparing: solara.Reactive[bool | None] = solara.reactive(None)
presenting: solara.Reactive[bool | None] = solara.reactive(None)
seed: solara.Reactive[int | None] = solara.reactive(None)
colour_by: solara.Reactive[str] = solara.reactive("open")
present_chart: solara.Reactive[str] = solara.reactive("chart_open")
speed: solara.Reactive[int] = solara.reactive(10)
playing: solara.Reactive[bool] = solara.reactive(False)
# the play loop still holds the run: after Pause it steps the days the clock gave it
looping: solara.Reactive[bool] = solara.reactive(False)
generation: solara.Reactive[int] = solara.reactive(0)  # Reset: a new run, same choices
measured_rate: solara.Reactive[float | None] = solara.reactive(None)
pending_edit: solara.Reactive[dict[str, Any] | None] = solara.reactive(None)
slider_nonce: solara.Reactive[int] = solara.reactive(0)  # bumped: sliders back to the run
ghost: solara.Reactive[tuple[str, Any, int | None] | None] = solara.reactive(None)
confirm_clear: solara.Reactive[bool] = solara.reactive(False)
saved_count: solara.Reactive[int] = solara.reactive(0)  # bumped: the picker lists again
# a value typed on the page that was not used (the seed field), said in one line
input_refused: solara.Reactive[Any] = solara.reactive(None)
save_message: solara.Reactive[tuple[str, str] | None] = solara.reactive(None)


@dataclass(frozen=True)
class Choices:
    """The session's choices, each as set on the page or else as the address said."""

    current: str | None
    base: str | None
    edits: dict[str, Any]
    seed: int | None
    comparing: bool
    presenting: bool


def current_choices(start: Startup, names: list[str]) -> Choices:
    """Read during the page's render, so the page redraws when any of them changes."""
    current = scenario_name.value or start.scenario
    is_comparing = comparing.value if comparing.value is not None else start.baseline is not None
    base = baseline_name.value or start.baseline or (
        DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else current)
    edits = lever_edits.value if lever_edits.value is not None else dict(start.address.levers)
    seed_value = seed.value if seed.value is not None else start.address.seed
    is_presenting = presenting.value if presenting.value is not None else \
        start.address.view == "present"
    return Choices(current, base, edits, seed_value, is_comparing, is_presenting)


def day_classes(*extra: str) -> list[str]:
    """The day label's classes; ``govsim-day-at-rest`` once neither Play nor the last
    days after Pause can move it (what a test, or a screen reader, can wait for)."""
    at_rest = not playing.value and not looping.value
    return ["govsim-day", *extra, *(["govsim-day-at-rest"] if at_rest else [])]


@dataclass
class View:
    """Everything the components need about the current session, worked out once."""

    lang: str
    names: list[str]
    current: str | None
    base: str | None
    edits: dict[str, Any]
    comparing: bool
    presenting: bool
    built: Built
    start: Startup

    @property
    def workshop(self) -> Workshop | None:
        return self.built.workshop
