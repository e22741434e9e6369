"""Shared fixtures. Helpers for scenarios live in tests/helpers.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Make tests/helpers.py importable as `helpers` from every test module.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """The system's Chromium, one per test module (the browser tests')."""
    from playwright.sync_api import sync_playwright
    from viz_fixtures import launch_chromium

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()
