"""What the page opens: the address and command line checked once per session
(:class:`Startup`), and the run(s) built from the session's choices (:func:`build`).

Every scenario (address, ``govsim viz`` argument, picker) goes through the picker, which
opens nothing outside ``scenarios/`` and nothing above street scale.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.scenario import Scenario
from sim.viz.address import Address, parse_address
from sim.viz.cards import REPLICATE_KEYS
from sim.viz.compare import Workshop
from sim.viz.labels import pick_language
from sim.viz.levers import changed_levers
from sim.viz.picker import (
    ENV_SCENARIO,
    ScenarioRefused,
    ScenarioTooLarge,
    list_scenarios,
    load_for_page,
    resolve_scenario,
    scenarios_dir,
    short,
)
from sim.viz.replicates import EXTRA_SEEDS, Replicates

DEFAULT_SCENARIO = "nanjing_baseline.toml"


@dataclass(frozen=True)
class Startup:
    """What the address and the command line asked for, checked once per session."""

    lang: str
    lang_from_query: bool
    scenario: str | None
    refused: str | None  # the refused path(s), to tell the user
    address: Address = field(default_factory=Address)
    baseline: str | None = None  # comparing with it (from the address)
    too_large: str | None = None  # file(s) above street scale the address asked for


def startup(search: str | None, headers: dict[str, Any] | None) -> Startup:
    address = parse_address(search)
    from_query = address.lang is not None
    lang = address.lang or pick_language((headers or {}).get("accept-language"))
    names = list_scenarios()
    refused: list[str] = []
    too_large: list[str] = []

    def checked(ref: str) -> str | None:
        try:
            return page_name(ref)
        except ScenarioTooLarge:
            too_large.append(short(ref))
        except (ScenarioRefused, ValueError, OSError):
            refused.append(short(ref))
        return None

    wanted = address.scenario or os.environ.get(ENV_SCENARIO)
    chosen = checked(wanted) if wanted else None
    if chosen is None:
        chosen = DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else (names[0] if names else None)
    baseline = checked(address.baseline) if address.baseline else None
    return Startup(lang=lang, lang_from_query=from_query, scenario=chosen,
                   refused=", ".join(refused) or None, address=address, baseline=baseline,
                   too_large=", ".join(too_large) or None)


def page_name(ref: str) -> str:
    """A scenario's name in the folder, if the page may open it: inside ``scenarios/``
    and at most street scale (:class:`ScenarioTooLarge`). A broken file is let through:
    the page shows its one-line error."""
    name = resolve_scenario(ref).relative_to(scenarios_root()).as_posix()
    try:
        load_for_page(name)
    except ScenarioRefused:
        raise
    except InputError:
        pass
    return name


def scenarios_root() -> Path:
    """The scenarios folder, resolved (names on the page are relative to it)."""
    return scenarios_dir().resolve()


def load_picked(name: str) -> Scenario:
    return load_for_page(name)[1]


@dataclass
class Built:
    workshop: Workshop | None
    scenario: Scenario | None  # the picked file, before lever edits
    error: str | None
    replicates: Replicates | None = None


def build(name: str | None, edits: dict[str, Any], base: str | None, compare: bool,
          seed_value: int | None) -> Built:
    if name is None:
        return Built(None, None, None)
    try:
        picked = load_picked(name)
    except InputError as exc:
        return Built(None, None, str(exc))
    try:
        overrides = changed_levers(picked, edits)
        changed = picked.with_overrides(overrides, origin="workshop page") if overrides \
            else picked
        baseline = load_picked(base or name) if compare else None
        run_seed = int(picked.run.seed if seed_value is None else seed_value)
        workshop = Workshop(changed, run_seed, baseline, edits=overrides)
        reps = Replicates([(r.role, r.scenario) for r in workshop.runs], run_seed,
                          workshop.days, REPLICATE_KEYS, EXTRA_SEEDS)
        return Built(workshop, picked, None, reps)
    except InputError as exc:
        return Built(None, picked, str(exc))
