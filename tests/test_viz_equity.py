"""The page's equity parts without a browser: the graph coloured by neighbourhood type,
the largest-gap card (its choice, wording in both languages, change and colour) and the
story's sentence about it."""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Iterator

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from PIL import Image

from sim.model import GovernanceModel
from sim.scenario import load_scenario
from sim.viz.cards import (
    GAP_KEYS,
    REPLICATE_KEYS,
    card_stats,
    format_gap,
    format_gap_change,
    format_gap_value,
    gap_stat,
    largest_gap,
)
from sim.viz.compare import Workshop
from sim.viz.graph_draw import draw_graph
from sim.viz.graph_view import TYPE_COLOURS, layout_for, types_present
from sim.viz.labels import LANGS, t
from sim.viz.live import LiveGraph
from sim.viz.picker import resolve_scenario
from sim.viz.replicates import Replicate
from sim.viz.story import story
from sim.viz.style import use_page_style

HOOD_ZH = {"old_estate": "老旧小区", "commodity_estate": "商品房小区",
           "resettlement_estate": "安置房", "urban_village": "城中村", "rural_village": "村",
           "uniform": "统一"}


@pytest.fixture(autouse=True)
def page_style() -> Iterator[None]:
    with mpl.rc_context():
        use_page_style()
        yield


def scenario(days: int = 10, **overrides: object):
    sc = load_scenario(resolve_scenario("nanjing_baseline.toml"))
    return sc.with_overrides({"run.days": days, **overrides})


@pytest.fixture(scope="module")
def street_model() -> GovernanceModel:
    """Street scale: 12 communities of several types (seed 1 draws three)."""
    model = GovernanceModel(scenario(**{"layout.scale": "street"}), rng=1)
    for _ in range(3):
        model.step()
    assert len(set(model.places.community_type.tolist())) >= 2
    return model


def _rgba(colour: str) -> np.ndarray:
    return np.asarray(mpl.colors.to_rgba(colour))


# -- the view coloured by neighbourhood type --------------------------------------------------


def test_type_view_colours_every_place_by_its_community_type(street_model) -> None:
    pl = street_model.places
    names = np.array(pl.type_names)[pl.community_type]
    fig = draw_graph([("x", street_model)], "zh", "type")
    rings = {kind: coll for _, kind, coll in fig.govsim_places if kind != "agents"}
    for kind, community_of in (("grid", pl.grid_community),
                               ("micro_grid", pl.micro_grid_community)):
        expected = np.array([_rgba(TYPE_COLOURS[n]) for n in names[community_of]])
        assert np.allclose(rings[kind].get_facecolor(), expected), kind
    # the communities' ring (street scale) is coloured too
    ax = fig.axes[0]
    ring = layout_for(street_model.graph).pos["community"]
    community_dots = [c for c in ax.collections if isinstance(c, PathCollection)
                      and np.shape(c.get_offsets()) == ring.shape
                      and np.allclose(c.get_offsets(), ring)]
    assert len(community_dots) == 1
    assert np.allclose(community_dots[0].get_facecolor(),
                       [_rgba(TYPE_COLOURS[n]) for n in names])
    # the legend names exactly the types drawn, in Chinese; no colour scale
    present = types_present([street_model])
    assert set(present) == set(names)
    texts = [x.get_text() for x in fig.legends[0].get_texts()]
    assert texts[:len(present)] == [HOOD_ZH[n] for n in present]
    assert len(fig.axes) == 1  # the colour bar's axes is gone
    en = [x.get_text() for x in draw_graph([("x", street_model)], "en", "type")
          .legends[0].get_texts()]
    assert en[:len(present)] == [t(f"hood_{n}", "en") for n in present]


