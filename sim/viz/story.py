"""A story for the room: one or two sentences, generated from what the page shows.

The first sentence says what changed (the levers moved, or the scenario against its
baseline) and its biggest effect on the headline cards by today's day; the second says
how sure we are: how many of the seeds agree on the direction and the range of the
paired differences, or that only one seed has run so far. In 中文 and English.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sim.viz.cards import CardStat, format_card_change, format_card_value, format_interval
from sim.viz.labels import t
from sim.viz.levers import LEVER_BY_KEY
from sim.viz.replicates import EXTRA_SEEDS


def lever_changes(before: Mapping[str, Any], after: Mapping[str, Any], lang: str) -> str:
    """ "Community workers per 10,000 18 → 30; ..." for the levers in ``after``."""
    parts = []
    for key, new in after.items():
        lever = LEVER_BY_KEY.get(key)
        label = t(lever.label_key, lang) if lever else key
        parts.append(f"{label} {before.get(key, '?'):g} → {new:g}")
    return ("；" if lang == "zh" else "; ").join(parts)


def _effect_size(s: CardStat) -> tuple[float, float]:
    """How to rank cards for the story: seeds agreeing first, then relative change."""
    if s.change is None or not math.isfinite(s.change) or s.verdict == "same":
        return (-1.0, 0.0)
    scale = max(abs(s.baseline or 0.0), 1e-9)
    return (s.agree / max(s.seeds, 1), abs(s.change) / scale)


def _quantity(s: CardStat) -> str:
    """The size of a change as the story says it ("4" more in 100, "1.5" days)."""
    c = abs(s.change or 0.0)
    if s.card.unit == "share":
        return f"{100 * c:.1f}".rstrip("0").rstrip(".")
    if s.card.unit == "days":
        return f"{c:.1f}"
    return f"{c:,.0f}"


def story(stats: Sequence[CardStat], day: int, lang: str, what_changed: str | None,
          replicates_running: bool = False) -> list[str]:
    """One or two sentences for the current view."""
    if not stats:
        return []
    if day == 0:
        return [t("story_day0", lang)]
    comparing = stats[0].baseline is not None
    seeds = stats[0].seeds
    if not comparing:
        first, second = stats[0], stats[1] if len(stats) > 1 else stats[0]
        out = [t("story_single", lang, day=day,
                 label1=t(f"out_{first.card.key}", lang),
                 value1=format_card_value(first.card, first.value, lang),
                 label2=t(f"out_{second.card.key}", lang),
                 value2=format_card_value(second.card, second.value, lang))]
        if seeds > 1:
            out.append(t("story_single_sure", lang, n=seeds,
                         label=t(f"out_{first.card.key}", lang),
                         interval=format_interval(first.card, first.low, first.high, lang)))
        else:
            out.append(t("story_compare_hint", lang))
        return out
    ranked = sorted(stats, key=_effect_size, reverse=True)
    best = ranked[0]
    lead = t("story_changed", lang, what=what_changed) if what_changed else ""
    if best.verdict == "same":
        out = [lead + t("story_no_difference", lang, day=day)]
    else:
        direction = "up" if (best.change or 0) > 0 else "down"
        phrase = t(f"story_{direction}_{best.card.key}", lang, n=_quantity(best))
        out = [lead + t("story_effect", lang, day=day, phrase=phrase,
                        base=format_card_value(best.card, best.baseline, lang),
                        value=format_card_value(best.card, best.value, lang))]
    if seeds > 1 and best.verdict != "same":
        out.append(t("story_sure", lang, agree=best.agree, n=seeds,
                     interval=format_interval(best.card, best.change_low, best.change_high,
                                              lang, change=True)))
    elif seeds > 1:
        out.append(t("story_seeds_same", lang, n=seeds))
    else:
        key = "story_one_seed_running" if replicates_running else "story_one_seed"
        out.append(t(key, lang, k=EXTRA_SEEDS))
    return out


def describe_change(edits: Mapping[str, Any], defaults: Mapping[str, Any], lang: str,
                    changed_title: str, baseline_title: str | None) -> str | None:
    """What changed between the baseline and the changed run, in words."""
    parts = []
    if baseline_title and baseline_title != changed_title:
        parts.append(t("story_against", lang, changed=changed_title, baseline=baseline_title))
    if edits:
        parts.append(lever_changes(defaults, edits, lang))
    return ("；" if lang == "zh" else "; ").join(parts) or None


__all__ = ["describe_change", "format_card_change", "lever_changes", "story"]
