"""Fingerprints of every shipped scenario's run: the summary and a hash of the daily and
issue tables, at two seeds. ``tests/test_golden.py`` holds a refactor to them bit for bit.

Re-make ``tests/golden/fingerprints.json`` only for a deliberate change of behaviour, in
its own commit that says why:  ``python tests/golden_fingerprint.py --write``.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "fingerprints.json"
SEEDS = (1, 2)
DAYS = 60
# City scale is far too large for a test: the pilot scenario runs at district scale with
# its pilots starting inside the window, so the pilot's path is exercised too.
OVERRIDES: dict[str, dict[str, Any]] = {
    "pilot_f35": {"layout.scale": "district", "pilot.start_day": 30},
}


def shipped() -> list[Path]:
    return sorted((ROOT / "scenarios").glob("*.toml"))


def frame_hash(frame: pd.DataFrame) -> str:
    """A hash of a table's columns, dtypes and every value's bits."""
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value


def fingerprint(path: Path, seed: int) -> dict[str, Any]:
    from sim.run import simulate
    from sim.scenario import load_scenario

    scenario = load_scenario(path, OVERRIDES.get(path.stem) or None)
    result = simulate(scenario, days=DAYS, seed=seed)
    return {"summary": _plain(result.summary), "daily": frame_hash(result.daily),
            "issues": frame_hash(result.issues), "issue_rows": len(result.issues)}


def all_fingerprints() -> dict[str, dict[str, Any]]:
    return {f"{p.stem}@{s}": fingerprint(p, s) for p in shipped() for s in SEEDS}


if __name__ == "__main__":
    if "--write" not in sys.argv:
        sys.exit("usage: python tests/golden_fingerprint.py --write")
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(all_fingerprints(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
