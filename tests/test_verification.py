"""Verification: docking with queueing theory through every route an issue can take,
and Little's law on the baseline; docking also on a run split by district
(Little's law on a split run: tests/test_split.py).

Each docking test strips the model to one queue on one route (tests/helpers.py
``queue_only``, then the route's own switches): Poisson arrivals of one category, one
team working round the clock, every other hop instantaneous or a fixed delay, so that
the queue under test sees a Poisson stream. Theory gives the mean time in the queue's
system (wait + service): Erlang C for M/M/c, Pollaczek–Khinchine for M/G/1 (fixed and
lognormal handling, and the platform's fixed call-intake and triage times). The model
must match within 3%, and the standard error of its estimate (between replicates) must
be under 1% of the value, so the 3% band is at least three standard errors wide: the
test can fail. Each test prints its figures (``pytest -s``).

With common random numbers the direct, relay, hotline and escalation routes give the
same arrival times, each shifted by a fixed delay, so their figures agree to the last
digit: the check that every hop delivers exactly when it should and the queue at the
end behaves as Erlang C says.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from helpers import baseline, queue_only

from sim.run import simulate
from sim.scenario import Scenario

DAYS, WARM = 200, 5
DELAY = 0.1  # days: the fixed relay / sign-for delay on routes that have one


def erlang_c(lam: float, mu: float, c: int) -> float:
    """Probability an arrival waits in M/M/c (Erlang C)."""
    a = lam / mu
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) / (1 - a / c)
    return tail / (head + tail)


def mmc_time_in_system(lam: float, mu: float, c: int) -> float:
    """Mean wait (Erlang C) plus mean service, in the units of 1/mu."""
    return erlang_c(lam, mu, c) / (c * mu - lam) + 1 / mu


def pk_time_in_system(lam: float, mean: float, cv: float) -> float:
    """M/G/1 mean wait (Pollaczek–Khinchine) plus mean service."""
    rho = lam * mean
    second_moment = mean**2 * (1 + cv**2)
    return lam * second_moment / (2 * (1 - rho)) + mean


def route(name: str, c: int, lam: float, mean_hours: float, dist: str = "exponential",
          cv: float = 1.0, **extra: Any) -> Scenario:
    """A one-queue scenario whose issues take ``name``'s route."""
    sc = queue_only(c, lam, mean_hours, dist=dist)
    ov: dict[str, Any] = {
        "neighbourhoods.mix": "uniform", "residents.floating_report_factor": 1.0,
        "residents.digital_access": 1.0, "residents.digital_access_elderly": 1.0,
        "categories.repair.handling.cv": cv,
        "platform.intake_minutes": 0.0, "platform.triage_minutes": 0.0,
        "platform.app_triage_minutes": 0.0, "platform.joint_share": 0.0,
        "platform.dispatch_delay_days": DELAY, "staffing.triage_hours": 0.0,
        "channels.grid_worker": 0.0,
    }
    if name == "direct":
        ov["channels.grid_worker"] = 1.0
    elif name == "relay":  # a micro-grid worker relays every report [F16]
        ov.update({"channels.micro_grid_worker": 1.0, "micro_grid.coverage": 1.0,
                   "micro_grid.small_fix_share": 0.0, "micro_grid.notice_rate_per_day": 0.0,
                   "channels.relay_delay_days": DELAY})
    elif name == "hotline":  # 12345: intake, district triage, sign-for [F32]
        ov["channels.hotline"] = 1.0
    elif name == "app":  # photo and location, straight to triage [F33]
        ov["channels.app"] = 1.0
    elif name == "escalation":  # the grid passes every order up to the community
        ov.update({"channels.grid_worker": 1.0, "staffing.community_office_staff": c,
                   "categories.repair.levels": {"grid": 0.0, "community": 1.0,
                                                "street": 0.0, "department": 0.0}})
    else:
        raise ValueError(name)
    ov.update(extra)
    return sc.with_overrides(ov)


CHANNEL = {"direct": "grid_worker", "relay": "micro_grid_worker", "hotline": "hotline",
           "app": "app", "escalation": "grid_worker"}