def test_one_community_is_drawn_in_its_type_and_uniform_mix_has_one_type() -> None:
    model = GovernanceModel(scenario(), rng=2)
    name = model.places.type_names[int(model.places.community_type[0])]
    fig = draw_graph([("x", model)], "zh", "type")
    root = next(c for c in fig.axes[0].collections if isinstance(c, PathCollection)
                and np.allclose(c.get_offsets(), [[0, 0]]))
    assert np.allclose(root.get_facecolor()[0], _rgba(TYPE_COLOURS[name]))
    assert HOOD_ZH[name] in {x.get_text() for x in fig.legends[0].get_texts()}
    uniform = GovernanceModel(scenario(**{"neighbourhoods.mix": "uniform"}), rng=2)
    assert types_present([uniform]) == ["uniform"]
    texts = {x.get_text() for x in draw_graph([("x", uniform)], "zh", "type")
             .legends[0].get_texts()}
    assert "统一" in texts and not texts & (set(HOOD_ZH.values()) - {"统一"})


def test_buildings_are_not_drawn(street_model) -> None:
    """Over 100,000 buildings at city scale: the picture leaves them to their micro-grid."""
    pl = street_model.places
    n_buildings = len(pl.building_micro_grid)
    assert n_buildings > pl.n_micro_grids
    lay = layout_for(street_model.graph)
    assert "building" not in lay.pos and "building" not in lay.shown
    assert len(lay.contains) == pl.n_communities + pl.n_grids + pl.n_micro_grids
    for colour_by in ("open", "type"):
        fig = draw_graph([("x", street_model)], "en", colour_by)
        dots = sum(len(c.get_offsets()) for c in fig.axes[0].collections
                   if isinstance(c, PathCollection))
        services = sum(len(v) for v in lay.services.values())
        expected = (1 + pl.n_communities + pl.n_grids + pl.n_micro_grids + services
                    + len(street_model.grid_workers) + len(street_model.riders))
        assert dots == expected, colour_by
        assert "Building" not in {x.get_text() for x in fig.legends[0].get_texts()}


@pytest.mark.parametrize("lang", LANGS)
def test_type_legend_fits_inside_the_picture(street_model, lang: str) -> None:
    fig = draw_graph([("a", street_model), ("b", street_model)], lang, "type")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    box = fig.legends[0].get_window_extent(canvas.get_renderer())
    assert box.x0 >= 0 and box.y0 >= 0
    assert box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height
    assert box.y1 <= min(ax.get_window_extent().y0 for ax in fig.axes) + 1


def test_fast_redraw_by_type_matches_a_full_draw() -> None:
    ws = Workshop(scenario(days=20), seed=1, baseline=scenario(days=20))
    live = LiveGraph()
    for _ in range(6):
        ws.step(1)
        runs = [(f"{r.role} {r.model.day}", r.model) for r in ws.runs]
        png = live.png(runs, "zh", "type")
    assert live.rebuilds == 1  # types do not change: every later frame was blitted
    blitted = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    fig = draw_graph(runs, "zh", "type")
    fig.set_dpi(80)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    full = np.asarray(canvas.buffer_rgba())[..., :3].astype(int)
    assert blitted.shape == full.shape
    assert np.mean(np.abs(blitted - full) > 40) < 0.002


# -- the largest-gap card ---------------------------------------------------------------------


def _summary(**gaps: float) -> dict[str, float]:
    out = {k: float("nan") for k in GAP_KEYS}
    out.update(gaps)
    return out


def test_the_card_picks_the_largest_gap_by_size() -> None:
    s = _summary(known_share_gap_elderly=-0.015, known_share_gap_offline=0.01,
                 on_time_share_gap_floating=0.012)
    assert largest_gap(s) == "known_share_gap_elderly"
    s["on_time_share_gap_types"] = 0.02  # highest minus lowest type: a size
    assert largest_gap(s) == "on_time_share_gap_types"
    s["on_time_share_gap_offline"] = -0.2
    assert largest_gap(s) == "on_time_share_gap_offline"
    # other gaps (days, trust) are not shares of issues: never chosen
    s["days_to_resolve_gap_elderly"] = 5.0
    s["trust_gap_elderly"] = 0.9
    assert largest_gap(s) == "on_time_share_gap_offline"
    assert largest_gap(_summary()) is None  # day 0: nothing measured
    assert largest_gap({}) is None
    assert set(GAP_KEYS) == {f"{m}_gap_{g}" for m in ("known_share", "on_time_share")
                             for g in ("elderly", "offline", "floating", "types")}


