"""The headline: one or two generated sentences (the story) over the headline cards and
the largest-gap card, each with its change against the baseline and how sure."""

from __future__ import annotations

import html

import solara
from mesa.visualization.utils import update_counter

from sim.viz.cards import (
    GAP_CARD,
    CardStat,
    GapStat,
    card_stats,
    format_card_change,
    format_card_value,
    format_gap,
    format_gap_change,
    format_gap_value,
    format_interval,
    gap_stat,
)
from sim.viz.compare import Workshop
from sim.viz.labels import scenario_title, t
from sim.viz.levers import lever_values
from sim.viz.markup import tag
from sim.viz.replicates import Replicates
from sim.viz.session import View
from sim.viz.story import describe_change, story


def current_cards(workshop: Workshop, reps: Replicates | None) -> list[CardStat]:
    summaries = {run.role: s for run, s in workshop.summaries()}
    done = reps.done() if reps is not None else []
    return card_stats(summaries, workshop.day, done)


def current_gap(workshop: Workshop, reps: Replicates | None) -> GapStat:
    summaries = {run.role: s for run, s in workshop.summaries()}
    done = reps.done() if reps is not None else []
    return gap_stat(summaries, workshop.day, done)


def cards_html(lang: str, stats: list[CardStat], gap: GapStat | None = None) -> str:
    """The headline cards as one piece of HTML (one widget update a day)."""
    cards = []
    for s in stats:
        comparing = s.change is not None
        parts = [tag("div", t(f"out_{s.card.key}", lang), {"class": "govsim-card-label"}),
                 tag("div", format_card_value(s.card, s.value, lang),
                     {"class": "govsim-card-value"})]
        if comparing:
            text = (f"{s.arrow} {format_card_change(s.card, s.change, lang)} "
                    f"{t('card_vs_baseline', lang)} · {t('verdict_' + s.verdict, lang)}")
            parts.append(change_div(text, s.verdict, s.colour))
        if s.seeds > 1 and comparing:
            interval = format_interval(s.card, s.change_low, s.change_high, lang, change=True)
            note = t("card_change_interval", lang, n=s.seeds, interval=interval, agree=s.agree)
        elif s.seeds > 1:
            note = t("card_interval", lang, n=s.seeds,
                     interval=format_interval(s.card, s.low, s.high, lang))
        else:
            note = t("card_one_seed", lang) if comparing else t("card_no_compare", lang)
        parts.append(tag("div", note, {"class": "govsim-card-interval"}))
        cards.append(f'<div class="govsim-card govsim-card-{html.escape(s.card.key)}" '
                     f'data-key="{html.escape(s.card.key)}">{"".join(parts)}</div>')
    if gap is not None:
        cards.append(gap_card_html(lang, gap))
    return "".join(cards)


def change_div(text: str, verdict: str, colour: str) -> str:
    """A card's change line; its last part (the verdict, "变好" / "better") never breaks
    inside (a projector's narrow card wrapped 变差 between its two characters)."""
    lead, sep, word = text.rpartition(" · ")
    body = html.escape(lead + sep) + tag("span", word, {"class": "govsim-verdict"}) if sep \
        else html.escape(text)
    return (f'<div class="govsim-card-change" data-verdict="{html.escape(verdict)}" '
            f'style="color: {html.escape(colour)}">{body}</div>')


def gap_card_html(lang: str, g: GapStat) -> str:
    """The largest-gap card: the gap in large type, what it is in words, its change."""
    value = format_gap_value(g, lang)
    number, _, unit = value.partition(" ")
    parts = [tag("div", t("gap_card", lang), {"class": "govsim-card-label"}),
             f'<div class="govsim-card-value">{html.escape(number)}'
             + (tag("span", " " + unit, {"class": "govsim-card-unit"}) if unit else "")
             + "</div>",
             tag("div", format_gap(g, lang), {"class": "govsim-card-what"})]
    comparing = g.baseline is not None
    if comparing and g.key is not None:
        parts.append(change_div(format_gap_change(g, lang), g.verdict, g.colour))
    if g.seeds > 1 and comparing:
        note = t("card_change_interval", lang, n=g.seeds, agree=g.agree,
                 interval=format_interval(GAP_CARD, g.change_low, g.change_high, lang,
                                          change=True))
    elif g.seeds > 1:
        note = t("card_interval", lang, n=g.seeds,
                 interval=format_interval(GAP_CARD, g.low, g.high, lang))
    else:
        note = t("card_one_seed", lang) if comparing else t("card_no_compare", lang)
    parts.append(tag("div", note, {"class": "govsim-card-interval"}))
    attrs = (f'class="govsim-card govsim-card-gap" data-key="largest_gap" '
             f'data-gap="{html.escape(g.key or "")}" '
             f'title="{html.escape(t("gap_tip", lang), quote=True)}"')
    return f"<div {attrs}>{''.join(parts)}</div>"


def story_lines(view: View, stats: list[CardStat], gap: GapStat | None = None) -> list[str]:
    workshop = view.workshop
    assert workshop is not None
    scenario = view.built.scenario
    what = None
    if workshop.comparing and scenario is not None:
        base_title = scenario_title(workshop.runs[0].scenario.name, view.lang)
        what = describe_change(workshop.edits, lever_values(scenario), view.lang,
                               scenario_title(workshop.runs[-1].scenario.name, view.lang),
                               base_title)
    reps = view.built.replicates
    running = reps is not None and reps.started and len(reps.done()) < reps.n
    return story(stats, workshop.day, view.lang, what, running, gap)


@solara.component
def StoryAndCards(view: View) -> None:
    update_counter.get()
    workshop = view.workshop
    assert workshop is not None
    stats = current_cards(workshop, view.built.replicates)
    gap = current_gap(workshop, view.built.replicates)
    lines = story_lines(view, stats, gap)
    reps = view.built.replicates
    with solara.Column(gap="6px", classes=["govsim-summary"]):
        solara.HTML(tag="div", classes=["govsim-story"], attributes={"lang": view.lang},
                    unsafe_innerHTML=html.escape(("" if view.lang == "zh" else " ").join(lines)))
        solara.HTML(tag="div", classes=["govsim-cards"],
                    unsafe_innerHTML=cards_html(view.lang, stats, gap))
        if reps is not None and not view.presenting:
            done = len(reps.done())
            text = t("seeds_running", view.lang, k=reps.n, done=done) if reps.started \
                else t("seeds_idle", view.lang, k=reps.n)
            solara.Text(text, classes=["govsim-seeds"],
                        style={"font-size": "0.8em", "color": "#666"})
