"""Work orders (工单) waiting in a queue and the desks that serve them, on Mesa's clock.

A :class:`Team` is one queue served by several :class:`Desk` s — the grid workers of a
grid, the staff of a street office, a district department. Orders are served urgent
first, then earliest deadline first (overdue work has the earliest deadline). A desk
works only inside its shift; work not finished at the end of a shift waits for the
next one. Each desk keeps at most one pending finish on the model's :class:`Agenda`,
which runs desks' finishes and the transit's deliveries from one Mesa event.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import mesa

    from sim.issues import IssueLog

_DONE = 1e-9  # hours of work left below which an order is done (float round-off)


class Team:
    """A queue of work orders and the desks that serve it."""

    __slots__ = ("_normal", "_urgent", "daily_hours", "desks", "kind", "level", "on_done",
                 "place", "queued_hours", "resolver", "resolves_all", "shift_hours")

    def __init__(
        self,
        kind: str,
        level: int,
        resolver: int,
        place: int,
        on_done: Callable[[int, Team, float], None],
        *,
        resolves_all: bool = False,
        shift_hours: float = 8.0,
    ) -> None:
        self.kind = kind  # "grid", "community", "street", "department", "utility", ...
        self.level = level  # code in sim.issues.RESOLVED_LEVELS
        self.resolver = resolver  # code in sim.issues.RESOLVERS
        self.place = place  # index of the grid / community / street / district served
        self.on_done = on_done
        self.resolves_all = resolves_all  # service teams resolve whatever the level
        self.shift_hours = shift_hours
        # (deadline, issue, hours): urgent orders in a heap of their own, served first;
        # the same order as one heap of (urgency, deadline, ...) at a cheaper comparison.
        self._urgent: list[tuple[float, int, float]] = []
        self._normal: list[tuple[float, int, float]] = []
        self.desks: list[Desk] = []
        self.queued_hours = 0.0  # work waiting in the queue (not yet taken by a desk)
        # Hours of work the team gets through on an average day, set by whoever builds
        # its shifts: what routing reads to see whether the team can take more.
        self.daily_hours = 0.0

    def __len__(self) -> int:
        return len(self._urgent) + len(self._normal)

    @property
    def staffed(self) -> bool:
        return bool(self.desks) and self.daily_hours > 0

    def backlog_days(self) -> float:
        """Days the team needs to clear what is waiting (inf when nobody works it)."""
        if not self.staffed:
            return float("inf")
        return self.queued_hours / self.daily_hours

    def push(self, issue: int, urgent: bool, deadline: float, now: float,
             hours: float = 0.0) -> None:
        """Queue an order of ``hours`` work; an idle desk on shift takes it at once."""
        heappush(self._urgent if urgent else self._normal, (deadline, issue, hours))
        self.queued_hours += hours
        for desk in self.desks:
            if desk.current < 0 and desk.open_at <= now < desk.close_at:
                desk.start_next(now)
                return

    def pop(self) -> int:
        item = heappop(self._urgent if self._urgent else self._normal)
        self.queued_hours = max(0.0, self.queued_hours - item[2])
        return item[1]

    def queued(self) -> list[int]:
        return [item[1] for item in (*self._urgent, *self._normal)]


class Desk:
    """One person's (or one shift's) capacity to work through a team's queue."""

    __slots__ = ("_token", "agenda", "agent", "busy_hours", "close_at", "current", "log",
                 "model", "open_at", "seg_start", "speed", "team")

    def __init__(self, model: mesa.Model, team: Team, log: IssueLog,
                 agent: mesa.Agent | None = None, speed: float = 1.0) -> None:
        self.model = model
        # Hours of work done per hour on shift: 1 for a person; a share of a person for
        # a desk standing for part of a centre's staff (a dispatcher's share of a
        # district centre, a community's share of volunteers' hours).
        self.speed = speed
        self.team = team
        self.agent = agent
        self.log = log
        self.current = -1  # issue id being worked on, -1 when idle
        self.seg_start = 0.0
        self.open_at = 0.0
        self.close_at = 0.0  # closed until the first shift opens
        self.busy_hours = 0.0
        self.agenda: Agenda = model.agenda
        self._token = 0  # the agenda entry of the pending finish (0: none)
        team.desks.append(self)

    def open(self, now: float, close_at: float) -> None:
        """Start a shift: resume paused work or take the next order."""
        self.open_at, self.close_at = now, close_at
        if close_at <= now:
            return
        if self.current >= 0:
            self._run(now)
        else:
            self.start_next(now)

    def start_next(self, now: float) -> None:
        team = self.team
        if team._urgent or team._normal:
            self.current = issue = team.pop()
            started = self.log.started_at
            if started[issue] != started[issue]:  # NaN: the first hands on it
                started[issue] = now
            self._run(now)

    def set_speed(self, speed: float, now: float) -> None:
        """Change the desk's speed from ``now`` (work done so far counted at the old one)."""
        if speed == self.speed:
            return
        if self.current >= 0:
            until = min(now, self.close_at)
            if self.seg_start < until:
                self._progress(until)
            self.speed = speed
            if self.open_at <= now < self.close_at:
                self._run(now)
            return
        self.speed = speed

    def take_hours(self, now: float) -> float:
        """Hours worked since the last call (work in progress counted up to ``now``)."""
        until = min(now, self.close_at)  # no work is done off shift
        if self.current >= 0 and self.seg_start < until:
            self._progress(until)
        hours, self.busy_hours = self.busy_hours, 0.0
        return hours

    def _run(self, now: float) -> None:
        self.seg_start = now
        self._token = 0  # a pending finish is void
        if self.speed < 1e-9:  # nobody's hours behind the desk now: wait for some
            return
        # Python floats, not numpy's: the agenda compares these times many times over.
        end = now + float(self.log.work_left[self.current]) / (24.0 * self.speed)
        self._token = self.agenda.set(min(end, self.close_at), self)

    def _progress(self, now: float) -> None:
        worked = (now - self.seg_start) * 24.0 * self.speed
        self.busy_hours += worked
        self.log.work_left[self.current] -= worked
        self.seg_start = now

    def due(self, now: float) -> None:
        """The pending finish: the order is done, or the shift has ended."""
        self._token = 0
        if self.current < 0:
            return
        self._progress(now)
        issue = self.current
        if self.log.work_left[issue] > _DONE:
            return  # the shift ended first: resume at the next shift
        self.log.work_left[issue] = 0.0
        self.current = -1
        self.team.on_done(issue, self.team, now)
        if self.current < 0 and now < self.close_at:  # on_done may have handed it work
            self.start_next(now)


