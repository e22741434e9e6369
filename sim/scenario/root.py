"""The scenario (情景) as a whole: every section under one root, the checks that span
sections, and its views (plain data, TOML, dotted keys, sources, the pilots' view,
overrides)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator, model_validator

from sim.outputs import name_problem
from sim.scenario.base import _Section, cited
from sim.scenario.categories import CATEGORIES_SOURCE, DEFAULT_CATEGORIES, Category
from sim.scenario.cogovernance import Consultation, SocialOrgs, Utilities, Volunteers
from sim.scenario.costs import PILOT_KEYS, Costs, Pilot
from sim.scenario.flow import Appraisal, Calendar, WorkOrders
from sim.scenario.keys import _default_source, _flatten, _prefixes, _set_dotted
from sim.scenario.places import Layout, Neighbourhoods, Residents, RunParams, Ties
from sim.scenario.platform import Channels, Platform
from sim.scenario.validation import _validate
from sim.scenario.work import Burden, MicroGrid, MobileGrid, Staffing
from sim.scenario.writer import dump_toml


class Scenario(_Section):
    """A fully resolved scenario: every lever of the model, each with a default."""

    name: str = cited("unnamed", "the file's own name")
    description: str = cited("", "the file")
    run: RunParams = Field(default_factory=RunParams)
    layout: Layout = Field(default_factory=Layout)
    residents: Residents = Field(default_factory=Residents)
    neighbourhoods: Neighbourhoods = Field(default_factory=Neighbourhoods)
    ties: Ties = Field(default_factory=Ties)
    channels: Channels = Field(default_factory=Channels)
    burden: Burden = Field(default_factory=Burden)
    staffing: Staffing = Field(default_factory=Staffing)
    micro_grid: MicroGrid = Field(default_factory=MicroGrid)
    mobile_grid: MobileGrid = Field(default_factory=MobileGrid)
    volunteers: Volunteers = Field(default_factory=Volunteers)
    social_orgs: SocialOrgs = Field(default_factory=SocialOrgs)
    utilities: Utilities = Field(default_factory=Utilities)
    platform: Platform = Field(default_factory=Platform)
    consultation: Consultation = Field(default_factory=Consultation)
    pilot: Pilot = Field(default_factory=Pilot)
    costs: Costs = Field(default_factory=Costs)
    calendar: Calendar = Field(default_factory=Calendar)
    work_orders: WorkOrders = Field(default_factory=WorkOrders)
    appraisal: Appraisal = Field(default_factory=Appraisal)
    categories: dict[str, Category] = Field(
        default_factory=lambda: {k: Category(**v) for k, v in DEFAULT_CATEGORIES.items()},
        json_schema_extra={"source": CATEGORIES_SOURCE},
    )
    # Where each value came from, by dotted key; filled by the loader, not by users.
    sources: dict[str, str] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="after")
    def _some_category(self) -> Scenario:
        if not self.categories:
            raise ValueError("categories must not be empty")
        pl, lay = self.pilot, self.layout
        n_streets = lay.streets
        if pl.streets + len(pl.street_ids) > n_streets:
            raise ValueError(f"pilot.streets: {pl.streets + len(pl.street_ids)} pilot streets "
                             f"but the layout has {n_streets}")
        if pl.communities + len(pl.community_ids) > lay.communities:
            raise ValueError(f"pilot.communities: more pilot communities than the layout's "
                             f"{lay.communities}")
        for key, ids, top in (("street_ids", pl.street_ids, n_streets),
                              ("community_ids", pl.community_ids, lay.communities)):
            bad = [i for i in ids if not 0 <= i < top]
            if bad:
                raise ValueError(f"pilot.{key}: {bad[0]} is not an id from 0 to {top - 1}")
        for key in pl.overrides:
            if key not in PILOT_KEYS:
                raise ValueError(f"pilot.overrides.{key}: a pilot cannot change this key; "
                                 f"allowed: {', '.join(PILOT_KEYS)}")
        reg = lay.community_register()
        if reg is not None and reg.types is not None and self.neighbourhoods.mix != "uniform":
            unknown_types = sorted(set(reg.types) - set(self.neighbourhoods.types))
            if unknown_types:
                raise ValueError(
                    f"layout.register_file: {lay.register_file}: type "
                    f"{unknown_types[0]!r} is not a neighbourhood type; allowed: "
                    f"{', '.join(self.neighbourhoods.types)}")
        for name, kind in self.neighbourhoods.types.items():
            unknown = set(kind.issue_rates) - set(self.categories)
            if unknown:
                raise ValueError(
                    f"neighbourhoods.types.{name}.issue_rates: unknown category "
                    f"{sorted(unknown)[0]!r}; allowed: {', '.join(self.categories)}")
        return self

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        # The name becomes the output folder results/<name> (see sim/outputs.py).
        problem = name_problem(name)
        if problem:
            raise ValueError(f"{problem} (it names the output folder results/<name>)")
        return name

    # -- views -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The resolved parameters as plain data (what ``scenario.toml`` holds)."""
        return self.model_dump(mode="python", exclude={"sources"})

    def to_toml(self) -> str:
        """The fully resolved scenario as TOML, with each value's source as a comment."""
        return dump_toml(self.to_dict(), self.source_of)

    def flat(self) -> dict[str, Any]:
        """Every leaf parameter by dotted key."""
        return dict(_flatten(self.to_dict()))

    def source_of(self, key: str) -> str:
        """Where the value at dotted ``key`` comes from."""
        if key in self.sources:
            return self.sources[key]
        for prefix in _prefixes(key):
            if prefix in self.sources:
                return self.sources[prefix]
        return _default_source(type(self), key)

    def pilot_view(self) -> Scenario:
        """The scenario as its pilot units run it after the start day."""
        data = self.model_dump(mode="python", exclude={"sources"}, exclude_unset=True)
        data["categories"] = {k: v.model_dump() for k, v in self.categories.items()}
        data.pop("pilot", None)
        for key, value in self.pilot.overrides.items():
            _set_dotted(type(self), data, key, value, "pilot.overrides")
        return _validate(type(self), data, "pilot.overrides", dict(self.sources))

    def with_overrides(self, overrides: Mapping[str, Any], origin: str = "--set") -> Scenario:
        """A validated copy with dotted-key overrides applied."""
        # Start from what was set explicitly, so derived values (scale presets) follow
        # an override of what they derive from.
        data = self.model_dump(mode="python", exclude={"sources"}, exclude_unset=True)
        data["categories"] = {k: v.model_dump() for k, v in self.categories.items()}
        sources = dict(self.sources)
        for key, value in overrides.items():
            _set_dotted(type(self), data, key, value, origin)
            sources[key] = "set by --set" if origin.endswith("--set") else f"set by {origin}"
        return _validate(type(self), data, origin, sources)
