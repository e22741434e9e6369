"""The community's own staff: grid workers (网格员) in teams by grid or beat, with the
working day their burden leaves them, and micro-grid workers (微网格员) where a
micro-grid has one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa.agentset import AgentSet

from sim.agents import GridWorker, MicroGridWorker
from sim.issues import BY, RL
from sim.work import Team
from sim.workday import CommunityWorkday

if TYPE_CHECKING:
    from sim.model import GovernanceModel


def make_grid_staff(model: GovernanceModel) -> None:
    """Grid workers: staffing per 10,000 [F30] per community. With at least one per
    grid, each grid has its team and extra staff go to the most populous grids; with
    fewer workers than grids, each worker covers a beat of neighbouring grids."""
    pl, p = model.places, model.p
    b = p.burden
    res_grid = pl.residents_in("grid")
    res_comm = pl.residents_in("community")
    hours = b.work_hours_per_day
    model.grid_teams = []
    model.grid_team_of = np.full(pl.n_grids, -1, dtype=np.int64)
    grid_workers: list[GridWorker] = []
    beat_worker, beat_grid, beat_weight = [], [], []
    model.workdays = []
    for c in range(pl.n_communities):
        grids = np.flatnonzero(pl.grid_community == c)
        n_staff = round(p.staffing.workers_per_10k * res_comm[c] / 10_000)
        if n_staff >= len(grids):
            beats = [[int(g)] for g in grids]
            order = np.argsort(-res_grid[grids], kind="stable")
            staff = np.bincount(np.arange(n_staff) % len(grids), minlength=len(grids))
            per_beat = np.empty(len(grids), dtype=np.int64)
            per_beat[order] = staff
        else:
            beats = [a.tolist() for a in np.array_split(grids, n_staff)] if n_staff else []
            per_beat = np.ones(len(beats), dtype=np.int64)
        workers: list[GridWorker] = []
        for beat, k in zip(beats, per_beat.tolist(), strict=True):
            team = Team("grid", RL["grid"], BY["grid_worker"], beat[0], model.on_done)
            team.daily_hours = float(k)  # workers, for now: hours are set below
            model.grid_team_of[beat] = len(model.grid_teams)
            model.grid_teams.append(team)
            weight = res_grid[beat] / max(res_grid[beat].sum(), 1)
            for _ in range(k):
                w = GridWorker(model, beat[0], team)
                for g, wt in zip(beat, weight.tolist(), strict=True):
                    beat_worker.append(len(grid_workers))
                    beat_grid.append(g)
                    beat_weight.append(wt)
                grid_workers.append(w)
                workers.append(w)
        reference = b.reference_workers_per_10k * res_comm[c] / 10_000
        day = CommunityWorkday(model, c, workers, reference)
        model.workdays.append(day)
        # Casework hours on an average day: what the burden leaves of the shift.
        left = max(hours - day.shared_per_worker - b.meeting_hours
                   - b.lines()["inspections"], 0.0) * b.workdays_per_week / 7
        for g in grids:
            t = model.grid_team_of[g]
            if t >= 0 and model.grid_teams[t].place == g:
                model.grid_teams[t].daily_hours *= left
    model._close_hour_of_comm = np.array([wd.close_hour for wd in model.workdays])
    model.grid_workers = model.agents_by_type.get(GridWorker, AgentSet([], random=model.random))
    model._grid_worker_list = grid_workers
    model._beat = (np.array(beat_worker, dtype=np.int64), np.array(beat_grid, dtype=np.int64),
                   np.array(beat_weight))
    model.workers_per_grid = np.bincount(model._beat[1], minlength=pl.n_grids)
    model.admin_per_day = b.admin_hours()
    model.grid_workdays = b.workdays_per_week


def make_micro_grid_workers(model: GovernanceModel) -> None:
    """Micro-grid workers [F16]: micro-grids covered, drawn once."""
    covered = model.rng_layout.random(model.places.n_micro_grids) < model.p.micro_grid.coverage
    model.micro_grid_workers = {
        int(m): MicroGridWorker(model, int(m)) for m in np.flatnonzero(covered)
    }
    model.mg_covered = covered
