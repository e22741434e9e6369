"""Argument types shared by the command-line modules."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum`` (a bad one is a usage error)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    parse.__name__ = f"whole number >= {minimum}"
    return parse


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """``--workers`` and ``--scheduler``: where a command's runs execute (batch, sweep,
    calibrate share them)."""
    p.add_argument("--workers", type=whole_number(1), metavar="N",
                   help=f"local worker processes (default: this machine's cores, "
                        f"{os.cpu_count()}); 1 runs in this process")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                        "(default: $GOVSIM_SCHEDULER; unset = local processes)")
