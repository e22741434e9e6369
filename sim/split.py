"""One run split by district (分区并行): each district its own model, on its own core.

A city's districts share nothing but the city's 12345 intake centre: departments,
utilities, command centres, street offices and communities are each within one district,
riders' routes stay in their street and residents' ties in their community. So a run
can be split into one model per district, run anywhere (this process, a local pool, a
Dask cluster) and joined into one run's tables.

What the split changes, and only that (docs/performance.md):

* **The intake centre is split** into district shares: each district's part has its
  share of the city's intake staff (by residents, at least one on duty), not a place in
  one city-wide queue. Nothing else crosses a district, so nothing else is exchanged.
* **Random streams are the district's own**: the city's layout and pilot units are drawn
  from the run's seed first (the same for the whole city as in one model), then district
  ``d`` runs from its own child of the seed. A split run is therefore its own model: the
  same seed gives the same numbers however many workers run it, or where, but not the
  numbers of the unsplit model.
* **Numbering**: a split run numbers issues district after district (``issue_id``), and
  places and residents as the city does.

A scenario asks for it with ``run.split = "district"`` (``govsim run --split district``),
so the run folder's scenario.toml reproduces it. The parts come back as :class:`RunPart`
(the columns and counts a finished model's tables are made from) and :func:`join` makes
the run's daily table, issues table and summary from them, with the same code a single
model uses (:class:`sim.outcomes.Recorder`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.builder.pilots import pilot_communities
from sim.builder.platform import ON_DUTY
from sim.issues import CategoryTable, IssueLog
from sim.limits import peak_rss_mb
from sim.model import GovernanceModel
from sim.outcomes import DAILY_COLUMNS, Recorder, issues_table
from sim.places import Offsets, Places, build_graph, district_places, lay_out
from sim.residents import GROUPS
from sim.scenario import Scenario

SeedLike = int | np.random.SeedSequence

# A map over the parts: ``mapper(run_part, tasks)`` returns their results in order. The
# caller chooses where they run (sim.experiments.executor.part_mapper).
Mapper = Callable[[Callable[["PartTask"], "RunPart"], Sequence["PartTask"]], list["RunPart"]]

# Daily columns that are not sums over the districts.
_MEANS = {"day", "mean_trust", "trust_sd", "on_time_share"}
_PLACE_COLUMNS = ("micro_grid", "grid", "community")


def _child(seed: SeedLike, k: int) -> np.random.SeedSequence:
    """Child ``k`` of a seed, made without changing the seed (spawn() would)."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, k),
                                      pool_size=seed.pool_size)
    return np.random.SeedSequence(int(seed), spawn_key=(k,))


@dataclass(frozen=True)
class PartTask:
    """One district's part of a split run: everything a worker needs, picklable."""

    scenario: Scenario  # the district's: one district, its pilot communities by id
    places: Places  # the district's places, numbered from 0
    offsets: Offsets
    district: int
    days: int  # including the warm-up
    seed: np.random.SeedSequence


@dataclass
class RunPart:
    """What one district's finished model leaves for the run's tables."""

    district: int
    offsets: Offsets
    columns: dict[str, np.ndarray]  # the issue log as of the run's end (IssueLog.as_of)
    flow: bool
    rows: list[dict[str, Any]]  # every daily row, warm-up included
    time: float
    residents: int
    grid_workers: int
    micro_grid_workers: int
    volunteers: int
    projects: int
    rider_points: float
    points_at_start: float
    enrolled_riders: int
    mean_trust: float
    trust_sd: float
    trust_start: float
    trust_at_start: float
    reports: np.ndarray
    reports_at_start: np.ndarray | None
    pilot_comm: np.ndarray
    trust: np.ndarray
    community: np.ndarray  # each resident's community (the district's numbering)
    groups: dict[str, np.ndarray]
    overloaded_days: int
    worker_days: int
    wall_seconds: float
    peak_rss_mb: float


def split_tasks(scenario: Scenario, days: int,
                seed: SeedLike) -> tuple[Places, list[PartTask]]:
    """The city's places and the parts of a split run of ``days`` (warm-up included),
    one per district."""
    rng = np.random.default_rng(_child(seed, 0))
    places = lay_out(scenario.layout, scenario.neighbourhoods, rng)
    (pilot_rng,) = rng.spawn(1)
    pilots = pilot_communities(places, scenario.pilot, pilot_rng)
    intake = _intake_shares(scenario, places)
    tasks = []
    for d in range(places.n_districts):
        part, offsets = district_places(places, d)
        local = np.flatnonzero(pilots[offsets.community:offsets.community
                                      + part.n_communities])
        # The district's share of the city's intake desks, as the rate that gives it them.
        rate = intake[d] / (part.n_residents / 100_000 * ON_DUTY) if intake[d] else 0.0
        district_scenario = scenario.with_overrides({
            "layout.districts": 1, "platform.intake_staff_per_100k": rate,
            "pilot.streets": 0, "pilot.communities": 0, "pilot.street_ids": [],
            "pilot.community_ids": local.tolist()}, origin="the split by district")
        tasks.append(PartTask(district_scenario, part, offsets, d, days, _child(seed, 1 + d)))
    return places, tasks