class Agenda:
    """Desks' finishes and work orders' deliveries, in order, from one Mesa event.

    Mesa's events cost ~10 µs each (an Event, a weak reference, a heap entry), and a
    district day has ~4,000 finishes and deliveries. The agenda keeps them in one plain
    heap ``(time, order set, owner, issue)`` with one Mesa event at the earliest. When
    that event fires, the agenda runs, in order, every entry that comes before the next
    event on Mesa's own list, calling each owner with the entry's time (nothing an owner
    calls reads the model's clock; it is moved once, to the last entry's time), and then
    sets its one event again: what happens, and in what order, is what one Mesa event per
    entry would give (by time, then by when it was set).

    Two kinds of entry share the heap. A desk's pending finish (``issue`` -1): the desk
    holds the order number of its one pending entry in ``_token``, and an entry whose
    number is no longer its desk's was cancelled and is passed over. A delivery
    (``issue`` >= 0, owner the callback): never cancelled, called as ``owner(issue,
    time)``. One heap for both, not a second heap behind one entry, because every
    delivery would otherwise be pushed and popped twice.
    """

    __slots__ = ("__weakref__", "_event", "_event_at", "_heap", "_running", "_seq", "model")

    def __init__(self, model: mesa.Model) -> None:
        self.model = model
        self._heap: list[tuple[float, int, object, int]] = []
        self._seq = 0
        self._event: object | None = None
        self._event_at = float("inf")
        self._running = False

    def __len__(self) -> int:
        return len(self._heap)

    def set(self, at: float, owner: Desk) -> int:
        """Call ``owner.due(at)`` at ``at``; returns the entry's order number (> 0)."""
        self._seq += 1
        heappush(self._heap, (float(at), self._seq, owner, -1))
        if at < self._event_at and not self._running:
            self._wake(at)
        return self._seq

    def deliver(self, at: float, deliver: Callable[[int, float], None], issue: int) -> None:
        """Call ``deliver(issue, at)`` at ``at``."""
        self._seq += 1
        heappush(self._heap, (float(at), self._seq, deliver, issue))
        if at < self._event_at and not self._running:
            self._wake(at)

    def deliveries(self) -> list[tuple[float, Callable[[int, float], None], int]]:
        """(time, callback, issue) of every delivery still to come."""
        return [(at, owner, issue) for at, _, owner, issue in self._heap  # type: ignore[misc]
                if issue >= 0]

    def _wake(self, at: float) -> None:
        if self._event is not None:
            self._event.cancel()  # type: ignore[attr-defined]
        self._event_at = at
        self._event = self.model.schedule_event(self._run, at=at)

    def _run(self) -> None:
        self._event, self._event_at = None, float("inf")
        model, heap = self.model, self._heap
        # Mesa's own list of events: its first live one bounds how far the agenda may go.
        events = model._event_list._events
        now = model.time
        self._running = True
        try:
            while heap:
                at, seq, owner, issue = heap[0]
                if issue < 0 and owner._token != seq:  # type: ignore[attr-defined]
                    heappop(heap)  # a cancelled finish
                    continue
                if at > now:
                    while events and events[0].CANCELED:
                        heappop(events)
                    if events and events[0].time <= at:
                        break  # Mesa's next event comes first: wake up after it
                    now = at
                heappop(heap)
                if issue < 0:
                    owner.due(at)  # type: ignore[attr-defined]
                else:
                    owner(issue, at)  # type: ignore[operator]
        finally:
            self._running = False
            if now > model.time:
                model.time = now
        if heap:
            self._wake(heap[0][0])


