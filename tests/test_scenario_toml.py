"""The one TOML writer: every shipped scenario's ``to_toml()`` reads back into the same
scenario and cites each value's source on its line; files that extend another cite in a
``[sources]`` table the loader reads back."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from helpers import SCENARIOS

import sim.scenario
from sim.scenario import Scenario, dump_toml, load_scenario

SHIPPED = sorted(SCENARIOS.glob("*.toml"))


def _comments(table: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted key, its line's comment) for every value in a parsed TOML document."""
    for key in table:
        item = table.item(key)
        if isinstance(item, tomlkit.items.Table):
            yield from _comments(item, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", item.trivia.comment


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_to_toml_reads_back_into_the_same_scenario_with_its_sources(path: Path,
                                                                    tmp_path: Path) -> None:
    scenario = load_scenario(path)
    text = scenario.to_toml()
    written = tmp_path / f"{path.stem}.toml"
    written.write_text(text, encoding="utf-8")
    again = load_scenario(written)
    assert again.to_dict() == scenario.to_dict()
    # Identical but for where the values came from (now all from the written file).
    assert again.model_copy(update={"sources": scenario.sources}) == scenario
    comments = dict(_comments(tomlkit.parse(text)))
    # Every value is written with its source; an unset optional key (None: TOML has no
    # null) is left out, and reads back as unset.
    assert set(comments) == {k for k, v in scenario.flat().items() if v is not None}
    for key, comment in comments.items():
        assert comment == f"# {scenario.source_of(key)}", key
    assert "sources" not in tomllib.loads(text)  # the comments carry them


def test_a_resolved_scenario_cites_facts_on_each_line() -> None:
    text = load_scenario(SCENARIOS / "burden_cut_f12.toml").to_toml()
    assert "inspection_cut = 0.57  # F12" in text
    assert "\n[categories.repair.handling]\n" in text and "\n[categories]\n" not in text
    assert "levels = {grid = 0.7, community = 0.2, street = 0.05, department = 0.05}" in text


def test_a_file_that_extends_cites_in_a_sources_table(tmp_path: Path) -> None:
    data = {"extends": "../nanjing_baseline.toml", "name": "mine",
            "description": 'a "quoted"\nsecond line', "burden": {"ledgers": 6},
            "categories": {"repair": {"handling": {"mean_hours": 2.5}}}}
    sources = {"burden.ledgers": 'P3 "cut"', "categories.repair.handling.mean_hours": "x"}
    text = dump_toml(data, comments=["Written by a test", "second note"], sources=sources)
    assert text.startswith("# Written by a test\n# second note\nextends = ")
    assert tomllib.loads(text) == {**data, "sources": sources}
    (tmp_path / "saved").mkdir()
    path = tmp_path / "saved" / "mine.toml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "nanjing_baseline.toml").write_text(
        (SCENARIOS / "nanjing_baseline.toml").read_text(encoding="utf-8"), encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.burden.ledgers == 6 and scenario.source_of("burden.ledgers") == 'P3 "cut"'
    assert scenario.categories["repair"].handling.mean_hours == 2.5


def test_a_source_with_a_line_break_stays_one_comment() -> None:
    text = dump_toml({"a": {"b": 1}}, lambda key: "first\nsecond")
    assert text == "[a]\nb = 1  # first second\n"


def test_every_public_name_is_exported() -> None:
    for name in sim.scenario.__all__:
        assert getattr(sim.scenario, name) is not None
    assert sim.scenario.Scenario is Scenario