def _intake_shares(scenario: Scenario, places: Places) -> np.ndarray:
    """The city intake centre's desks (as one model staffs it) shared out among the
    districts by residents, largest remainders first, so the split keeps the city's
    head-count (a district left with none still keeps one on duty)."""
    residents = places.residents_in("district").astype(float)
    desks = max(1, round(scenario.platform.intake_staff_per_100k
                         * places.n_residents / 100_000 * ON_DUTY))
    quota = desks * residents / residents.sum()
    share = np.floor(quota).astype(np.int64)
    extra = desks - int(share.sum())
    share[np.argsort(-(quota - share), kind="stable")[:extra]] += 1
    return share


def run_part(task: PartTask) -> RunPart:
    """Run one district's part to its end. Pure: the same task gives the same part
    anywhere."""
    start = time.perf_counter()
    p = task.scenario
    graph = build_graph(task.places, utilities_in_grid=p.utilities.in_grid)
    model = GovernanceModel(p, rng=task.seed, graph=graph)
    model.run(task.days)
    return part_of(model, task.district, task.offsets, time.perf_counter() - start)


def part_of(model: GovernanceModel, district: int, offsets: Offsets,
            wall_seconds: float = 0.0) -> RunPart:
    """What a finished model leaves for a split run's tables."""
    rec, pop = model.recorder, model.population
    w = rec.start
    return RunPart(
        district=district, offsets=offsets,
        columns=model.issues.as_of(model.time), flow=model.issues.flow, rows=rec.rows,
        time=float(model.time), residents=len(model.residents_list),
        grid_workers=len(model._grid_worker_list),
        micro_grid_workers=len(model.micro_grid_workers),
        volunteers=len(model.volunteer_of), projects=int(getattr(model, "projects", 0)),
        rider_points=float(sum(r.points for r in model._rider_list)),
        points_at_start=float(rec.points_at_start) if w else 0.0,
        enrolled_riders=int(model.enrolled_riders), mean_trust=model.mean_trust,
        trust_sd=model.trust_sd, trust_start=model.trust_start,
        trust_at_start=rec.trust_at_start if w else model.trust_start,
        reports=model.reports, reports_at_start=rec.reports_at_start if w else None,
        pilot_comm=model.pilot_comm, trust=pop.trust, community=pop.community,
        groups={g: pop.group(g) for g in GROUPS}, overloaded_days=rec.overloaded_days,
        worker_days=rec.worker_days, wall_seconds=wall_seconds, peak_rss_mb=peak_rss_mb())


@dataclass
class SplitTables:
    """A split run's tables, joined, and what the split records in the manifest."""

    daily: pd.DataFrame
    issues: pd.DataFrame
    summary: dict[str, float]
    extra: dict[str, Any]


def run_split(scenario: Scenario, days: int, seed: SeedLike, mapper: Mapper | None = None,
              where: str = "this process") -> SplitTables:
    """Run ``scenario`` for ``days`` (warm-up included) split by district (see the
    module's notes); ``mapper`` runs the parts (default: one after another here). Same
    seed, same tables, whatever runs them. ``sim.run.simulate`` calls this for a scenario
    with ``run.split = "district"``."""
    places, tasks = split_tasks(scenario, days, seed)
    parts = (mapper or _serial)(run_part, tasks)
    joined = join(scenario, places, parts)
    return SplitTables(
        daily=joined.recorder.daily_frame(), issues=issues_table(joined),
        summary=joined.recorder.summary(), extra={"split": {
            "by": "district", "parts": len(parts), "where": where,
            "part_wall_seconds": [round(p.wall_seconds, 3) for p in parts],
            "part_peak_rss_mb": round(max(p.peak_rss_mb for p in parts), 1)}})


def _serial(fn: Callable[[PartTask], RunPart], tasks: Sequence[PartTask]) -> list[RunPart]:
    return [fn(task) for task in tasks]