def estimate(sc: Scenario, reps: int, measure: Callable[[pd.DataFrame], pd.Series],
             name: str, run: Callable[..., Any] = simulate) -> tuple[float, float, int]:
    """Mean of ``measure`` over issues known after the warm-up, per replicate; returns
    (mean over replicates, standard error, issues measured). Checks that every issue
    took route ``name`` (its channel; escalated exactly once on the escalation route)."""
    means, n = [], 0
    for seed in range(reps):
        iss = run(sc, days=DAYS, seed=seed).issues
        window = (iss["known_at"] >= WARM) & (iss["known_at"] < DAYS - 5)
        assert (iss.loc[window, "channel"] == CHANNEL[name]).all()
        assert (iss.loc[window, "escalations"] == (name == "escalation")).all()
        x = measure(iss[window])
        assert x.notna().all(), "an issue in the window did not get through"
        means.append(float(x.mean()))
        n += int(window.sum())
    arr = np.array(means)
    return float(arr.mean()), float(arr.std(ddof=1) / math.sqrt(reps)), n


def check(label: str, observed: float, se: float, expected: float, n: int) -> None:
    print(f"\n{label}: model {observed:.5f} (SE {se:.5f}, {se / expected:.2%}) vs theory "
          f"{expected:.5f}: {observed / expected - 1:+.2%} over {n} issues")
    assert se < 0.01 * expected, f"{label}: standard error {se:.2g} too large for a 3% test"
    assert observed == pytest.approx(expected, rel=0.03), (label, observed, expected)


def at_grid(iss: pd.DataFrame) -> pd.Series:
    """Time in the grid team's system: from reaching it to resolved."""
    return iss["resolved_at"] - iss["dispatched_at"]


