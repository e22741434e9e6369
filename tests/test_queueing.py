"""Docking with queueing theory: stripped to one queue, the model is an M/M/c system."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import queue_only

from sim.issues import sample_hours
from sim.run import simulate
from sim.scenario import Handling


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C)."""
    a = lam / mu
    rho = a / c
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) / (1 - rho)
    return tail / (head + tail) / (c * mu - lam)


@pytest.mark.slow
def test_mean_wait_matches_erlang_c_within_5_percent() -> None:
    """c = 2 workers round the clock, rho = 0.6, mean handling 30 min.

    20 replicates x 300 days (~345,000 issues; 5 warm-up days dropped) put the standard
    error of the mean wait near 1.1%, so the 5% band is about 4.5 standard errors.
    """
    c, mean_hours, rho = 2, 0.5, 0.6
    mu = 24.0 / mean_hours  # per day
    lam = rho * c * mu
    scenario = queue_only(c, lam, mean_hours)
    days, waits, served = 300, [], 0
    for seed in range(20):
        issues = simulate(scenario, days=days, seed=seed).issues
        window = (issues["known_at"] >= 5) & (issues["known_at"] < days - 5)
        wait = (issues["started_at"] - issues["known_at"])[window]
        assert wait.notna().all()
        waits.append(wait.mean())
        served += int(window.sum())
    expected = erlang_c_wait(lam, mu, c)
    observed = float(np.mean(waits))
    assert served > 300_000
    assert observed == pytest.approx(expected, rel=0.05), (observed, expected)


def test_arrivals_are_poisson_at_the_scenario_rate() -> None:
    lam = 40.0
    scenario = queue_only(2, lam, 0.5)
    daily = simulate(scenario, days=400, seed=1).daily
    counts = daily["raised"].to_numpy()
    # mean within 3 standard errors; dispersion index of a Poisson count is 1
    assert abs(counts.mean() - lam) < 3 * math.sqrt(lam / len(counts))
    assert counts.var(ddof=1) / counts.mean() == pytest.approx(1.0, abs=0.2)


@pytest.mark.parametrize("dist,cv", [("exponential", 1.0), ("deterministic", 0.0),
                                     ("lognormal", 0.8), ("gamma", 1.5)])
def test_handling_time_distributions_have_their_mean_and_cv(dist: str, cv: float) -> None:
    x = sample_hours(Handling(dist=dist, mean_hours=3.0, cv=cv), 200_000,
                     np.random.default_rng(5))
    assert x.mean() == pytest.approx(3.0, rel=0.02)
    assert x.std() / x.mean() == pytest.approx(cv, abs=0.03)


def test_a_deterministic_single_server_never_overlaps_work() -> None:
    """One worker, fixed 1-hour jobs: starts are at least an hour apart, FIFO."""
    scenario = queue_only(1, 12.0, 1.0, dist="deterministic")
    issues = simulate(scenario, days=30, seed=2).issues.dropna(subset=["resolved_at"])
    starts = np.sort(issues["started_at"].to_numpy())
    assert np.all(np.diff(starts) >= 1 / 24 - 1e-9)
    assert np.allclose(issues["resolved_at"] - issues["started_at"], 1 / 24)
    order = issues.sort_values("known_at")
    assert order["started_at"].is_monotonic_increasing