# ------------------------------------------------------------------ joining
class JoinedRun:
    """The parts of a finished model that its tables read (``Recorder.summary``,
    ``issues_table``, ``costs.headcount``), made from the districts' parts: the city's
    issue log, residents and counts, in district order."""

    def __init__(self, scenario: Scenario, places: Places,
                 parts: Sequence[RunPart]) -> None:
        self.p = scenario
        self.cats = CategoryTable(scenario)
        self.time = parts[0].time
        self.places = places
        self.issues = _joined_log(parts)
        self.population = _JoinedPopulation(parts)
        self.pilot_comm = np.concatenate([p.pilot_comm for p in parts])
        n = sum(p.residents for p in parts)
        self.residents_list = range(n)
        self._grid_worker_list = range(sum(p.grid_workers for p in parts))
        self.micro_grid_workers = range(sum(p.micro_grid_workers for p in parts))
        self.volunteer_of = range(sum(p.volunteers for p in parts))
        self.projects = sum(p.projects for p in parts)
        self._rider_list = [_Points(p.rider_points) for p in parts]
        self.enrolled_riders = sum(p.enrolled_riders for p in parts)
        self.mean_trust, self.trust_sd = _pooled(
            [(p.residents, p.mean_trust, p.trust_sd) for p in parts])
        self.trust_start = _pooled([(p.residents, p.trust_start, 0.0) for p in parts])[0]
        self.reports = np.concatenate([p.reports for p in parts])
        rec = Recorder(self)
        rec.rows = _joined_rows(parts, rec.start)
        rec.overloaded_days = sum(p.overloaded_days for p in parts)
        rec.worker_days = sum(p.worker_days for p in parts)
        if rec.start:
            rec.trust_at_start = _pooled([(p.residents, p.trust_at_start, 0.0)
                                          for p in parts])[0]
            rec.reports_at_start = np.concatenate([p.reports_at_start for p in parts])
            rec.points_at_start = sum(p.points_at_start for p in parts)
        self.recorder = rec


def join(scenario: Scenario, places: Places, parts: Sequence[RunPart]) -> JoinedRun:
    """One run made of its districts' parts (in district order) on the city's places."""
    if [p.district for p in parts] != list(range(places.n_districts)):
        raise ValueError("split run: the parts are not the city's districts in order")
    return JoinedRun(scenario, places, parts)


@dataclass(frozen=True)
class _Points:
    points: float


class _JoinedPopulation:
    """The residents' columns the tables read, city-numbered."""

    def __init__(self, parts: Sequence[RunPart]) -> None:
        self.trust = np.concatenate([p.trust for p in parts])
        self.community = np.concatenate([p.community + p.offsets.community for p in parts])
        self._groups = {g: np.concatenate([p.groups[g] for p in parts]) for g in GROUPS}

    def group(self, name: str) -> np.ndarray:
        return self._groups[name]


def _joined_log(parts: Sequence[RunPart]) -> IssueLog:
    """The city's issue log: the districts' logs one after another, in city numbering."""
    total = sum(len(p.columns["raised_at"]) for p in parts)
    log = IssueLog(capacity=max(total, 16), flow=parts[0].flow)
    for name in log.cols:
        chunks = []
        for p in parts:
            col = p.columns[name]
            if name in _PLACE_COLUMNS:
                col = col + getattr(p.offsets, name)
            elif name == "resident":
                col = np.where(col >= 0, col + p.offsets.resident, col)
            chunks.append(col)
        getattr(log, name)[:total] = np.concatenate(chunks) if chunks else []
    log.n = total
    return log


def _pooled(groups: Sequence[tuple[int, float, float]]) -> tuple[float, float]:
    """Mean and standard deviation of the union of groups given as (n, mean, sd)."""
    n = sum(k for k, _, _ in groups)
    if n == 0:
        return 0.0, 0.0
    mean = sum(k * m for k, m, _ in groups) / n
    square = sum(k * (s * s + m * m) for k, m, s in groups) / n
    return mean, math.sqrt(max(square - mean * mean, 0.0))


def _joined_rows(parts: Sequence[RunPart], start: int) -> list[dict[str, Any]]:
    """The city's daily rows: counts and levels summed over the districts; trust pooled;
    the on-time share from the summed counts since the window began (as the Recorder
    counts it)."""
    rows = []
    on_time_total = 0
    for day, by_part in enumerate(zip(*(p.rows for p in parts), strict=True)):
        row: dict[str, Any] = {c: sum(r[c] for r in by_part) for c in DAILY_COLUMNS
                               if c not in _MEANS}
        row["day"] = by_part[0]["day"]
        row["mean_trust"], row["trust_sd"] = _pooled(
            [(p.residents, r["mean_trust"], r["trust_sd"]) for p, r in zip(
                parts, by_part, strict=True)])
        if day == start and start:
            on_time_total = 0  # the window's totals start here
        on_time_total += row["resolved_on_time"]
        total = row["resolved_total"]
        row["on_time_share"] = on_time_total / total if total else float("nan")
        rows.append(row)
    return rows
