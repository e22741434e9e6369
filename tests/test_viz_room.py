"""The workshop page in a room, without a browser: address, save, cards, story, seeds,
stamped exports, fast redraws, the legend and the font cache."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from sim.model import GovernanceModel
from sim.scenario import ScenarioError, load_scenario
from sim.viz.address import make_query, parse_address
from sim.viz.cards import (
    CARD_KEYS,
    CARDS,
    SHOWN_RESOLUTION,
    card_stats,
    format_card_change,
)
from sim.viz.charts import draw_charts, series_bands, x_extent
from sim.viz.compare import Workshop, verdict
from sim.viz.export import caption, captioned_png, file_stem, runs_csv
from sim.viz.graph_draw import draw_graph
from sim.viz.labels import LANGS
from sim.viz.levers import LEVERS
from sim.viz.live import LiveCharts, LiveGraph, clear_shared
from sim.viz.picker import list_scenarios, resolve_scenario
from sim.viz.replicates import Replicates, run_replicate
from sim.viz.save import SaveRefused, save_scenario
from sim.viz.story import story
from sim.viz.style import use_page_style

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def page_style() -> Iterator[None]:
    with mpl.rc_context():
        use_page_style()
        yield


@pytest.fixture
def scenario_root(tmp_path: Path) -> Path:
    root = tmp_path / "scenarios"
    root.mkdir()
    for f in (REPO / "scenarios").glob("*.toml"):
        shutil.copy(f, root)
    return root


def scenario(name: str = "nanjing_baseline.toml", days: int = 60, **overrides: object):
    sc = load_scenario(resolve_scenario(name))
    return sc.with_overrides({"run.days": days, **overrides})


# -- the address ---------------------------------------------------------------------------


def test_address_round_trip_carries_every_lever_by_name() -> None:
    levers = {lever.key: lever.coerce(lever.min + (lever.max - lever.min) / 3)
              for lever in LEVERS}
    query = make_query("saved/my_reform.toml", "zh", 7, levers, "nanjing_baseline.toml",
                       "present")
    back = parse_address(query)
    assert back.scenario == "saved/my_reform.toml"
    assert (back.lang, back.seed, back.baseline, back.view) == ("zh", 7, "nanjing_baseline.toml",
                                                                "present")
    assert back.levers == levers
    assert back.ignored == ()
    bad = parse_address("?lang=fr&staffing.workers_per_10k=lots&nonsense=1&seed=-3")
    assert bad.lang is None and bad.seed is None and bad.levers == {}
    assert "nonsense=1" in bad.ignored
    assert {r.key for r in bad.refused} == {"staffing.workers_per_10k", "seed"}
    # a value beyond the slider is refused, not clipped (tests/test_workshop_inputs.py)
    assert parse_address("staffing.workers_per_10k=999").levers == {}


# -- save as scenario ----------------------------------------------------------------------


def test_saved_scenario_extends_the_picked_file_and_validates(scenario_root: Path) -> None:
    path, sc = save_scenario("burden_cut_f12.toml", {"staffing.workers_per_10k": 30.0,
                                                     "burden.ledgers": 12},
                             "room_reform", seed=11, root=scenario_root)
    assert path == (scenario_root / "saved" / "room_reform.toml").resolve()
    text = path.read_text(encoding="utf-8")
    assert 'extends = "../burden_cut_f12.toml"' in text
    assert "assumption" in text
    again = load_scenario(path)  # as `govsim run` would read it
    picked = load_scenario(scenario_root / "burden_cut_f12.toml")
    assert again.staffing.workers_per_10k == 30.0 and again.burden.ledgers == 12
    assert again.run.seed == 11 and again.name == "room_reform"
    assert again.burden.inspection_cut == picked.burden.inspection_cut  # inherited
    assert sc.to_dict() == again.to_dict()
    assert "saved/room_reform.toml" in list_scenarios(scenario_root)
    assert resolve_scenario("saved/room_reform.toml", scenario_root) == path
    # the seed is only written when it differs from the picked file's
    p2, _ = save_scenario("nanjing_baseline.toml", {"burden.ledgers": 5}, "same_seed",
                          seed=int(picked.run.seed), root=scenario_root)
    assert "[run]" not in p2.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["../escape", "/etc/x", "a/b", "two words", "", "x" * 61,
                                  "dot.ted"])
def test_save_refuses_names_that_leave_the_folder(scenario_root: Path, name: str) -> None:
    with pytest.raises(SaveRefused):
        save_scenario("nanjing_baseline.toml", {"burden.ledgers": 5}, name, root=scenario_root)
    assert not list(scenario_root.parent.rglob("*.tmp"))
    saved = scenario_root / "saved"
    assert not saved.exists() or not list(saved.iterdir())


def test_save_never_overwrites_and_leaves_nothing_when_invalid(scenario_root: Path) -> None:
    save_scenario("nanjing_baseline.toml", {"burden.ledgers": 5}, "mine", root=scenario_root)
    with pytest.raises(SaveRefused, match="already exists"):
        save_scenario("nanjing_baseline.toml", {"burden.ledgers": 6}, "mine", root=scenario_root)
    assert "ledgers = 5" in (scenario_root / "saved" / "mine.toml").read_text()
    with pytest.raises(ScenarioError):  # the loader's own check, named key
        save_scenario("nanjing_baseline.toml", {"staffing.workers_per_10k": -5.0}, "neg",
                      root=scenario_root)
    assert sorted(p.name for p in (scenario_root / "saved").iterdir()) == ["mine.toml"]


def test_save_refuses_a_saved_folder_that_is_a_link_outside(scenario_root: Path,
                                                           tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (scenario_root / "saved").symlink_to(outside)
    with pytest.raises(SaveRefused, match="outside"):
        save_scenario("nanjing_baseline.toml", {"burden.ledgers": 5}, "x", root=scenario_root)
    assert not list(outside.iterdir())


# -- cards, story, seeds --------------------------------------------------------------------


def test_cards_colour_the_change_by_which_way_is_better() -> None:
    more = scenario(days=40, **{"staffing.workers_per_10k": 30.0})
    ws = Workshop(more, seed=3, baseline=scenario(days=40))
    ws.step(40)
    stats = card_stats({r.role: s for r, s in ws.summaries()}, ws.day)
    assert [s.card.key for s in stats] == list(CARD_KEYS)
    for s in stats:
        assert s.change == pytest.approx(s.value - s.baseline)
        up_is_good = s.card.better == "up"
        expected = "same" if abs(s.change) < SHOWN_RESOLUTION[s.card.unit] else \
            "good" if (s.change > 0) == up_is_good else "bad"
        assert s.verdict == expected
        assert s.colour == {"good": "#1b7f3a", "bad": "#c62828", "same": "#616161"}[expected]
        assert s.arrow == ("▬" if expected == "same" else "▲" if s.change > 0 else "▼")
    incidents = next(s for s in stats if s.card.key == "incidents")
    if incidents.change and incidents.change < 0:
        assert incidents.verdict == "good" and incidents.arrow == "▼"
    assert format_card_change(CARDS[2], 1.25, "en") == "+1.2 days"
    assert format_card_change(CARDS[2], -1.25, "zh") == "-1.2 天"
    assert format_card_change(CARDS[0], 0.031, "en") == "+3.1 pp"
    # what reads as "+0.0" is no change, in the cards and in the table
    tiny = card_stats({"baseline": {"on_time_share": 0.5}, "changed": {"on_time_share": 0.5003}},
                      5, cards=CARDS[:1])[0]
    assert (tiny.verdict, tiny.arrow) == ("same", "▬")
    assert verdict("on_time_share", 0.0003) == "same" and verdict("on_time_share", 0.002) == "good"
    assert verdict("incidents", 1.0) == "bad" and verdict("raised", 5.0) == "same"


def test_replicates_are_seeded_paired_and_run_in_the_background() -> None:
    base, changed = scenario(days=30), scenario(days=30, **{"burden.ledgers": 40})
    runs = [("baseline", base), ("changed", changed)]
    reps = Replicates(runs, seed=5, days=30, keys=CARD_KEYS, n=3)
    assert not reps.started and reps.done() == []
    reps.start()
    done = reps.wait(timeout=180)
    assert [r.index for r in done] == [0, 1, 2]
    again = run_replicate(1, runs, np.random.SeedSequence(5).spawn(3)[1], 30, CARD_KEYS)
    pd.testing.assert_frame_equal(done[1].frames["changed"], again.frames["changed"])
    assert np.array_equal(done[1].cards["changed"], again.cards["changed"], equal_nan=True)
    # the seeds differ from each other and from the page's own seed
    page = Workshop(changed, seed=5)
    page.step(30)
    opens = {tuple(r.frames["changed"]["raised"]) for r in done}
    opens.add(tuple(page.frames()[0][1]["raised"]))
    assert len(opens) == 4
    # 40 ledgers a year [P2] against 4: more admin hours in every seed (paired)
    for r in done:
        admin = {role: r.frames[role]["admin_hours"].sum() for role in ("baseline", "changed")}
        assert admin["changed"] > admin["baseline"]


def test_cards_and_story_say_how_sure_with_more_seeds() -> None:
    base, changed = scenario(days=60), scenario(days=60, **{"burden.ledgers": 40,
                                                            "staffing.workers_per_10k": 8.0})
    runs = [("baseline", base), ("changed", changed)]
    ws = Workshop(changed, seed=2, baseline=base, edits={"burden.ledgers": 40,
                                                         "staffing.workers_per_10k": 8.0})
    ws.step(60)
    sums = {r.role: s for r, s in ws.summaries()}
    seeds = np.random.SeedSequence(2).spawn(4)
    reps = [run_replicate(i, runs, s, 60, CARD_KEYS) for i, s in enumerate(seeds)]
    one = card_stats(sums, 60)
    many = card_stats(sums, 60, reps)
    assert all(s.seeds == 1 and s.low is None for s in one)
    for s in many:
        assert s.seeds == 5
        assert s.change_low <= s.change <= s.change_high  # the run on screen is inside
        assert s.low <= s.value <= s.high
        assert 0 <= s.agree <= 5
    # the replicate's card row at day 60 is its summary at day 60
    for r in reps[:2]:
        model = GovernanceModel(changed, rng=np.random.SeedSequence(2).spawn(4)[r.index])
        for _ in range(60):
            model.step()
        s = model.summary()
        assert r.cards["changed"][60].tolist() == pytest.approx(
            [s[k] for k in CARD_KEYS], nan_ok=True)
    what = "Community workers per 10,000 18 → 8"
    for lang in LANGS:
        lines = story(many, 60, lang, what)
        assert len(lines) == 2
        assert "60" in lines[0]
        assert "5" in lines[1]
        single = story(one, 60, lang, what)
        assert len(single) == 2
    en = " ".join(story(many, 60, "en", what))
    assert en.startswith("Changed: Community workers per 10,000 18 → 8.")
    assert "of 5 seeds agree" in en
    zh = " ".join(story(many, 60, "zh", "每万人社区工作者 18 → 8"))
    assert "5 个随机种子" in zh and "到第 60 天" in zh
    assert "Play" in story(one, 60, "en", what)[1]


def test_seed_band_is_the_range_of_the_seeds() -> None:
    sc = scenario(days=40)
    frames = [run_replicate(i, [("run", sc)], s, 40, CARD_KEYS).frames["run"]
              for i, s in enumerate(np.random.SeedSequence(9).spawn(5))]
    bands = series_bands(frames, 30)
    x, lo, hi = bands["chart_open"]
    assert x.max() == 30 and len(x) == 30  # after 30 days: days 1..30, as the page counts
    table = np.column_stack([f.set_index(f["day"] + 1)["open"].loc[x] for f in frames])
    assert np.all(lo <= hi)
    assert np.array_equal(lo, table.min(axis=1)) and np.array_equal(hi, table.max(axis=1))


# -- exports ---------------------------------------------------------------------------------


def test_exports_are_stamped_with_scenario_levers_and_seed() -> None:
    picked = scenario(days=10)
    moved = {"staffing.workers_per_10k": 30.0}
    ws = Workshop(picked.with_overrides(moved), seed=4, baseline=picked, edits=moved)
    ws.step(3)
    assert file_stem(ws) == ("govsim_nanjing_baseline+workers_per_10k-30_vs_nanjing_baseline_"
                             "seed4_day3")
    frame = pd.read_csv(io.StringIO(runs_csv(ws)), keep_default_na=False)
    by_run = frame.groupby("run")["levers_changed"].first().to_dict()
    assert by_run == {"baseline": "", "changed": "staffing.workers_per_10k=30"}
    assert set(frame["seed"]) == {4}
    for lang in LANGS:
        text = caption(ws, lang)
        assert "staffing.workers_per_10k=30" in text and "4" in text
        png = captioned_png(draw_charts([(r.role, f, None) for r, f in ws.frames()], lang),
                            text, dpi=60)
        image = Image.open(io.BytesIO(png))
        assert image.text["Description"] == text
    assert "nanjing_baseline" in caption(ws, "en") and "种子 4" in caption(ws, "zh")


# -- drawing ---------------------------------------------------------------------------------


def _full_draw_rgba(fig) -> np.ndarray:
    fig.set_dpi(80)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].astype(int)


def test_fast_redraw_shows_the_same_picture_as_a_full_draw() -> None:
    ws = Workshop(scenario(days=60), seed=1, baseline=scenario(days=60))
    live_c, live_g = LiveCharts(), LiveGraph()
    for _ in range(12):
        ws.step(1)
        inputs = [(r.role, f, len(r.model.grid_workers)) for r, f in ws.frames()]
        charts_png = live_c.png(inputs, "en", xmax=x_extent(ws.day, ws.days))
        runs = [(f"{r.role} day {r.model.day}", r.model) for r in ws.runs]
        graph_png = live_g.png(runs, "en", "open")
    assert live_c.rebuilds < 12 and live_g.rebuilds < 12  # most frames were blitted
    blitted = np.asarray(Image.open(io.BytesIO(charts_png)).convert("RGB")).astype(int)
    full = _full_draw_rgba(draw_charts(inputs, "en", xmax=x_extent(ws.day, ws.days),
                                       limits=live_c.limits))
    assert blitted.shape == full.shape
    assert np.mean(np.abs(blitted - full) > 40) < 0.002
    blitted_g = np.asarray(Image.open(io.BytesIO(graph_png)).convert("RGB")).astype(int)
    full_g = _full_draw_rgba(draw_graph(runs, "en", "open", norm_top=live_g.norm_top))
    assert blitted_g.shape == full_g.shape
    assert np.mean(np.abs(blitted_g - full_g) > 40) < 0.002


@pytest.mark.parametrize("compare", [False, True])
def test_an_outgrown_limit_redraws_only_what_changed_and_shows_a_full_draw(
        compare: bool) -> None:
    """When a chart's limit or the graph's colour scale is outgrown, only the axes that
    changed are drawn again (on the kept background), and every frame is still the
    picture a full draw gives: 40 days, past the x axis' step at day 10 and the y and
    colour limits growing in the first weeks."""
    clear_shared()
    sc = scenario(days=100)
    ws = Workshop(sc, seed=1, baseline=sc if compare else None)
    live_c, live_g = LiveCharts(), LiveGraph()
    worst_c = worst_g = 0.0
    for day in range(41):
        if day:  # day 0 first, as the page draws it: no lines yet, then lines
            ws.step(1)
        inputs = [(r.role, f, len(r.model.grid_workers)) for r, f in ws.frames()]
        xmax = x_extent(ws.day, ws.days)
        charts = np.asarray(Image.open(io.BytesIO(live_c.png(inputs, "en", xmax=xmax)))
                            .convert("RGB")).astype(int)
        full = _full_draw_rgba(draw_charts(inputs, "en", xmax=xmax, limits=live_c.limits))
        worst_c = max(worst_c, float(np.mean(np.abs(charts - full) > 40)))
        runs = [((r.role, f"day {r.model.day}"), r.model) for r in ws.runs]
        graph = np.asarray(Image.open(io.BytesIO(live_g.png(runs, "en", "open")))
                           .convert("RGB")).astype(int)
        full = _full_draw_rgba(draw_graph(runs, "en", "open", norm_top=live_g.norm_top))
        worst_g = max(worst_g, float(np.mean(np.abs(graph - full) > 40)))
    assert worst_c < 0.002 and worst_g < 0.002, (worst_c, worst_g)  # every frame right
    assert live_c.rebuilds == 2 and live_g.rebuilds == 1  # drawn whole: day 0, then lines
    assert live_c.blit.redraws >= 3 and live_g.blit.redraws >= 2  # then in part


def test_tables_at_different_limits_share_a_figure_and_each_frame_is_right() -> None:
    """Two tables on one figure, one running ahead (days 2, 4, 6, ... against 1, 2, 3,
    ...): the figure goes back and forth between their limits, and each frame is still
    its table's full draw."""
    clear_shared()
    sc = scenario(days=100)
    tables = {"ahead": Workshop(sc, seed=1), "behind": Workshop(sc, seed=2)}
    live = {name: LiveCharts() for name in tables}
    worst, apart = 0.0, 0
    for _ in range(30):
        for name, ws in tables.items():
            ws.step(2 if name == "ahead" else 1)
            inputs = [(r.role, f, len(r.model.grid_workers)) for r, f in ws.frames()]
            xmax = x_extent(ws.day, ws.days)
            shown = np.asarray(Image.open(io.BytesIO(live[name].png(inputs, "en", xmax=xmax)))
                               .convert("RGB")).astype(int)
            full = _full_draw_rgba(draw_charts(inputs, "en", xmax=xmax,
                                               limits=live[name].limits))
            worst = max(worst, float(np.mean(np.abs(shown - full) > 40)))
        states = {(live[n].key, tuple(sorted(live[n].limits.items()))) for n in tables}
        apart += len(states) > 1
    assert live["ahead"].blit is live["behind"].blit  # one figure between them
    assert apart >= 10, apart  # on most days the two showed different limits
    assert worst < 0.002, worst


