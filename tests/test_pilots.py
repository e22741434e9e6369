"""Pilots [F35]: comparison units keep their own draws, and the difference-in-differences
estimate recovers the effect that a paired run measures directly."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SCENARIOS

from sim.cli import main
from sim.experiments.pilots import community_periods, did, power_table
from sim.model import GovernanceModel
from sim.scenario import load_scenario

SMALL_STREET = {
    "layout.scale": "street", "layout.residents_per_community": 3000,
    "layout.grids_per_community": 6, "layout.micro_grids_per_community": 13,
    "run.days": 300, "pilot.communities": 6, "pilot.start_day": 120,
}


def _model(overrides: dict, seed: int) -> GovernanceModel:
    scenario = load_scenario(SCENARIOS / "pre_reform_2012.toml", {**SMALL_STREET, **overrides})
    model = GovernanceModel(scenario, rng=seed)
    model.run(scenario.run.days)
    return model


@pytest.fixture(scope="module")
def pair() -> tuple[GovernanceModel, GovernanceModel]:
    """The pilot (ledgers cut to 4 in pilot communities from day 120) and the same run
    with the same pilot units changing nothing."""
    treated = _model({"pilot.overrides": {"burden.ledgers": 4}}, 11)
    untreated = _model({}, 11)
    return treated, untreated


ARRIVAL = ["issue_id", "category", "community", "micro_grid", "raised_at", "resident",
           "level_needed", "collective"]


def test_pilot_units_are_marked_and_comparison_draws_unchanged(pair) -> None:
    treated, untreated = pair
    assert treated.pilot_comm.sum() == 6
    assert np.array_equal(treated.pilot_comm, untreated.pilot_comm)
    a, b = treated.issues_frame(), untreated.issues_frame()
    assert a["pilot"].any() and (a["pilot"] == a["community"].map(
        dict(enumerate(treated.pilot_comm)))).all()
    # Every issue arises the same way in both runs (common random numbers)...
    assert a[ARRIVAL].equals(b[ARRIVAL])
    # ... and comparison communities get the same inspection visits and meetings' draws.
    comparison = ~treated.pilot_comm
    assert np.array_equal(treated.inspection_visits[comparison],
                          untreated.inspection_visits[comparison])
    # The pilot changed its own communities' day.
    pilot = treated.pilot_comm
    assert treated.workdays[int(np.flatnonzero(pilot)[0])].burden.ledgers == 4
    assert untreated.workdays[int(np.flatnonzero(pilot)[0])].burden.ledgers == 30


def test_difference_in_differences_recovers_the_direct_effect(pair) -> None:
    treated, untreated = pair
    start = treated.p.pilot.start_day
    ta = community_periods(treated.issues_frame(), start, "on_time")
    tb = community_periods(untreated.issues_frame(), start, "on_time")
    result = did(ta, "on_time")
    # The direct effect: pilot communities after the start, treated minus untreated.
    after = ["community", "after"]
    both = ta.merge(tb, on=after, suffixes=("", "_b"))
    sel = (both["pilot"] == 1) & (both["after"] == 1)
    direct = float(np.average(both.loc[sel, "y"] - both.loc[sel, "y_b"],
                              weights=both.loc[sel, "n"]))
    assert direct > 0.05  # the ledger cut matters under the 2012 burden
    assert result.low <= direct <= result.high, (result, direct)
    assert result.low > 0  # and the pilot's effect is detected
    assert result.pilot_units == 6 and result.comparison_units == 6


def test_power_table_needs_more_pilots_for_smaller_effects(pair) -> None:
    treated, _ = pair
    table = community_periods(treated.issues_frame(), treated.p.pilot.start_day, "on_time")
    power = power_table(table, [0.02, 0.05, 0.2])
    needed = power["pilot_communities_needed"].to_numpy()
    assert (np.diff(needed) < 0).all() and needed[-1] >= 2


def test_pilot_command_writes_estimate_and_power(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["run", str(SCENARIOS / "pre_reform_2012.toml"), "--quiet", "--out", str(out),
                 "--seed", "3", *[f"--set={k}={v}" for k, v in {
                     **SMALL_STREET, "run.days": 240}.items() if k != "layout.scale"],
                 "--set", 'layout.scale="street"',
                 "--set", 'pilot.overrides={"burden.ledgers"=4}']) == 0
    assert main(["pilot", str(out)]) == 0
    said = capsys.readouterr().out
    assert "difference in differences" in said and "pilot communities" in said
    assert (out / "pilot" / "did_on_time.csv").is_file()
    assert (out / "pilot" / "power_on_time.csv").is_file()
