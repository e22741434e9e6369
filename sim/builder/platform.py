"""The "1 + 12 + N" work-order platform (12345 热线 / 一网统管) [F32]: a city intake
centre and district command centres, staffed round the clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.agents import Platform
from sim.work import Desk, ShiftGroup, Team

ON_DUTY = 40.0 / 168.0  # a 40-hour week spread over the clock

if TYPE_CHECKING:
    from sim.model import GovernanceModel


def make_platform(model: GovernanceModel) -> None:
    """Where a scale's share of a centre is under one person on duty, one is kept on
    duty (the real centre serves others too), so the platform's load binds from street
    scale up."""
    pl, pp = model.places, model.p.platform
    on_duty = ON_DUTY
    res_district = pl.residents_in("district")
    done = model._platform_done
    intake = Team("platform", -1, -1, 0, done, resolves_all=True)
    centres = [Team("platform", -1, -1, d, done, resolves_all=True)
               for d in range(pl.n_districts)]
    staff = [pp.intake_staff_per_100k * pl.n_residents / 100_000,
             *(pp.dispatchers_per_100k * res_district / 100_000)]
    for team, n in zip((intake, *centres), staff, strict=True):
        for _ in range(max(1, round(n * on_duty))):
            Desk(model, team, model.issues)
        team.daily_hours = 24.0 * len(team.desks)
    model.platform = Platform(model, intake, centres)
    model.platform_shift = ShiftGroup(
        model, [d for t in (intake, *centres) for d in t.desks], 0.0, 24.0, 7)
