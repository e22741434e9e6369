"""The label tables: complete in both languages, and every label the page uses exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sim.viz import cards, charts, compare, graph_view
from sim.viz.labels import LABELS, LANGS, MissingLabel, fields_of, pick_language, t
from sim.viz.levers import LEVERS

VIZ = Path(__file__).resolve().parents[1] / "sim" / "viz"
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_label_has_both_languages_with_the_same_fields() -> None:
    for key, texts in LABELS.items():
        assert set(texts) == set(LANGS), key
        for lang in LANGS:
            assert texts[lang].strip(), (key, lang)
        assert fields_of(texts["zh"]) == fields_of(texts["en"]), key


def test_chinese_labels_are_chinese_and_english_ones_are_not() -> None:
    for key, texts in LABELS.items():
        assert CJK.search(texts["zh"]), key
        assert not CJK.search(texts["en"]), key


def test_a_missing_label_fails_loudly() -> None:
    with pytest.raises(MissingLabel):
        t("no_such_label", "zh")
    with pytest.raises(MissingLabel):
        t("title", "fr")
    assert t("day", "zh", day=3, days=365) == "第 3 天 / 共 365 天"
    assert t("day", "en", day=3, days=365) == "Day 3 of 365"


def _label_calls() -> tuple[set[str], set[str]]:
    """Literal keys passed to t(...) in sim/viz, and the prefixes of f-string keys."""
    literal: set[str] = set()
    prefixes: set[str] = set()
    for path in VIZ.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "t" and node.args):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                literal.add(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                head = arg.values[0]
                assert isinstance(head, ast.Constant), f"{path.name}: t(f'...') needs a prefix"
                prefixes.add(str(head.value))
            else:
                prefixes.add("")  # a variable: covered by the families below
    return literal, prefixes


def test_every_literal_label_the_page_uses_exists() -> None:
    literal, _ = _label_calls()
    assert len(literal) > 40
    missing = sorted(k for k in literal if k not in LABELS)
    assert not missing, missing


def test_every_label_family_the_page_builds_exists() -> None:
    _, prefixes = _label_calls()
    assert prefixes <= {"kind_", "out_", "scn_", "story_", ""}, prefixes
    keys = []
    keys += [lever.label_key for lever in LEVERS] + [lever.tip_key for lever in LEVERS]
    keys += [f"kind_{k}" for k in (*graph_view.HIERARCHY, *graph_view.SERVICE_KINDS)]
    keys += [f"out_{k}" for k in compare.OUTCOME_KEYS]
    keys += [k for k, _, _ in charts.PANELS] + [a for _, a, _ in charts.PANELS]
    keys += [label for _, label, _ in charts.HOURS]
    keys += ["baseline", "changed"]  # run roles shown in titles
    keys += [f"out_{c.key}" for c in cards.CARDS]
    keys += [f"story_{d}_{c.key}" for c in cards.CARDS for d in ("up", "down")]
    keys += [f"verdict_{v}" for v in ("good", "bad", "same")]
    missing = sorted(k for k in keys if k not in LABELS)
    assert not missing, missing


@pytest.mark.parametrize(("header", "expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
    ("en;q=0.5,zh-TW;q=0.9", "zh"),
    ("fr-FR,fr;q=0.9", "en"),
    ("de,zh;q=0", "en"),
    ("", "en"),
    (None, "en"),
    (["zh-CN,zh;q=0.9"], "zh"),
    ("zh-Hans-CN", "zh"),
])
def test_pick_language(header: str | list[str] | None, expected: str) -> None:
    assert pick_language(header) == expected