def test_tables_share_a_drawn_background_but_each_shows_its_own_lines() -> None:
    """Sessions showing the same pictures draw the background once between them (the
    server's work for many tables), and each frame still shows its own run: a table on
    seed 1 and a second one on seed 1 share both backgrounds; a table on seed 2 never
    shows the other tables' lines or places."""
    clear_shared()
    a = Workshop(scenario(days=60), seed=1)
    b = Workshop(scenario(days=60), seed=2)
    c = Workshop(scenario(days=60), seed=1)
    live = {w: LiveCharts() for w in "abc"}
    graph = {w: LiveGraph() for w in "abc"}
    png: dict[str, bytes] = {}
    gpng: dict[str, bytes] = {}
    inputs: dict[str, list] = {}
    runs: dict[str, list] = {}
    for _ in range(12):
        for name, ws in (("a", a), ("b", b), ("c", c)):
            ws.step(1)
            inputs[name] = [(r.role, f, len(r.model.grid_workers)) for r, f in ws.frames()]
            png[name] = live[name].png(inputs[name], "en", xmax=x_extent(ws.day, ws.days))
            runs[name] = [(f"{name} day {r.model.day}", r.model) for r in ws.runs]
            gpng[name] = graph[name].png(runs[name], "en", "open")
    assert live["c"].blit is live["a"].blit and live["c"].rebuilds == 0
    assert graph["c"].blit is graph["a"].blit and graph["c"].rebuilds == 0
    for name in "abc":
        blitted = np.asarray(Image.open(io.BytesIO(png[name])).convert("RGB")).astype(int)
        full = _full_draw_rgba(draw_charts(inputs[name], "en", xmax=x_extent(a.day, a.days),
                                           limits=live[name].limits))
        assert np.mean(np.abs(blitted - full) > 40) < 0.002  # its own lines
        blitted = np.asarray(Image.open(io.BytesIO(gpng[name])).convert("RGB")).astype(int)
        full = _full_draw_rgba(draw_graph(runs[name], "en", "open",
                                          norm_top=graph[name].norm_top))
        assert np.mean(np.abs(blitted - full) > 40) < 0.002  # its own places and title
    png_a, png_b, in_a, live_a = png["a"], png["b"], inputs["a"], live["a"]
    picture_a = np.asarray(Image.open(io.BytesIO(png_a)).convert("RGB")).astype(int)
    picture_b = np.asarray(Image.open(io.BytesIO(png_b)).convert("RGB")).astype(int)
    assert np.mean(np.abs(picture_a - picture_b) > 40) > 0.001  # the seeds' lines differ
    before = live_a.rebuilds
    clear_shared()  # the last session closed: the backgrounds go, and are drawn again
    again = live_a.png(in_a, "en", xmax=x_extent(a.day, a.days))
    assert live_a.rebuilds == before + 1
    redrawn = np.asarray(Image.open(io.BytesIO(again)).convert("RGB")).astype(int)
    assert np.mean(np.abs(redrawn - picture_a) > 40) < 0.002


