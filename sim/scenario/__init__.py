"""Scenario files (情景文件): schema, defaults with their sources, loading, inheritance,
overrides.

A scenario file is TOML. It states only what differs from the defaults (or from the file
it ``extends``), and may cite a source for each value it sets in a ``[sources]`` table
keyed by dotted parameter name. Every default carries the fact id (``F16``, ``P2``: see
``docs/model.md``) or public source it comes from, or says plainly that it is an
assumption. ``govsim show FILE`` prints the fully resolved parameters with those sources.

Any problem with a file raises :class:`ScenarioError`, whose message is one line naming
the file, the key and what is allowed.

The package, from the bottom up:

- ``base``: the error, ``cited`` defaults and the strict section model;
- the sections by domain: ``places`` (run, layout, residents, community types, ties),
  ``work`` (burden, staffing, micro-grids, riders), ``platform`` (channels, the
  platform), ``cogovernance`` (volunteers, social organisations, utilities,
  consultation), ``categories`` (issue categories and their default table) and
  ``costs`` (costs and pilots), ``flow`` (the working calendar, work orders' long tail
  and the appraisal on the platform's KPIs);
- ``keys`` (dotted keys over the schema), ``validation`` (data into a scenario, errors
  as one line) and ``writer`` (TOML with each value's source);
- ``root``: :class:`Scenario`, every section under one root;
- ``loading``: files, ``extends``, ``[sources]`` and ``--set``.
"""

from sim.scenario.base import LEVELS, Level, ScenarioError, cited
from sim.scenario.categories import CATEGORIES_SOURCE, DEFAULT_CATEGORIES, Category, Handling
from sim.scenario.cogovernance import Consultation, SocialOrgs, Utilities, Volunteers
from sim.scenario.costs import PILOT_KEYS, Costs, Pilot
from sim.scenario.flow import Appraisal, Calendar, WorkOrders
from sim.scenario.loading import load_scenario, parse_overrides, read_toml, scenario_from_dict
from sim.scenario.places import (
    DEFAULT_NEIGHBOURHOOD_TYPES,
    NEIGHBOURHOOD_TYPES_SOURCE,
    SCALE_PRESETS,
    Layout,
    Neighbourhoods,
    NeighbourhoodType,
    Residents,
    RunParams,
    Scale,
    Ties,
)
from sim.scenario.platform import Channels, Platform
from sim.scenario.root import Scenario
from sim.scenario.work import Burden, MicroGrid, MobileGrid, Staffing
from sim.scenario.writer import dump_toml

__all__ = [
    "CATEGORIES_SOURCE",
    "DEFAULT_CATEGORIES",
    "DEFAULT_NEIGHBOURHOOD_TYPES",
    "LEVELS",
    "NEIGHBOURHOOD_TYPES_SOURCE",
    "PILOT_KEYS",
    "SCALE_PRESETS",
    "Appraisal",
    "Burden",
    "Calendar",
    "Category",
    "Channels",
    "Consultation",
    "Costs",
    "Handling",
    "Layout",
    "Level",
    "MicroGrid",
    "MobileGrid",
    "NeighbourhoodType",
    "Neighbourhoods",
    "Pilot",
    "Platform",
    "Residents",
    "RunParams",
    "Scale",
    "Scenario",
    "ScenarioError",
    "SocialOrgs",
    "Staffing",
    "Ties",
    "Utilities",
    "Volunteers",
    "WorkOrders",
    "cited",
    "dump_toml",
    "load_scenario",
    "parse_overrides",
    "read_toml",
    "scenario_from_dict",
]
