"""Outcome recording: the daily table and the headline summary (see docs/outputs.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.costs import COST_KEYS, annual_costs, headcount
from sim.issues import BY, CH, RESOLVED_LEVELS
from sim.kpi import KPI_KEYS, platform_kpis
from sim.residents import GROUPS
from sim.scenario import DEFAULT_NEIGHBOURHOOD_TYPES, Scenario

if TYPE_CHECKING:
    from sim.model import GovernanceModel

DAILY_COLUMNS: tuple[str, ...] = (
    "day", "raised", "known", "resolved", "open", "resolved_on_time", "resolved_late",
    "incidents", "escalations", "admin_hours", "case_hours", "patrol_hours",
    "overloaded_workers", "mean_trust", "trust_sd", "raised_total", "known_total",
    "resolved_total", "open_known", "open_unknown", "on_time_share", "grid_queue",
    "governance_hours", "visit_hours", "passed_on", "platform_queue", "meetings_failed",
    "enrolled_riders", "returned", "reopened", "extended", "paper_closed",
)


SUMMARY_KEYS: tuple[str, ...] = (
    "days", "residents", "grid_workers", "raised", "known", "resolved", "open_at_end",
    "resolution_rate", "on_time_share", "median_days_to_resolve", "p90_days_to_resolve",
    "mean_days_to_resolve", "q1_days_to_close", "median_days_to_close",
    "q3_days_to_close", "mean_days_to_close", "p90_days_to_close",
    "closed_within_7d_share", "escalation_share", "warmup_days", "carried_over",
    *(f"resolved_at_{level}_share" for level in RESOLVED_LEVELS),
    "hazards", "hazards_caught", "incidents", "hazards_caught_share", "admin_hours",
    "case_hours", "patrol_hours", "admin_share", "worker_hours", "overload_share",
    "mean_trust", "trust_sd", "trust_change", "participation",
    "governance_hours", "visit_hours", "self_governance_share", "casework_share",
    "patrol_share", "passed_on", "mean_dispatch_days", "p90_dispatch_days",
    "meetings_failed", "consultation_resolved", "enrolled_riders", "rider_points",
    "volunteer_resolved", "social_org_resolved", "reported_share", "pilot_communities",
    *KPI_KEYS, *COST_KEYS,
)


EQUITY_METRICS: tuple[str, ...] = ("known_share", "on_time_share", "days_to_resolve", "trust")


def neighbourhood_names(scenario: Scenario) -> list[str]:
    """The neighbourhood types a scenario's runs report on."""
    hoods = scenario.neighbourhoods
    return ["uniform"] if hoods.mix == "uniform" else list(hoods.types)


def equity_keys(type_names: list[str]) -> list[str]:
    """Equity keys of ``summary.json``: each metric by neighbourhood type and resident
    group, the spread across types and each group's gap to everyone else [P9]."""
    keys = [f"equity_{metric}_{unit}" for metric in EQUITY_METRICS
            for unit in (*type_names, *GROUPS)]
    keys += [f"{metric}_gap_types" for metric in EQUITY_METRICS]
    keys += [f"{metric}_gap_{group}" for metric in EQUITY_METRICS for group in GROUPS]
    return keys


def summary_keys(category_names: list[str], type_names: list[str] | None = None) -> list[str]:
    """The keys of ``summary.json`` for a scenario with these issue categories and
    neighbourhood types (default: the default types)."""
    if type_names is None:
        type_names = list(DEFAULT_NEIGHBOURHOOD_TYPES)
    return [*SUMMARY_KEYS, *(f"on_time_share_{name}" for name in category_names),
            *equity_keys(type_names)]


def issues_table(m: GovernanceModel) -> pd.DataFrame:
    """The issues table of a run (docs/outputs.md): issues raised before now, who raised
    them, their groups and neighbourhood type; with a warm-up, the window's issues."""
    frame = m.issues.frame(m.cats.names, until=m.time)
    # Who raised it (-1: a rider's own issue), their groups and neighbourhood type.
    pop, pl = m.population, m.places
    who = m.issues.resident[: m.issues.n]
    mine = who >= 0
    safe = np.where(mine, who, 0)
    frame["resident"] = who
    for group in GROUPS:
        col = pd.array(pop.group(group)[safe], dtype="boolean")
        col[~mine] = pd.NA
        frame[group] = col
    frame["pilot"] = m.pilot_comm[frame["community"].to_numpy()]
    frame["neighbourhood"] = pd.Categorical.from_codes(
        pl.community_type[frame["community"].to_numpy()], categories=list(pl.type_names))
    # With a warm-up, the window's issues: raised in it, or carried over (still open
    # when it started).
    w = float(m.p.run.warmup_days)
    frame["carried_over"] = frame["raised_at"] < w
    keep = (frame["raised_at"] < m.time) & (
        ~frame["carried_over"] | ~(frame["resolved_at"] < w))
    return frame[keep].reset_index(drop=True)