def test_the_gap_card_in_words_both_languages() -> None:
    g = gap_stat({"run": _summary(known_share_gap_elderly=-0.015)}, 30)
    assert g.key == "known_share_gap_elderly" and g.baseline is None
    assert format_gap(g, "en") == "Elderly: known share 1.5 pp lower than others'"
    assert format_gap(g, "zh") == "老年人：知晓率比其他人低 1.5 个百分点"
    assert format_gap_value(g, "en") == "−1.5 pp"
    assert format_gap_value(g, "zh") == "−1.5 个百分点"
    up = gap_stat({"run": _summary(on_time_share_gap_floating=0.0834)}, 30)
    assert format_gap(up, "en") == "Floating population: on-time share 8.3 pp higher than " \
        "others'"
    assert format_gap(up, "zh") == "流动人口：按时办结率比其他人高 8.3 个百分点"
    types = gap_stat({"run": _summary(known_share_gap_types=0.123)}, 30)
    assert format_gap(types, "en") == ("Between neighbourhood types: known share 12.3 pp "
                                       "apart, highest to lowest")
    assert format_gap(types, "zh") == "小区类型之间：知晓率最高与最低相差 12.3 个百分点"
    assert format_gap_value(types, "en") == "12.3 pp"
    offline = gap_stat({"run": _summary(on_time_share_gap_offline=-0.2)}, 30)
    assert format_gap(offline, "zh") == "不上网的居民：按时办结率比其他人低 20.0 个百分点"
    none = gap_stat({"run": _summary()}, 0)
    assert none.key is None and format_gap_value(none, "en") == "–"
    assert format_gap(none, "zh") == "尚未测得差距"


@pytest.mark.parametrize(("base", "changed", "verdict", "arrow", "en", "zh"), [
    (-0.03, -0.015, "good", "▼", "▼ 1.5 pp narrower vs baseline · better",
     "▼ 比基准缩小 1.5 个百分点 · 变好"),
    # the sign flips and the gap grows: worse, though the number went up
    (-0.01, 0.02, "bad", "▲", "▲ 1.0 pp wider vs baseline · worse",
     "▲ 比基准扩大 1.0 个百分点 · 变差"),
    (-0.0151, -0.0149, "same", "▬", "▬ same as baseline · no change",
     "▬ 与基准相同 · 无变化"),
])
def test_a_gap_closer_to_zero_is_better(base: float, changed: float, verdict: str, arrow: str,
                                        en: str, zh: str) -> None:
    g = gap_stat({"baseline": _summary(known_share_gap_elderly=base),
                  "changed": _summary(known_share_gap_elderly=changed)}, 40)
    assert g.change == pytest.approx(abs(changed) - abs(base))
    assert (g.verdict, g.arrow) == (verdict, arrow)
    assert g.colour == {"good": "#1b7f3a", "bad": "#c62828", "same": "#616161"}[verdict]
    assert format_gap_change(g, "en") == en
    assert format_gap_change(g, "zh") == zh


def test_the_compared_gap_is_the_changed_runs_largest() -> None:
    g = gap_stat({"baseline": _summary(known_share_gap_elderly=-0.05,
                                       on_time_share_gap_offline=-0.01),
                  "changed": _summary(known_share_gap_elderly=-0.01,
                                      on_time_share_gap_offline=-0.03)}, 40)
    assert g.key == "on_time_share_gap_offline"
    assert (g.value, g.baseline) == (-0.03, -0.01) and g.verdict == "bad"


def test_the_gap_card_with_more_seeds() -> None:
    keys = REPLICATE_KEYS
    col = keys.index("known_share_gap_elderly")

    def rep(i: int, base: float, changed: float) -> Replicate:
        rows = {}
        for role, v in (("baseline", base), ("changed", changed)):
            table = np.full((11, len(keys)), np.nan)
            table[10, col] = v
            rows[role] = table
        return Replicate(i, {}, rows, keys)

    reps = [rep(0, -0.04, -0.02), rep(1, -0.03, -0.035), rep(2, -0.02, -0.01)]
    g = gap_stat({"baseline": _summary(known_share_gap_elderly=-0.03),
                  "changed": _summary(known_share_gap_elderly=-0.02)}, 10, reps)
    assert g.seeds == 4
    assert g.agree == 3  # three of four seeds narrowed the gap
    assert g.change_low == pytest.approx(-0.02) and g.change_high == pytest.approx(0.005)
    assert g.low == pytest.approx(-0.035) and g.high == pytest.approx(-0.01)
    # the four cards still read their own columns
    stats = card_stats({"baseline": {"on_time_share": 0.5}, "changed": {"on_time_share": 0.6}},
                       10, reps)
    assert stats[0].seeds == 4