class Transit:
    """Work orders on their way between hands: a report being made, a relay by a
    micro-grid worker, a platform dispatch, an on-the-spot fix under way.

    Each delivery is an entry on the model's :class:`Agenda`, so deliveries and desks'
    finishes are run in one order (by time, then by when they were set).
    """

    __slots__ = ("agenda", "model", "trace")

    def __init__(self, model: mesa.Model, *, trace: bool = False) -> None:
        self.model = model
        self.agenda: Agenda = model.agenda  # type: ignore[attr-defined]
        # (scheduled for, delivered at, route, issue) of every delivery, when tracing:
        # the check that nothing is delivered late (tests, verification).
        self.trace: list[tuple[float, float, str, int]] | None = [] if trace else None

    def __len__(self) -> int:
        return len(self.pending())

    def pending(self) -> list[tuple[float, Callable[[int, float], None], int]]:
        """(time, callback, issue) of every order on its way now."""
        return self.agenda.deliveries()

    def holds(self) -> set[int]:
        """Issues on their way now."""
        return {issue for _, _, issue in self.pending()}

    def send(self, at: float, deliver: Callable[[int, float], None], issue: int) -> None:
        """Call ``deliver(issue, at)`` at time ``at``."""
        if self.trace is not None:
            deliver = self._traced(deliver)
        self.agenda.deliver(at, deliver, issue)

    def _traced(self, deliver: Callable[[int, float], None]) -> Callable[[int, float], None]:
        trace, model = self.trace, self.model
        assert trace is not None

        def traced(issue: int, at: float) -> None:
            # Delivered at: Mesa's clock, if it has already gone past the time set.
            trace.append((at, max(at, model.time), deliver.__name__, issue))
            deliver(issue, at)

        traced.__name__ = deliver.__name__
        return traced


class ShiftGroup:
    """Desks that open together each day (one Mesa event a day for all of them)."""

    __slots__ = ("__weakref__", "close_hour", "desks", "holidays", "model", "open_hour",
                 "workdays")

    def __init__(self, model: mesa.Model, desks: list[Desk], open_hour: float,
                 close_hour: float, workdays: int) -> None:
        self.model = model
        self.desks = desks
        self.open_hour = open_hour
        self.close_hour = close_hour
        self.workdays = workdays  # per week
        # The working calendar (sim.holidays.WorkCalendar) when public holidays close
        # these desks; None: every week alike.
        self.holidays = None

    def works_on(self, day: int) -> bool:
        if self.holidays is not None:
            return self.holidays.is_workday(day, self.workdays)
        return day % 7 < self.workdays

    def schedule(self, day: int) -> None:
        if self.desks and self.works_on(day) and self.close_hour > self.open_hour:
            self.model.schedule_event(self.open, at=day + self.open_hour / 24.0)

    def open(self) -> None:
        now = self.model.time
        close_at = float(np.floor(now)) + self.close_hour / 24.0
        for desk in self.desks:
            desk.open(now, close_at)
