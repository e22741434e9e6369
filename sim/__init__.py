"""govsim: an agent-based simulator of community governance in a Chinese megacity.

Modelled on Nanjing's practice of grid-based grassroots governance (网格化基层治理).
The public API is small:

- :func:`sim.scenario.load_scenario` reads and validates a scenario file;
- :class:`sim.model.GovernanceModel` is the Mesa model;
- :func:`sim.run.simulate` runs one scenario and returns its tables;
- :func:`sim.run.write_run` writes them atomically to a folder.
"""

__version__ = "0.1.0"
