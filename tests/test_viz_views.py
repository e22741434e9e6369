"""The page's pieces without a browser: levers, layout, pictures, compare, export."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator

import matplotlib as mpl
import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from sim.model import GovernanceModel
from sim.scenario import load_scenario
from sim.viz.charts import chart_series, draw_charts
from sim.viz.compare import Workshop, format_difference, format_value
from sim.viz.export import PNG_MAGIC, figure_png, file_stem, runs_csv
from sim.viz.graph_draw import draw_graph
from sim.viz.graph_view import compute_layout, layout_for
from sim.viz.lever_panel import on_step
from sim.viz.levers import LEVERS, changed_levers, lever_values
from sim.viz.picker import list_scenarios, resolve_scenario
from sim.viz.style import available_cjk_fonts, use_page_style
from sim.viz.working_view import outcomes_html


@pytest.fixture(autouse=True)
def page_style() -> Iterator[None]:
    """The page's fonts, for these tests only (rcParams are global)."""
    with mpl.rc_context():
        use_page_style()
        yield


def scenario(name: str = "nanjing_baseline.toml", days: int = 365):
    sc = load_scenario(resolve_scenario(name))
    return sc.with_overrides({"run.days": days}) if days != sc.run.days else sc


@pytest.mark.parametrize("name", list_scenarios())
def test_levers_exist_in_every_scenario_and_fit_their_sliders(name: str) -> None:
    sc = scenario(name)
    values = lever_values(sc)
    for lever in LEVERS:
        v = values[lever.key]
        assert isinstance(v, int) if lever.integer else isinstance(v, float)
        assert lever.min <= v, (name, lever.key, v)
    assert changed_levers(sc, values) == {}


def test_a_slider_is_given_a_value_on_its_own_steps() -> None:
    """The browser's slider snaps a value between its steps and sends the snapped value
    back; the server then set the file's value again, after every step of the run."""
    assert on_step(0.25, 0.0, 10.0, 0.1) == pytest.approx(0.3)
    assert on_step(0.40923582, 0.0, 1.0, 0.01) == pytest.approx(0.41)
    assert on_step(41.0, 0.0, 40.0, 0.5) == 40.0  # never past the end
    for name in list_scenarios():
        values = lever_values(scenario(name))
        for lever in LEVERS:
            shown = on_step(values[lever.key], lever.min, max(lever.max, values[lever.key]),
                            lever.step)
            assert abs(shown - values[lever.key]) <= lever.step / 2 + 1e-9, (name, lever.key)
            steps = (shown - lever.min) / lever.step
            assert abs(steps - round(steps)) < 1e-6, (name, lever.key, shown)
    # the Nanjing baseline's own values are each on a step (a user can set them back)
    base = lever_values(scenario())
    for lever in LEVERS:
        assert on_step(base[lever.key], lever.min, lever.max, lever.step) == \
            pytest.approx(base[lever.key]), lever.key


def test_moving_levers_gives_valid_overrides_of_the_right_type() -> None:
    sc = scenario()
    edits = {lever.key: lever.max * 0.5 for lever in LEVERS}
    overrides = changed_levers(sc, edits)
    assert overrides
    changed = sc.with_overrides(overrides)  # strict schema: ints stay ints
    for lever in LEVERS:
        assert lever.value_in(changed) == lever.coerce(lever.max * 0.5)
    assert type(overrides["burden.ledgers"]) is int


def test_layout_is_radial_by_hierarchy_and_cached() -> None:
    m1 = GovernanceModel(scenario(), rng=1)
    m2 = GovernanceModel(scenario(), rng=2)
    lay = compute_layout(m1.graph)
    assert lay.root == "community"
    assert lay.shown == ("grid", "micro_grid")
    grids, micros = lay.pos["grid"], lay.pos["micro_grid"]
    assert np.allclose(np.hypot(*grids.T), 1.0)
    assert np.allclose(np.hypot(*micros.T), 2.0)
    assert len({tuple(np.round(p, 6)) for p in micros}) == len(micros)
    assert set(lay.services) == {"platform", "department", "utility", "social_org",
                                 "volunteer_station"}
    assert len(lay.contains) == len(grids) + len(micros)
    assert layout_for(m1.graph) is layout_for(m2.graph)  # riders' routes differ, places not


def test_graph_picture_is_drawn_in_the_chosen_language() -> None:
    runs = [("a", GovernanceModel(scenario(), rng=1)), ("b", GovernanceModel(scenario(), rng=1))]
    for _, m in runs:
        for _ in range(5):
            m.step()
    fig = draw_graph(runs, "zh", "open")
    texts = {t.get_text() for t in fig.legends[0].get_texts()}
    assert {"网格员", "流动网格员", "微网格", "网格"} <= texts
    assert len([ax for ax in fig.axes if ax.get_title()]) == 2
    png = figure_png(fig)
    assert png.startswith(PNG_MAGIC)
    fig_en = draw_graph(runs[:1], "en", "trust")
    assert "Grid worker" in {t.get_text() for t in fig_en.legends[0].get_texts()}
    assert available_cjk_fonts(), "no Chinese font for the pictures (fonts-noto-cjk)"


