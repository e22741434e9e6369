"""A device at a room's table: it hears the facilitator's pushes, tells the console how
it is doing, and submits the table's policy within the budget.

The table comes from the address (``?table=3``, set by the join form or the join
link). :func:`use_table` runs one background loop per session: it waits on the room
(:mod:`sim.viz.room_state`) so a push reaches the page at once, applies it to this
session's choices (scenario, levers, seed, play / pause), and reports the day, policy
and cost every second. :class:`TablePanel` is the sidebar's card: the policy's cost
against the budget, and Submit (refused over the budget, by the room itself).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import solara
import solara.lifecycle
from mesa.visualization.utils import update_counter

from sim.viz import serving
from sim.viz.compare import Workshop
from sim.viz.labels import t
from sim.viz.levers import changed_levers
from sim.viz.room import ENV_JOIN
from sim.viz.room_state import Push, room
from sim.viz.session import (
    View,
    lever_edits,
    measured_rate,
    pending_edit,
    playing,
    scenario_name,
    seed,
)

REPORT_SECONDS = 1.0  # how often a device tells the console its day and cost

# per session: the budget and sharing as last heard, the panel's message, pushes seen
budget_seen: solara.Reactive[float | None] = solara.reactive(None)
board_shared: solara.Reactive[bool] = solara.reactive(False)
table_message: solara.Reactive[tuple[str, dict[str, Any]] | None] = solara.reactive(None)
pushes_seen: solara.Reactive[int] = solara.reactive(0)


def page_table(view: View) -> str | None:
    """The address's table, in a room only (``govsim viz --room``: a facilitator to hear
    it); on one laptop ``table=`` changes nothing."""
    return view.start.address.table if os.environ.get(ENV_JOIN) else None


def policy_cost(workshop: Workshop | None) -> float | None:
    """The annual cost (yuan) of the run on screen, as :func:`sim.costs.annual_costs`
    reckons it for the model as built (what ``summary.json``'s ``annual_cost`` says)."""
    if workshop is None:
        return None
    from sim.costs import annual_costs, headcount

    run = workshop.runs[-1]  # the changed run when comparing
    with workshop.lock:
        return float(annual_costs(run.scenario, headcount(run.model))["annual_cost"])


def yuan(x: float) -> str:
    return f"{x:,.0f}"


def apply_push(p: Push, view: View) -> None:
    """What a push does to this session (called in the session's loop thread)."""
    if p.kind == "pause":
        playing.set(False)
    elif p.kind == "play":
        if view.workshop is not None and not view.workshop.finished:
            measured_rate.set(None)
            playing.set(True)
    else:  # a setting: the tables start level, paused at day 0
        playing.set(False)
        pending_edit.set(None)
        if p.scenario:
            scenario_name.set(p.scenario)
            lever_edits.set(dict(p.levers))
        elif p.levers:
            lever_edits.set({**view.edits, **p.levers})
        if p.seed is not None:
            seed.set(p.seed)
        pushes_seen.set(pushes_seen.value + 1)


def use_table(view: View, table: str | None) -> None:
    """The session's link to its table (a hook: call it from the page's render)."""
    latest = solara.use_ref(view)
    latest.current = view
    device = solara.use_memo(lambda: uuid.uuid4().hex, dependencies=[])
    start_seq = solara.use_memo(lambda: room().last_seq(), dependencies=[])

    def loop() -> None:
        if table is None:
            return
        r, closed, seq = room(), solara.lifecycle.kernel_closed_event(), start_seq
        standing = r.standing(table)
        # Joined after the facilitator's pushes (an address without a scenario: the join
        # form's): start where the others are. A reload keeps its own address instead.
        if standing is not None and latest.current.start.address.scenario is None:
            apply_push(standing, latest.current)
            seq = standing.seq
        try:
            while not closed.is_set():
                pushes, seq = r.pushes_after(seq, table)
                for p in pushes:
                    apply_push(p, latest.current)
                if r.budget != budget_seen.value:
                    budget_seen.set(r.budget)
                    refused = table_message.value
                    if refused is not None and refused[0] == "table_refused":
                        table_message.set(None)  # it named the old budget
                if r.board_shared != board_shared.value:
                    board_shared.set(r.board_shared)
                v = latest.current
                w = v.workshop
                r.report(table, device, day=w.day if w is not None else 0,
                         scenario=v.current, playing=bool(playing.value),
                         levers=changed_levers(v.built.scenario, v.edits)
                         if v.built.scenario is not None else {},
                         cost=policy_cost(w))
                r.wait(seq, REPORT_SECONDS)
        finally:
            r.leave(table, device)

    serving.use_task(loop, dependencies=[table])


def submit(view: View, table: str) -> None:
    w, scenario = view.workshop, view.built.scenario
    cost = policy_cost(w)
    if cost is None or scenario is None or view.current is None:
        return
    levers = changed_levers(scenario, view.edits)
    sub = room().submit(table, view.current, levers, cost)
    if sub is not None:
        from sim.viz.board import board

        board()  # its runner starts with the first submission
    budget = room().budget
    if sub is None:
        table_message.set(("table_refused", {"cost": yuan(cost), "budget": yuan(budget or 0)}))
    else:
        moved = ", ".join(f"{k}={v:g}" for k, v in levers.items())
        table_message.set(("table_submitted",
                           {"policy": view.current + (f" ({moved})" if moved else "")}))


@solara.component
def TablePanel(view: View, table: str) -> None:
    update_counter.get()  # the cost follows the run (riders' points as they are earned)
    lang = view.lang
    latest = solara.use_ref(view)
    latest.current = view
    # One handler for the panel's life: the panel redraws often (each step, each seed
    # landing), and a click arriving while a new handler is bound was lost.
    on_submit = solara.use_memo(lambda: (lambda: submit(latest.current, table)),
                                dependencies=[table])
    cost = policy_cost(view.workshop)
    budget = budget_seen.value
    over = cost is not None and budget is not None and cost > budget
    with solara.Card(t("table_title", lang, table=table), margin=0,
                     classes=["govsim-table-card"]):
        if cost is not None:
            solara.Text(t("table_cost", lang, cost=yuan(cost)), classes=["govsim-table-cost"])
        solara.Text(t("table_budget", lang, budget=yuan(budget)) if budget is not None
                    else t("table_no_budget", lang), classes=["govsim-table-budget"])
        if over:
            solara.Text(t("table_over", lang, over=yuan(cost - budget)),
                        classes=["govsim-table-over"], style={"color": "#c62828"})
        with solara.Tooltip(t("table_submit_tip", lang)):
            solara.Button(t("table_submit", lang), color="primary",
                          on_click=on_submit, classes=["govsim-submit"],
                          disabled=view.workshop is None)
        if table_message.value is not None:
            key, fields = table_message.value
            solara.Text(t(key, lang, **fields), classes=["govsim-table-message"],
                        style={"color": "#c62828" if key == "table_refused" else "#2e7d32"})
        if pushes_seen.value:
            solara.Text(t("table_pushed", lang, n=pushes_seen.value),
                        classes=["govsim-table-pushed"], style={"font-size": "0.85em"})
        if board_shared.value:
            solara.HTML(tag="a", unsafe_innerHTML=t("table_board", lang),
                        attributes={"href": f"/board?lang={lang}", "target": "_blank",
                                    "class": "govsim-table-board"})
