"""The headline cards: a few outcomes in large type, with their change and how sure.

Each card is an outcome of ``model.summary()``, which way is better, and its unit. The
page shows the run's value at today's day; comparing, the change against the baseline
(changed minus baseline) with an arrow and a good/bad colour; with the background seeds
(:mod:`sim.viz.replicates`), the range of the seeds' values and, comparing, of the
paired differences, and how many seeds agree on the direction.

The gap card (:func:`gap_stat`) shows the largest equity gap of ``model.summary()``
[P9]: which group (the elderly, residents without digital access, the floating
population) or the spread between neighbourhood types is furthest from everyone else,
in the share of issues that became known or resolved on time. A gap closer to zero is
better, so its change against the baseline is the change in its size.
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
# The gaps the gap card chooses from (docs/outputs.md): a group minus everyone else, or
# the highest minus the lowest neighbourhood type; all shares.
GAP_GROUPS: tuple[str, ...] = ("elderly", "offline", "floating", "types")
GAP_METRICS: tuple[str, ...] = ("known_share", "on_time_share")
GAP_KEYS: tuple[str, ...] = tuple(f"{m}_gap_{g}" for m in GAP_METRICS for g in GAP_GROUPS)
# What the background seeds record each day: the cards, then the gaps.
REPLICATE_KEYS: tuple[str, ...] = CARD_KEYS + GAP_KEYS
GAP_CARD = Card("largest_gap", "down", "share")  # "down": its size, toward zero
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
            vals = np.array([value] + [_rep(r, main, day, card.key, i) for r in rows])
            low, high = band(vals)
            if comparing and change is not None:
                diffs = np.array([change] + [_rep(r, main, day, card.key, i)
                                             - _rep(r, "baseline", day, card.key, i)
                                             for r in rows])
                c_low, c_high = band(diffs)
                sign = np.sign(change) if math.isfinite(change) else 0.0
                agree = int(np.sum(np.sign(diffs[np.isfinite(diffs)]) == sign)) if sign else 0
        elif comparing and change is not None and math.isfinite(change) and change != 0:
            agree = 1
        out.append(CardStat(card, value, base, change, low, high, c_low, c_high,
                            1 + len(rows), agree))
    return out


def _rep(r: Replicate, role: str, day: int, key: str, column: int) -> float:
    """A replicate's value of ``key``: by name, or (keys not recorded) by column."""
    if r.keys:
        return r.value(role, day, key)
    return float(r.cards[role][day, column])


def largest_gap(summary: dict[str, Any]) -> str | None:
    """The key of the largest gap (by size) in a summary; None while none is measured."""
    sizes = {k: abs(_num(summary.get(k))) for k in GAP_KEYS}
    sizes = {k: v for k, v in sizes.items() if math.isfinite(v)}
    return max(sizes, key=lambda k: (sizes[k], -GAP_KEYS.index(k))) if sizes else None


def gap_parts(key: str) -> tuple[str, str]:
    """ ``known_share_gap_elderly`` -> ("known_share", "elderly")."""
    metric, _, group = key.partition("_gap_")
    return metric, group


@dataclass(frozen=True)
class GapStat:
    """The gap card: the largest gap of the changed (or only) run, and how it moved."""

    key: str | None  # None: no gap measured yet (day 0, or no issues)
    value: float  # the gap, signed (a group minus everyone else; types: highest - lowest)
    baseline: float | None  # the same gap in the baseline (comparing only)
    change: float | None  # |gap| - |baseline gap|: below zero it narrowed
    change_low: float | None  # range of the seeds' paired changes of its size
    change_high: float | None
    seeds: int
    agree: int  # seeds whose change of size has the main run's sign
    low: float | None = None  # range of the seeds' values of the same gap
    high: float | None = None

    @property
    def stat(self) -> CardStat:
        """As a card (for the verdict, colour and arrow: smaller is better)."""
        return CardStat(GAP_CARD, abs(self.value), None if self.baseline is None else
                        abs(self.baseline), self.change, None, None, self.change_low,
                        self.change_high, self.seeds, self.agree)

    @property
    def verdict(self) -> str:
        return self.stat.verdict

    @property
    def colour(self) -> str:
        return self.stat.colour

    @property
    def arrow(self) -> str:
        return self.stat.arrow


def gap_stat(summaries: dict[str, dict[str, Any]], day: int,
             replicates: Sequence[Replicate] = ()) -> GapStat:
    """The largest gap at ``day`` (``summaries`` as for :func:`card_stats`)."""
    comparing = "baseline" in summaries
    main = "changed" if comparing else "run"
    key = largest_gap(summaries[main])
    if key is None:
        return GapStat(None, float("nan"), None, None, None, None, 1, 0)
    value = _num(summaries[main].get(key))
    base = _num(summaries["baseline"].get(key)) if comparing else None
    change = abs(value) - abs(base) if base is not None else None
    rows = [r for r in replicates if key in r.keys and main in r.cards
            and day < len(r.cards[main])]
    c_low = c_high = low = high = None
    agree = 0
    if rows:
        low, high = band(np.array([value] + [r.value(main, day, key) for r in rows]))
    if comparing and change is not None and math.isfinite(change):
        diffs = np.array([change] + [abs(r.value(main, day, key))
                                     - abs(r.value("baseline", day, key)) for r in rows])
        if rows:
            c_low, c_high = band(diffs)
        sign = np.sign(change)
        agree = int(np.sum(np.sign(diffs[np.isfinite(diffs)]) == sign)) if sign else 0
    return GapStat(key, value, base, change, c_low, c_high, 1 + len(rows), agree, low, high)


def _pp(x: float) -> str:
    """A share's size in percentage points, one decimal ("1.5")."""
    return f"{round(100 * abs(x), 1) + 0.0:.1f}"


def format_gap(g: GapStat, lang: str) -> str:
    """What the gap is, in words: "Elderly: known share 1.5 pp lower than others'"."""
    if g.key is None or not math.isfinite(g.value):
        return t("gap_none", lang)
    metric, group = gap_parts(g.key)
    fields = {"group": t(f"gap_group_{group}", lang), "metric": t(f"gap_metric_{metric}", lang),
              "n": _pp(g.value)}
    if group == "types":
        return t("gap_types", lang, **fields)
    if round(100 * g.value, 1) == 0:
        return t("gap_level", lang, **fields)
    return t("gap_lower" if g.value < 0 else "gap_higher", lang, **fields)


def format_gap_value(g: GapStat, lang: str) -> str:
    """The gap in large type: signed for a group ("−1.5 pp"), a size for the types."""
    if g.key is None or not math.isfinite(g.value):
        return "–"
    number = f"{round(100 * g.value, 1) + 0.0:+.1f}".replace("-", "−")
    if gap_parts(g.key)[1] == "types":
        number = _pp(g.value)
    return f"{number} {t('unit_pp', lang)}"


def format_gap_change(g: GapStat, lang: str) -> str:
    """ "▼ 0.5 pp narrower vs baseline · better"."""
    if g.change is None or not math.isfinite(g.change):
        return "–"
    if g.verdict == "same":
        return f"{g.arrow} {t('gap_same', lang)} · {t('verdict_same', lang)}"
    word = "gap_narrower" if g.change < 0 else "gap_wider"
    return f"{g.arrow} {t(word, lang, n=_pp(g.change))} · {t('verdict_' + g.verdict, lang)}"


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