def test_charts_overlay_baseline_and_changed() -> None:
    ws = Workshop(scenario(days=20), seed=3, baseline=scenario(days=20))
    ws.step(10)
    inputs = [(run.role, frame, len(run.model.grid_workers)) for run, frame in ws.frames()]
    fig = draw_charts(inputs, "en")
    titles = [ax.get_title() for ax in fig.axes]
    assert "Open issues" in titles and "On-time share" in titles
    open_ax = fig.axes[titles.index("Open issues")]
    assert len(open_ax.lines) == 2
    styles = {line.get_linestyle() for line in open_ax.lines}
    assert styles == {"-", "--"}
    series = chart_series(inputs[0][1], inputs[0][2])
    assert len(series["chart_open"]) == 10
    assert math.isclose(series["chart_incidents"].iloc[-1], inputs[0][1]["incidents"].sum())
    empty = draw_charts([("run", pd.DataFrame(), None)], "zh")
    assert any("尚无数据" in t.get_text() for ax in empty.axes for t in ax.texts)


def test_compare_pairs_runs_with_the_same_seed() -> None:
    same = Workshop(scenario(days=30), seed=5, baseline=scenario(days=30))
    same.step(30)
    rows = same.outcome_rows()
    assert rows and all(r["difference"] in (0.0, None) for r in rows)
    changed = scenario(days=30).with_overrides({"burden.ledgers": 40})
    ws = Workshop(changed, seed=5, baseline=scenario(days=30))
    assert ws.comparing and [r.role for r in ws.runs] == ["baseline", "changed"]
    assert ws.step(100) == 30 and ws.finished and ws.day == 30
    admin = next(r for r in ws.outcome_rows() if r["key"] == "admin_share")
    assert admin["changed"] > admin["baseline"]
    assert format_difference("admin_share", admin["difference"], "pp").startswith("+")


def test_outcomes_table_names_the_day_its_numbers_are_from() -> None:
    """The browser tests wait for the table's own day: the day label is another widget."""
    ws = Workshop(scenario(days=10), seed=2, baseline=scenario(days=10))
    assert 'data-day="0"' in outcomes_html("en", ws)
    ws.step(3)
    page = outcomes_html("en", ws)
    assert 'data-day="3"' in page
    raised = format_value("raised", ws.summaries()[0][1]["raised"])
    assert f'<tr data-key="raised"><td>Issues raised</td><td>{raised}</td>' in page


def test_formatting() -> None:
    assert format_value("raised", 1234.0) == "1,234"
    assert format_value("raised", 0) == "0"
    assert format_value("on_time_share", 0.8512) == "85.1%"
    assert format_value("mean_trust", 0.6) == "0.60"
    assert format_value("median_days_to_resolve", float("nan")) == "–"
    assert format_difference("on_time_share", -0.012, "个百分点") == "-1.2 个百分点"
    assert format_difference("incidents", 3.0, "pp") == "+3"
    assert format_difference("incidents", None, "pp") == "–"


def test_export_csv_and_png() -> None:
    ws = Workshop(scenario(days=10), seed=1, baseline=scenario("staffing_22_per_10k.toml",
                                                                days=10))
    ws.step(4)
    frame = pd.read_csv(io.StringIO(runs_csv(ws)))
    assert len(frame) == 8
    assert list(frame.columns[:4]) == ["run", "scenario", "levers_changed", "seed"]
    assert set(frame["run"]) == {"baseline", "changed"}
    assert file_stem(ws) == "govsim_nanjing_baseline_vs_staffing_22_per_10k_seed1_day4"
    inputs = [(run.role, f, None) for run, f in ws.frames()]
    png = figure_png(draw_charts(inputs, "zh"))
    image = mpimg.imread(io.BytesIO(png), format="png")
    assert image.shape[0] > 300 and image.std() > 0.01


@pytest.mark.parametrize("name", list_scenarios())
def test_every_scenario_file_can_be_shown(name: str) -> None:
    ws = Workshop(scenario(name, days=5), seed=1)
    ws.step(2)
    graph = draw_graph([("x", ws.runs[0].model)], "zh")
    charts = draw_charts([("run", ws.frames()[0][1], None)], "en")
    assert figure_png(graph, dpi=40).startswith(PNG_MAGIC)
    assert figure_png(charts, dpi=40).startswith(PNG_MAGIC)