@pytest.mark.parametrize("overrides", [{}, {"run.warmup_days": 5}])
def test_the_charts_columns_kept_up_day_by_day_are_the_daily_tables(
        overrides: dict[str, object]) -> None:
    """The charts read their columns kept up as the days pass, not the whole daily table
    each day: after every step (one day, several at once, comparing, with a warm-up) they
    hold exactly the daily table's values."""
    import pandas as pd

    from sim.viz.compare import CHART_COLUMNS

    ws = Workshop(scenario(days=45, **overrides), seed=3,
                  baseline=scenario(days=45, **{"staffing.workers_per_10k": 30, **overrides}))
    for n in [1] * 12 + [5, 1, 7, 1, 1, 13]:
        ws.step(n)
        for (_, kept), (_, full) in zip(ws.chart_frames(), ws.frames(), strict=True):
            pd.testing.assert_frame_equal(kept.reset_index(drop=True),
                                          full[list(CHART_COLUMNS)].reset_index(drop=True),
                                          check_dtype=False)
    assert sum(int(f["incidents"].sum()) for _, f in ws.frames()) > 0  # incidents were seen


def test_a_graph_titles_name_is_in_its_background_and_only_its_day_changes() -> None:
    """The page's graph title is (name, day): the name is drawn with the background, the
    day on the right each frame. Two tables on one seed under different names do not
    share a background (each shows its own name); under the same name they do; every
    picture is its own full draw, the day included."""
    clear_shared()
    a = Workshop(scenario(days=30), seed=1)
    b = Workshop(scenario(days=30), seed=1)
    graphs = {"a": LiveGraph(), "b": LiveGraph(), "c": LiveGraph()}
    for _ in range(4):
        a.step(1)
        b.step(1)
    runs = {"a": [(("Table A", f"day {a.day}"), a.runs[0].model)],
            "b": [(("Table B", f"day {b.day}"), b.runs[0].model)],
            "c": [(("Table A", f"day {b.day}"), b.runs[0].model)]}
    pictures = {k: graphs[k].png(runs[k], "en", "open") for k in "abc"}
    assert graphs["b"].blit is not graphs["a"].blit  # another name: its own background
    assert graphs["c"].blit is graphs["a"].blit  # the same name and places: shared
    for k in "abc":
        blitted = np.asarray(Image.open(io.BytesIO(pictures[k])).convert("RGB")).astype(int)
        full = _full_draw_rgba(draw_graph(runs[k], "en", "open",
                                          norm_top=graphs[k].norm_top))
        assert np.mean(np.abs(blitted - full) > 40) < 0.002
    a.step(1)
    later = [(("Table A", f"day {a.day}"), a.runs[0].model)]
    again = np.asarray(Image.open(io.BytesIO(graphs["a"].png(later, "en", "open")))
                       .convert("RGB")).astype(int)
    full = _full_draw_rgba(draw_graph(later, "en", "open", norm_top=graphs["a"].norm_top))
    assert np.mean(np.abs(again - full) > 40) < 0.002  # the new day is drawn
    clear_shared()


