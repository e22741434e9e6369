"""``python -m sim.experiments batch|sweep|report ...`` (the same as ``govsim ...``)."""

from __future__ import annotations

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
