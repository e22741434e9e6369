"""No behaviour change by accident: every shipped scenario, at two seeds, gives the
summary and the daily and issue tables fixed in ``tests/golden/fingerprints.json``, bit
for bit (see ``tests/golden_fingerprint.py`` for how they were taken)."""

from __future__ import annotations

import json

import pytest
from golden_fingerprint import GOLDEN, SEEDS, fingerprint, shipped

EXPECTED = json.loads(GOLDEN.read_text())


def test_every_shipped_scenario_has_a_fingerprint() -> None:
    assert sorted(EXPECTED) == sorted(f"{p.stem}@{s}" for p in shipped() for s in SEEDS)


@pytest.mark.slow
@pytest.mark.parametrize("path", shipped(), ids=lambda p: p.stem)
@pytest.mark.parametrize("seed", SEEDS)
def test_runs_match_their_fingerprint(path, seed) -> None:
    got = fingerprint(path, seed)
    want = EXPECTED[f"{path.stem}@{seed}"]
    assert got["summary"] == want["summary"]
    assert got["issue_rows"] == want["issue_rows"]
    assert got["daily"] == want["daily"], "daily table differs"
    assert got["issues"] == want["issues"], "issue table differs"
