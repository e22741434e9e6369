"""The projector's pictures below the browser: drawn at the size asked, text kept as SVG
text at the large size, and a human title for every preset the picker offers."""

from __future__ import annotations

import re

import pytest

from sim.viz.labels import LABELS, LANGS
from sim.viz.picker import scenarios_dir
from sim.viz.projector import TEXT_PX, parse_box, picture_sizes


@pytest.mark.parametrize("path", sorted(scenarios_dir().glob("*.toml")), ids=lambda p: p.stem)
def test_every_preset_has_a_human_title_in_both_languages(path: object) -> None:
    key = f"scn_{path.stem}"  # type: ignore[attr-defined]
    assert key in LABELS and all(LABELS[key][lang] for lang in LANGS)


def test_picture_sizes_follow_the_box() -> None:
    assert parse_box("nonsense") == parse_box(None)
    small = picture_sizes(parse_box("1240,430"))
    large = picture_sizes(parse_box("1880,780"))
    assert large[0][0] > small[0][0] and large[1][1] > small[1][1]


def test_svg_text_is_drawn_at_the_large_size() -> None:
    from sim.viz.opening import build
    from sim.viz.projector import chart_svg, graph_svg

    built = build("nanjing_baseline.toml", {}, None, False, 1)
    ws = built.workshop
    assert ws is not None
    ws.step(3)
    graph_size, chart_size = picture_sizes((1240, 430))
    for text in (graph_svg(ws, "zh", "open", graph_size),
                 chart_svg(ws, None, "en", "chart_open", chart_size)):
        assert text.startswith("<svg") and "<text" in text
        sizes = [float(s) for s in re.findall(r"font[^;\"]*?([\d.]+)px", text)]
        assert sizes and min(sizes) >= TEXT_PX - 1