def test_the_gap_card_on_a_real_run() -> None:
    ws = Workshop(scenario(days=60), seed=3, baseline=scenario(days=60))
    ws.step(60)
    sums = {r.role: s for r, s in ws.summaries()}
    g = gap_stat(sums, 60)
    values = {k: abs(sums["changed"][k]) for k in GAP_KEYS
              if math.isfinite(sums["changed"][k])}
    assert g.key == max(values, key=values.get)
    assert g.change == 0.0 and g.verdict == "same"  # the same scenario and seed


def test_the_page_shows_the_gap_card_beside_the_four() -> None:
    from sim.viz.app import cards_html

    sums = {"baseline": _summary(known_share_gap_elderly=-0.03, on_time_share=0.8),
            "changed": _summary(known_share_gap_elderly=-0.015, on_time_share=0.82)}
    stats = card_stats(sums, 20)
    for lang, words in (("zh", "老年人：知晓率比其他人低 1.5 个百分点"),
                        ("en", "Elderly: known share 1.5 pp lower than others&#x27;")):
        page = cards_html(lang, stats, gap_stat(sums, 20))
        assert page.count('class="govsim-card ') == 5
        assert 'data-gap="known_share_gap_elderly"' in page
        assert words in page and 'data-verdict="good"' in page
        assert t("gap_card", lang) in page


# -- the story --------------------------------------------------------------------------------


def test_the_story_mentions_the_gap_only_when_it_moved() -> None:
    def stats_and_gap(base: float, changed: float):
        sums = {"baseline": _summary(known_share_gap_elderly=base, on_time_share=0.8,
                                     hazards_caught_share=0.8, median_days_to_resolve=3.0,
                                     incidents=10),
                "changed": _summary(known_share_gap_elderly=changed, on_time_share=0.82,
                                    hazards_caught_share=0.8, median_days_to_resolve=3.0,
                                    incidents=10)}
        return card_stats(sums, 50), gap_stat(sums, 50)

    stats, gap = stats_and_gap(-0.05, -0.02)
    en = story(stats, 50, "en", "x", gap=gap)
    assert len(en) == 3
    assert en[2] == ("The largest gap (Elderly: known share 2.0 pp lower than others') is "
                     "3.0 pp narrower than the baseline's.")
    zh = story(stats, 50, "zh", "x", gap=gap)
    assert zh[2] == "最大差距（老年人：知晓率比其他人低 2.0 个百分点）比基准缩小了 3.0 个百分点。"
    stats, gap = stats_and_gap(-0.05, -0.045)  # half a point: not worth a sentence
    assert len(story(stats, 50, "en", "x", gap=gap)) == 2
    stats, gap = stats_and_gap(-0.02, -0.05)
    assert "wider" in story(stats, 50, "en", "x", gap=gap)[2]
    assert "扩大" in story(stats, 50, "zh", "x", gap=gap)[2]
    # with more seeds: said with how many agree, and left out when most do not
    stats, gap = stats_and_gap(-0.05, -0.02)
    agreed = dataclasses.replace(gap, seeds=9, agree=7)
    assert story(stats, 50, "zh", "x", gap=agreed)[-1].endswith(
        "缩小了 3.0 个百分点（9 个随机种子中有 7 个方向一致）。")
    assert story(stats, 50, "en", "x", gap=agreed)[-1].endswith(
        "narrower than the baseline's (7 of 9 seeds agree).")
    split = dataclasses.replace(gap, seeds=9, agree=4)
    assert not any("gap" in line for line in story(stats, 50, "en", "x", gap=split))
