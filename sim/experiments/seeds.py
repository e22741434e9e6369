"""Seeds: one root seed per experiment, one spawned stream per replicate.

Replicate ``k`` uses the same :class:`numpy.random.SeedSequence` in every scenario and
every design point (common random numbers), so differences between scenarios are
paired: the same residents, the same arrivals, as far as the model's draws line up.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def replicate_seeds(root: int, replicates: int) -> list[np.random.SeedSequence]:
    """The replicate streams: ``SeedSequence(root).spawn(replicates)``.

    The first ``n`` children do not depend on how many are spawned, so adding
    replicates to a spec keeps the runs already made.
    """
    return np.random.SeedSequence(root).spawn(replicates)


def seed_record(seq: np.random.SeedSequence) -> dict[str, Any]:
    """A JSON-able description from which the stream can be rebuilt."""
    entropy = seq.entropy
    return {
        "entropy": int(entropy) if isinstance(entropy, int | np.integer) else list(entropy),
        "spawn_key": [int(k) for k in seq.spawn_key],
    }


def from_record(record: dict[str, Any]) -> np.random.SeedSequence:
    """Rebuild a stream from :func:`seed_record` output."""
    return np.random.SeedSequence(record["entropy"], spawn_key=tuple(record["spawn_key"]))