def test_tables_crossing_a_step_together_draw_its_background_once() -> None:
    """Eight tables asking at the same moment for a background nobody has yet: one draws
    it, the others wait for it and paint on the same one (each drawing its own made the
    server's work eight times over just when every table waits)."""
    import threading

    from sim.viz.live import shared_blit

    clear_shared()
    made: list[int] = []
    start = threading.Barrier(8)
    got: list[object] = [None] * 8

    def make() -> object:
        made.append(1)
        time.sleep(0.3)  # a full draw takes a while: the others arrive meanwhile
        return object()

    def table(i: int) -> None:
        start.wait()
        got[i] = shared_blit(("test-step", 1), make)  # type: ignore[arg-type]

    threads = [threading.Thread(target=table, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=10)
    assert len(made) == 1
    blits = {id(g[0]) for g in got}  # type: ignore[index]
    assert len(blits) == 1 and sum(g[1] for g in got) == 1  # type: ignore[index]
    clear_shared()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("n_runs", [1, 2])
def test_graph_legend_fits_inside_the_picture(lang: str, n_runs: int) -> None:
    """The English legend was cut at the edges ("rid worker")."""
    ws = Workshop(scenario(days=5), seed=1)
    runs = [("x", ws.runs[0].model)] * n_runs
    fig = draw_graph(runs, lang)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    box = fig.legends[0].get_window_extent(canvas.get_renderer())
    assert box.x0 >= 0 and box.y0 >= 0
    assert box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height
    axes_bottom = min(ax.get_window_extent().y0 for ax in fig.axes[:n_runs])
    assert box.y1 <= axes_bottom + 1  # below the rings, not over them


# -- fonts -----------------------------------------------------------------------------------


def test_a_font_cache_without_chinese_fonts_is_noticed_and_rebuilt(tmp_path: Path) -> None:
    """A cache written before fonts-noto-cjk was installed: the page rebuilds it."""
    from matplotlib import font_manager

    from sim.viz.style import available_cjk_fonts, cjk_font_files

    if not cjk_font_files() or not available_cjk_fonts():
        pytest.skip("no CJK font on this machine (fonts-noto-cjk)")
    stale = font_manager.FontManager()
    stale.ttflist = [f for f in stale.ttflist if "CJK" not in f.name and "CJK" not in f.fname]
    cache = tmp_path / f"fontlist-v{font_manager.FontManager.__version__}.json"
    font_manager.json_dump(stale, cache)
    assert "Noto Sans CJK SC" not in json.loads(cache.read_text())["ttflist"].__repr__()
    code = ("import logging, sys; logging.basicConfig(stream=sys.stdout); "
            "from sim.viz.style import use_page_style, available_cjk_fonts; "
            "print('before', available_cjk_fonts()); s = use_page_style(); "
            "print('status', s, available_cjk_fonts()[:1])")
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300, check=True).stdout
    assert "before []" in out  # the stale cache really had no Chinese font
    assert "status rebuilt ['Noto Sans CJK SC']" in out
    assert "rebuilt it" in out  # and said so in the log
    assert "Noto Sans CJK" in cache.read_text()  # the cache on disk is fixed too
