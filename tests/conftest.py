"""Shared fixtures. Helpers for scenarios live in tests/helpers.py."""

from __future__ import annotations

import sys
from pathlib import Path

# Make tests/helpers.py importable as `helpers` from every test module.
sys.path.insert(0, str(Path(__file__).resolve().parent))