class Recorder:
    """Counts what happens during a day and writes one row at the day's close.

    With a warm-up (``run.warmup_days`` = w) the tables cover the window from day w: the
    ``_total`` columns count from its start and the levels (``open`` ...) include the
    issues still open when it started (carried over; docs/outputs.md).
    """

    def __init__(self, model: GovernanceModel) -> None:
        self.model = model
        self.rows: list[dict[str, Any]] = []
        self.start = model.p.run.warmup_days  # the first day of the tables
        self.raised_by_category = np.zeros(len(model.cats), dtype=np.int64)
        self.raised_total = self.known_total = self.resolved_total = 0
        self.on_time_total = self.late_total = 0
        self.worker_days = self.overloaded_days = 0
        self.open_base = self.known_base = 0  # open (and known) when the window started
        self._reset()

    def _reset(self) -> None:
        self.n_raised = self.known = self.n_resolved = self.on_time = self.late = 0
        self.incidents = self.escalations = 0
        self.passed_on = self.meetings_failed = 0
        self.returned = self.reopened = self.extended = self.paper_closed = 0

    @property
    def window(self) -> list[dict[str, Any]]:
        """The daily rows of the window (after the warm-up)."""
        return self.rows[self.start:] if self.start else self.rows

    def _start_window(self) -> None:
        """The warm-up is over: totals count from here; what is open is carried over."""
        m = self.model
        self.open_base = self.raised_total - self.resolved_total
        self.known_base = self.known_total - self.resolved_total
        self.raised_total = self.known_total = self.resolved_total = 0
        self.on_time_total = self.late_total = 0
        self.worker_days = self.overloaded_days = 0
        self.trust_at_start = m.mean_trust
        self.reports_at_start = m.reports.copy()
        self.points_at_start = sum(r.points for r in m._rider_list)

    def raised(self, categories: np.ndarray) -> None:
        self.n_raised += len(categories)
        self.raised_by_category += np.bincount(categories, minlength=len(self.raised_by_category))

    def resolved(self, on_time: bool) -> None:
        self.n_resolved += 1
        if on_time:
            self.on_time += 1
        else:
            self.late += 1

    def incident_in_closed_day(self) -> None:
        """A hazard's clock ran out during the day just closed (found at its boundary)."""
        self.rows[-1]["incidents"] += 1

    def close_day(self, day: int, overloaded: int) -> None:
        m = self.model
        self.raised_total += self.n_raised
        self.known_total += self.known
        self.resolved_total += self.n_resolved
        self.on_time_total += self.on_time
        self.late_total += self.late
        workers = m._grid_worker_list
        if m.works_on(day):
            self.worker_days += len(workers)
            self.overloaded_days += overloaded
        self.rows.append({
            "day": day,
            "raised": self.n_raised,
            "known": self.known,
            "resolved": self.n_resolved,
            "open": self.open_base + self.raised_total - self.resolved_total,
            "resolved_on_time": self.on_time,
            "resolved_late": self.late,
            "incidents": self.incidents,
            "escalations": self.escalations,
            "admin_hours": float(sum(w.admin_hours for w in workers)),
            "case_hours": float(sum(w.case_hours for w in workers)),
            "patrol_hours": float(sum(w.patrol_hours for w in workers)),
            "overloaded_workers": overloaded,
            "mean_trust": m.mean_trust,
            "trust_sd": m.trust_sd,
            "raised_total": self.raised_total,
            "known_total": self.known_total,
            "resolved_total": self.resolved_total,
            "open_known": self.known_base + self.known_total - self.resolved_total,
            "open_unknown": self.open_base - self.known_base + self.raised_total
            - self.known_total,
            "on_time_share": self.on_time_total / self.resolved_total
            if self.resolved_total else float("nan"),
            "grid_queue": sum(len(t) for t in m.grid_teams),
            "governance_hours": float(sum(w.governance_hours for w in workers)),
            "visit_hours": float(sum(w.visit_hours for w in workers)),
            "passed_on": self.passed_on,
            "platform_queue": len(m.platform.intake) + sum(len(t) for t in m.platform.centres),
            "meetings_failed": self.meetings_failed,
            "enrolled_riders": m.enrolled_riders,
            "returned": self.returned,
            "reopened": self.reopened,
            "extended": self.extended,
            "paper_closed": self.paper_closed,
        })
        self._reset()
        if day == self.start - 1:  # the warm-up's last day: the window starts now
            self._start_window()

    def daily_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.window, columns=list(DAILY_COLUMNS))
        ints = [c for c in DAILY_COLUMNS if c not in {
            "admin_hours", "case_hours", "patrol_hours", "mean_trust", "trust_sd",
            "on_time_share", "governance_hours", "visit_hours"}]
        return frame.astype({c: "int64" for c in ints})

    def summary(self) -> dict[str, float]:
        """Headline outcomes of the days run so far (flat, numeric)."""
        m = self.model
        # The log as it stood at the end of the last day (the next day has opened at the
        # same instant: what it did is not counted, as no daily row holds it yet).
        log = _Columns(m.issues.as_of(m.time))
        n = m.issues.n
        w = float(self.start)
        # The window's issues: raised in it, or carried over (raised in the warm-up and
        # still open when the window started). Without a warm-up: every issue raised.
        upto = log.raised_at[:n] < m.time
        if w > 0:
            upto &= (log.raised_at[:n] >= w) | ~(log.resolved_at[:n] < w)
        new = log.raised_at[:n][upto] >= w  # raised in the window
        raised_at = log.raised_at[:n][upto]
        resolved_at = log.resolved_at[:n][upto]
        deadline = log.deadline_at[:n][upto]
        done = ~np.isnan(resolved_at)
        days = resolved_at[done] - raised_at[done]
        cat = log.category[:n][upto]
        hazard = m.cats.hazard[cat]
        incident = log.became_incident[:n][upto]
        caught = hazard & done & ~incident
        if w > 0:  # incidents in the window (a carried-over one may date from before)
            incident = incident & (log.incident_at[:n][upto] >= w)
        level = log.resolved_level[:n][upto]
        esc = log.escalations[:n][upto]
        daily = self.window
        admin = sum(r["admin_hours"] for r in daily)
        case = sum(r["case_hours"] for r in daily)
        patrol = sum(r["patrol_hours"] for r in daily)
        governance = sum(r["governance_hours"] for r in daily)
        visits = sum(r["visit_hours"] for r in daily)
        hours = admin + case + patrol + governance + visits
        known_at = log.known_at[:n][upto]
        dispatched = log.dispatched_at[:n][upto]
        channel = log.channel[:n][upto]
        via_platform = np.isin(channel, (CH["hotline"], CH["app"], CH["rider"])) & ~np.isnan(
            dispatched)
        dispatch_days = dispatched[via_platform] - known_at[via_platform]
        by = log.resolved_by[:n][upto]
        n_res = len(m.residents_list)

        def share(num: float, den: float) -> float:
            return float(num / den) if den else float("nan")

        close = resolved_at[done] - known_at[done]

        out: dict[str, float] = {
            "days": float(len(daily)),
            "residents": float(n_res),
            "grid_workers": float(len(m._grid_worker_list)),
            "raised": float(new.sum()),
            "known": float((known_at >= w).sum()),
            "resolved": float(done.sum()),
            "open_at_end": float((~done).sum()),
            "resolution_rate": share(done.sum(), new.sum()),
            "on_time_share": share((resolved_at[done] <= deadline[done]).sum(), done.sum()),
            "median_days_to_resolve": float(np.median(days)) if days.size else float("nan"),
            "p90_days_to_resolve": float(np.quantile(days, 0.9)) if days.size else float("nan"),
            "mean_days_to_resolve": float(days.mean()) if days.size else float("nan"),
            # "Days to close" as NYC 311 counts them [P7]: from known to resolved.
            "q1_days_to_close": _q(close, 0.25),
            "median_days_to_close": _q(close, 0.5),
            # The long tail [P7, P12]: third quartile, mean and 90th percentile.
            "q3_days_to_close": _q(close, 0.75),
            "mean_days_to_close": float(close.mean()) if close.size else float("nan"),
            "p90_days_to_close": _q(close, 0.9),
            "closed_within_7d_share": share((close <= 7.0).sum(), close.size),
            "escalation_share": share((esc[done] > 0).sum(), done.sum()),
            "warmup_days": w,
            "carried_over": float((~new).sum()),
        }
        for code, name in enumerate(RESOLVED_LEVELS):
            out[f"resolved_at_{name}_share"] = share((level[done] == code).sum(), done.sum())
        out.update({
            "hazards": float((hazard & new).sum()),
            "hazards_caught": float(caught.sum()),
            "incidents": float(incident.sum()),
            "hazards_caught_share": share(caught.sum(), caught.sum() + incident.sum()),
            "admin_hours": admin,
            "case_hours": case,
            "patrol_hours": patrol,
            "admin_share": share(admin, hours),
            "worker_hours": hours,
            "overload_share": share(self.overloaded_days, self.worker_days),
            "mean_trust": m.mean_trust,
            "trust_sd": m.trust_sd,
            "trust_change": m.mean_trust - (self.trust_at_start if w else m.trust_start),
            "participation": share(int(np.count_nonzero(
                m.reports - self.reports_at_start if w else m.reports)), n_res),
            "governance_hours": governance,
            "visit_hours": visits,
            "self_governance_share": share(governance + visits + patrol, hours),
            "casework_share": share(case, hours),
            "patrol_share": share(patrol, hours),
            "passed_on": float(sum(r["passed_on"] for r in daily)),
            "mean_dispatch_days": float(dispatch_days.mean()) if dispatch_days.size
            else float("nan"),
            "p90_dispatch_days": float(np.quantile(dispatch_days, 0.9)) if dispatch_days.size
            else float("nan"),
            "meetings_failed": float(sum(r["meetings_failed"] for r in daily)),
            "consultation_resolved": float((by[done] == BY["consultation"]).sum()),
            "enrolled_riders": float(m.enrolled_riders),
            "rider_points": float(sum(r.points for r in m._rider_list)
                                  - (self.points_at_start if w else 0)),
            "volunteer_resolved": float((by[done] == BY["volunteer"]).sum()),
            "social_org_resolved": float((by[done] == BY["social_organisation"]).sum()),
            "reported_share": share(
                np.isin(channel, (CH["grid_worker"], CH["micro_grid_worker"], CH["hotline"],
                                  CH["app"]))[(log.resident[:n][upto] >= 0) & new].sum(),
                ((log.resident[:n][upto] >= 0) & new).sum()),
            "pilot_communities": float(m.pilot_comm.sum()),
        })
        counted = {k: float(sum(r[k] for r in daily)) for k in (
            "returned", "reopened", "extended", "paper_closed")}
        table = np.zeros(n, bool)
        table[:n] = upto
        out.update(platform_kpis(log, table, ~(log.known_at[:n] < w),
                                 m.p.appraisal.response_days, counted))
        out.update(annual_costs(m.p, headcount(m)))  # yuan a year (sim/costs.py)
        for k, name in enumerate(m.cats.names):
            sel = done & (cat == k)
            out[f"on_time_share_{name}"] = share(
                (resolved_at[sel] <= deadline[sel]).sum(), sel.sum())
        out.update(self.equity(upto, log))
        return out

    def equity(self, upto: np.ndarray, log: _Columns) -> dict[str, float]:
        """Who is left behind: known share, on-time share, days to resolve and trust by
        neighbourhood type and resident group, with the gaps [P9]."""
        m = self.model
        pop, pl = m.population, m.places
        n = m.issues.n
        res = log.resident[:n][upto]
        mine = res >= 0  # residents' issues (riders' own have no resident)
        res = res[mine]
        known = ~np.isnan(log.known_at[:n][upto][mine])
        resolved_at = log.resolved_at[:n][upto][mine]
        done = ~np.isnan(resolved_at)
        on_time = done & (resolved_at <= log.deadline_at[:n][upto][mine])
        days = resolved_at - log.raised_at[:n][upto][mine]
        kind_of_issue = pl.community_type[pop.community[res]]
        kind_of_resident = pl.community_type[pop.community]

        def metrics(issue_mask: np.ndarray, resident_mask: np.ndarray) -> dict[str, float]:
            sel = issue_mask & done
            return {
                "known_share": float(known[issue_mask].mean()) if issue_mask.any() else NAN,
                "on_time_share": float(on_time[sel].sum() / sel.sum()) if sel.any() else NAN,
                "days_to_resolve": float(np.median(days[sel])) if sel.any() else NAN,
                "trust": float(pop.trust[resident_mask].mean()) if resident_mask.any()
                else NAN,
            }

        out: dict[str, float] = {}
        by_type = {}
        for t, name in enumerate(pl.type_names):
            by_type[name] = metrics(kind_of_issue == t, kind_of_resident == t)
        by_group = {}
        rest = {}
        for group in GROUPS:
            mask = pop.group(group)
            by_group[group] = metrics(mask[res], mask)
            rest[group] = metrics(~mask[res], ~mask)
        for metric in EQUITY_METRICS:
            for name, values in (*by_type.items(), *by_group.items()):
                out[f"equity_{metric}_{name}"] = values[metric]
        for metric in EQUITY_METRICS:
            values = [v[metric] for v in by_type.values() if not np.isnan(v[metric])]
            out[f"{metric}_gap_types"] = float(max(values) - min(values)) if len(
                values) > 1 else NAN
        for metric in EQUITY_METRICS:
            for group in GROUPS:
                out[f"{metric}_gap_{group}"] = by_group[group][metric] - rest[group][metric]
        return out


NAN = float("nan")


class _Columns:
    """Columns of :meth:`sim.issues.IssueLog.as_of` read as attributes, like the log."""

    def __init__(self, columns: dict[str, np.ndarray]) -> None:
        self.__dict__.update(columns)


def _q(x: np.ndarray, p: float) -> float:
    return float(np.quantile(x, p)) if x.size else float("nan")
