"""What the platform reports beside what residents get [P3, P5, P10].

Cities report 12345's KPIs: response, closed on time, satisfaction from callbacks
(Shanghai 2016: 99.5% closed on time, callback satisfaction 93%, and 82% resolved as
the departments themselves judged). The platform counts an order closed when a unit
closes it (办结), on time against its KPI deadline — extended on application, restarted
when the order was returned or reopened — whether or not the need was met. The
resident's side is the need met, by the deadline the resident was given. Both are
measured here on the same orders: the platform's own (reported by hotline, app or rider,
or passed up through a district centre), known in the window.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.issues import CH

KPI_KEYS: tuple[str, ...] = (
    "platform_orders", "kpi_response_share", "kpi_closed_share", "kpi_on_time_share",
    "kpi_satisfied_share", "need_met_share", "resident_on_time_share", "kpi_gap",
    "kpi_mean_days_to_close", "returned", "reopened", "extended", "paper_closed",
    "awaiting_reply_at_end",
)


def platform_kpis(c: Any, table: np.ndarray, known_in_window: np.ndarray,
                  response_days: float, counted: dict[str, float]) -> dict[str, float]:
    """The platform's KPIs and the residents' side, over the window's platform orders.

    ``c`` holds the log's columns as of the end of the window (``IssueLog.as_of``),
    ``table`` marks the window's issues, ``known_in_window`` those known in it;
    ``counted`` holds the window's counts of returns, reopenings, extensions and closings
    on paper (from the daily rows)."""
    n = len(table)
    channel, esc = c.channel[:n], c.escalations[:n]
    via = np.isin(channel, (CH["hotline"], CH["app"], CH["rider"])) | (esc > 0)
    orders = table & known_in_window & via
    flow = hasattr(c, "closed_at")
    closed_at = c.closed_at[:n] if flow else c.resolved_at[:n]
    kpi_deadline = c.kpi_deadline_at[:n] if flow else c.deadline_at[:n]
    known, started = c.known_at[:n], c.started_at[:n]
    resolved, deadline = c.resolved_at[:n], c.deadline_at[:n]
    closed = orders & ~np.isnan(closed_at)
    met = closed & ~np.isnan(resolved)

    def share(num: float, den: float) -> float:
        return float(num / den) if den else float("nan")

    kpi_on_time = share((closed_at[closed] <= kpi_deadline[closed]).sum(), closed.sum())
    resident_on_time = share((met & (resolved <= deadline)).sum(), closed.sum())
    called = orders & (c.satisfied[:n] >= 0) if flow else np.zeros(n, bool)
    days = closed_at[closed] - known[closed]
    return {
        "platform_orders": float(orders.sum()),
        "kpi_response_share": share((orders & (started - known <= response_days)).sum(),
                                    orders.sum()),
        "kpi_closed_share": share(closed.sum(), orders.sum()),
        "kpi_on_time_share": kpi_on_time,
        "kpi_satisfied_share": share((c.satisfied[:n][called] == 1).sum(), called.sum())
        if flow else float("nan"),
        "need_met_share": share(met.sum(), closed.sum()),
        "resident_on_time_share": resident_on_time,
        "kpi_gap": kpi_on_time - resident_on_time,
        "kpi_mean_days_to_close": float(days.mean()) if days.size else float("nan"),
        **counted,
        "awaiting_reply_at_end": float((orders & ~np.isnan(resolved)
                                        & np.isnan(closed_at)).sum()),
    }