# Load rho = lam * mean / c = 0.5 (a queue that is often busy but settles fast enough
# for a 1% standard error in 8 replicates of 200 days); days are the unit throughout.
REPS = 8
MMC = [  # route, workers, arrivals a day, mean handling hours
    ("direct", 2, 48.0, 0.5),
    ("relay", 2, 48.0, 0.5),
    ("hotline", 2, 48.0, 0.5),
    ("app", 3, 36.0, 1.0),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,c,lam,hours", MMC, ids=[r[0] for r in MMC])
def test_grid_queue_on_each_route_is_erlang_c(name: str, c: int, lam: float,
                                               hours: float) -> None:
    """M/M/c at the grid, reached directly, by a micro-grid worker's relay, through the
    hotline's intake and triage, or by app: mean time in system = Erlang C + service."""
    sc = route(name, c, lam, hours)
    mu = 24.0 / hours
    obs, se, n = estimate(sc, REPS, at_grid, name)
    check(f"{name} M/M/{c}", obs, se, mmc_time_in_system(lam, mu, c), n)


@pytest.mark.slow
def test_share_who_wait_is_erlang_c() -> None:
    """Erlang C itself: the share of arrivals that find every worker busy (direct)."""
    c, lam, hours = 2, 48.0, 0.5
    sc = route("direct", c, lam, hours)
    waited = lambda iss: (iss["started_at"] > iss["dispatched_at"] + 1e-12).astype(float)  # noqa: E731
    obs, se, n = estimate(sc, REPS, waited, "direct")
    check("direct P(wait) M/M/2", obs, se, erlang_c(lam, 24.0 / hours, c), n)


@pytest.mark.slow
def test_escalated_orders_dock_with_erlang_c_at_the_community() -> None:
    """Every order is passed up (grid -> district centre -> community office): the
    community's c staff are an M/M/c queue fed DELAY days after the order is known."""
    c, lam, hours = 2, 48.0, 0.5
    sc = route("escalation", c, lam, hours)
    at_community = lambda iss: iss["resolved_at"] - iss["known_at"] - DELAY  # noqa: E731
    obs, se, n = estimate(sc, REPS, at_community, "escalation")
    check("escalation M/M/2", obs, se, mmc_time_in_system(lam, 24.0 / hours, c), n)


MG1 = [("deterministic", 0.0), ("lognormal", 0.8)]


@pytest.mark.slow
@pytest.mark.parametrize("dist,cv", MG1, ids=[d for d, _ in MG1])
def test_single_worker_docks_with_pollaczek_khinchine(dist: str, cv: float) -> None:
    """M/D/1 and M/LN/1 (cv 0.8) at one grid worker: mean wait by Pollaczek–Khinchine."""
    lam, hours = 48.0, 0.25  # rho = 0.5
    sc = route("direct", 1, lam, hours, dist=dist, cv=cv)
    obs, se, n = estimate(sc, REPS, at_grid, "direct")
    check(f"direct M/{dist}/1", obs, se, pk_time_in_system(lam, hours / 24, cv), n)


PLATFORM = [("hotline", "platform.intake_minutes"), ("app", "platform.app_triage_minutes")]


@pytest.mark.slow
@pytest.mark.parametrize("name,key", PLATFORM, ids=[p[0] for p in PLATFORM])
def test_platform_desk_docks_with_pollaczek_khinchine(name: str, key: str) -> None:
    """The 12345 intake (hotline) and a district centre's triage (app) [F32]: one person
    on duty, a fixed time per order, Poisson calls -> M/D/1. Time there is from the
    report to the order's dispatch, less the fixed sign-for delay."""
    lam, minutes = 50.0, 0.5 * 24 * 60 / 50.0  # rho = 0.5
    sc = route(name, 4, lam, 0.1, **{key: minutes, "platform.enquiries_per_request": 0.0})
    at_desk = lambda iss: iss["dispatched_at"] - iss["known_at"] - DELAY  # noqa: E731
    obs, se, n = estimate(sc, REPS, at_desk, name)
    check(f"{name} platform M/D/1", obs, se, pk_time_in_system(lam, minutes / 1440, 0.0), n)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hotline M/M/2 at the grid", "hotline intake M/D/1"])
def test_docking_holds_on_a_run_split_by_district(name: str) -> None:
    """Split by district (sim/split.py), two districts each the one-queue layout: every
    district is its own queue, fed its own Poisson stream, so the theory of each queue
    holds in each, and for the issues of both together — the hotline's intake included,
    which the split shares out (one person on duty in each district here)."""
    split = {"layout.districts": 2, "run.split": "district"}
    if name.startswith("hotline M/M"):
        c, lam, hours = 2, 48.0, 0.5
        sc = route("hotline", c, lam, hours, **split)
        obs, se, n = estimate(sc, REPS, at_grid, "hotline")
        check(f"split {name}", obs, se, mmc_time_in_system(lam, 24.0 / hours, c), n)
    else:
        lam, minutes = 50.0, 0.5 * 24 * 60 / 50.0
        sc = route("hotline", 4, lam, 0.1, **split, **{
            "platform.intake_minutes": minutes, "platform.enquiries_per_request": 0.0})
        at_desk = lambda iss: iss["dispatched_at"] - iss["known_at"] - DELAY  # noqa: E731
        obs, se, n = estimate(sc, REPS, at_desk, "hotline")
        check(f"split {name}", obs, se, pk_time_in_system(lam, minutes / 1440, 0.0), n)


@pytest.mark.slow
def test_littles_law_holds_on_the_baseline() -> None:
    """L = lambda W for known work orders on the baseline (community scale, 3 seeds).

    Window [60, 365) of a 485-day run (the extra 120 days let orders known in the
    window finish, so the edges cancel as Little's law assumes). L is the time-average
    number of known, open orders in the window (the integral of the sample path);
    lambda the rate at which orders became known in it; W their mean time from known to
    resolved (the few still open at the end counted until then). Pooled over seeds,
    within 2%.
    """
    lo, hi, end = 60, 365, 485
    area = lw = 0.0
    for seed in range(3):
        iss = simulate(baseline(), days=end, seed=seed).issues
        known = iss[iss["known_at"].notna()]
        start = known["known_at"].clip(lower=lo)
        stop = known["resolved_at"].fillna(float(end)).clip(upper=hi)
        area += float((stop - start).clip(lower=0).sum()) / (hi - lo)
        inside = known[(known["known_at"] >= lo) & (known["known_at"] < hi)]
        lam = len(inside) / (hi - lo)
        w = float((inside["resolved_at"].fillna(float(end)) - inside["known_at"]).mean())
        lw += lam * w
    print(f"\nLittle's law (sum of 3 seeds): L = {area:.3f}, lambda W = {lw:.3f}: "
          f"{area / lw - 1:+.2%}")
    assert area == pytest.approx(lw, rel=0.02)
