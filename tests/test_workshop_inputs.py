"""Bad input reaching the page, below the browser: every refused value names its key and
what the slider allows, nothing is clamped or rounded, and nothing raises."""

from __future__ import annotations

import pytest

from sim.viz.address import check_seed, parse_address, refusal_text
from sim.viz.levers import LEVER_BY_KEY, Refused
from sim.viz.picker import ScenarioRefused, resolve_scenario
from sim.viz.play import presses
from sim.viz.save import SaveRefused, check_name

STAFFING = "staffing.workers_per_10k"


@pytest.mark.parametrize("query, key, allowed", [
    (f"{STAFFING}=nan", STAFFING, "allowed 0 to 40"),
    (f"{STAFFING}=99999", STAFFING, "allowed 0 to 40"),
    (f"{STAFFING}=inf", STAFFING, "allowed 0 to 40"),
    (f"{STAFFING}=-5", STAFFING, "allowed 0 to 40"),
    ("burden.ledgers=12.7", "burden.ledgers", "allowed whole numbers 0 to 40"),
    ("seed=-7", "seed", "allowed whole numbers 0 to 4,294,967,295"),
    ("seed=1e3", "seed", "allowed whole numbers 0"),
])
def test_a_bad_value_in_the_address_is_refused_with_its_key_and_range(
        query: str, key: str, allowed: str) -> None:
    address = parse_address("?" + query)
    assert address.levers == {} and address.seed is None
    (refusal,) = address.refused
    line = refusal_text(refusal, "en")
    assert key in line and allowed in line and "\n" not in line
    assert key in refusal_text(refusal, "zh") and "允许" in refusal_text(refusal, "zh")


def test_good_values_are_used_as_typed() -> None:
    address = parse_address(f"?{STAFFING}=22.5&burden.ledgers=12&seed=7")
    assert address.levers == {STAFFING: 22.5, "burden.ledgers": 12} and address.seed == 7
    assert isinstance(address.levers["burden.ledgers"], int)
    assert address.refused == ()
    with pytest.raises(Refused):
        LEVER_BY_KEY[STAFFING].check("40.0001")
    assert check_seed("0") == 0


def test_a_very_long_scenario_name_is_a_refusal_not_an_os_error() -> None:
    with pytest.raises(ScenarioRefused) as info:
        resolve_scenario("a" * 300)
    message = str(info.value)
    assert "\n" not in message and len(message) < 200 and "at most" in message


@pytest.mark.parametrize("name", ["CON", "con", "Nul", "COM1", "lpt9", "AUX", "PRN"])
def test_windows_device_names_are_refused_as_saved_scenarios(name: str) -> None:
    with pytest.raises(SaveRefused, match="device name"):
        check_name(name)
    assert check_name("console") == "console"


def test_quick_key_presses_count_every_press() -> None:
    seen: dict[str, int] = {}
    assert presses("step:1", seen) == ("step", 1)
    assert presses("step:2", seen) == ("step", 1)
    assert presses("step:10", seen) == ("step", 8)  # eight presses buffered into one message
    assert presses("step:1", seen) == ("step", 1)  # a new widget counts from 1 again
