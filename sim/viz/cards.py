"""The headline cards: a few outcomes in large type, with their change and how sure.

Each card is an outcome of ``model.summary()``, which way is better, and its unit. The
page shows the run's value at today's day; comparing, the change against the baseline
(changed minus baseline) with an arrow and a good/bad colour; with the background seeds
(:mod:`sim.viz.replicates`), the range of the seeds' values and, comparing, of the
paired differences, and how many seeds agree on the direction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.viz.labels import t
from sim.viz.replicates import Replicate, band


@dataclass(frozen=True)
class Card:
    key: str  # a model.summary() key
    better: str  # "up" or "down": which direction is good for residents
    unit: str  # "share", "days" or "count"


CARDS: tuple[Card, ...] = (
    Card("on_time_share", "up", "share"),
    Card("hazards_caught_share", "up", "share"),
    Card("median_days_to_resolve", "down", "days"),
    Card("incidents", "down", "count"),
)
CARD_KEYS: tuple[str, ...] = tuple(c.key for c in CARDS)
GOOD, BAD, NEUTRAL = "#1b7f3a", "#c62828", "#616161"
# Below half the last digit shown, a change reads "+0.0": it is "no change", not "better".
SHOWN_RESOLUTION: dict[str, float] = {"share": 0.0005, "days": 0.05, "count": 0.5}


@dataclass(frozen=True)
class CardStat:
    card: Card
    value: float
    baseline: float | None  # comparing only
    change: float | None  # changed minus baseline
    low: float | None  # range of the seeds' values (None: one seed only)
    high: float | None
    change_low: float | None  # ... of the paired differences
    change_high: float | None
    seeds: int  # seeds behind the interval (this run's own included)
    agree: int  # seeds whose difference has the main run's sign

    @property
    def verdict(self) -> str:
        """ "good", "bad" or "same" (no change, or not comparing)."""
        if self.change is None or not math.isfinite(self.change) or \
                abs(self.change) < SHOWN_RESOLUTION.get(self.card.unit, 1e-12):
            return "same"
        up = self.change > 0
        return "good" if up == (self.card.better == "up") else "bad"

    @property
    def colour(self) -> str:
        return {"good": GOOD, "bad": BAD}.get(self.verdict, NEUTRAL)

    @property
    def arrow(self) -> str:
        if self.verdict == "same":
            return "▬"
        return "▲" if (self.change or 0) > 0 else "▼"


def _num(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def card_stats(summaries: dict[str, dict[str, Any]], day: int,
               replicates: Sequence[Replicate] = (),
               cards: Sequence[Card] = CARDS) -> list[CardStat]:
    """The cards at ``day``. ``summaries``: role -> ``model.summary()`` ("run", or
    "baseline" and "changed")."""
    comparing = "baseline" in summaries
    main = "changed" if comparing else "run"
    out = []
    for i, card in enumerate(cards):
        value = _num(summaries[main].get(card.key))
        base = _num(summaries["baseline"].get(card.key)) if comparing else None
        change = value - base if base is not None else None
        rows = [r for r in replicates if main in r.cards and day < len(r.cards[main])]
        low = high = c_low = c_high = None
        agree = 0
        if rows:
            vals = np.array([value] + [r.cards[main][day, i] for r in rows])
            low, high = band(vals)
            if comparing and change is not None:
                diffs = np.array([change] + [r.cards[main][day, i] - r.cards["baseline"][day, i]
                                             for r in rows])
                c_low, c_high = band(diffs)
                sign = np.sign(change) if math.isfinite(change) else 0.0
                agree = int(np.sum(np.sign(diffs[np.isfinite(diffs)]) == sign)) if sign else 0
        elif comparing and change is not None and math.isfinite(change) and change != 0:
            agree = 1
        out.append(CardStat(card, value, base, change, low, high, c_low, c_high,
                            1 + len(rows), agree))
    return out


def format_card_value(card: Card, value: float | None, lang: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if card.unit == "share":
        return f"{100 * value:.1f}%"
    if card.unit == "days":
        return t("unit_days_value", lang, v=f"{value:.1f}")
    return t("unit_count_value", lang, v=f"{value:,.0f}")


def format_card_change(card: Card, change: float | None, lang: str) -> str:
    if change is None or not math.isfinite(change):
        return "–"
    if card.unit == "share":
        return f"{round(100 * change, 1) + 0.0:+.1f} {t('unit_pp', lang)}"
    if card.unit == "days":
        return t("unit_days_value", lang, v=f"{round(change, 1) + 0.0:+.1f}")
    return t("unit_count_value", lang, v=f"{round(change) + 0:+,.0f}")


def format_interval(card: Card, low: float | None, high: float | None, lang: str,
                    change: bool = False) -> str:
    """ "78.1–84.0%" (or the change's interval) in the card's unit."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return ""
    fmt = format_card_change if change else format_card_value
    return f"{fmt(card, low, lang)} … {fmt(card, high, lang)}"
