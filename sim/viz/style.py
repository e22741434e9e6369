"""Matplotlib settings for the page: fonts with Chinese glyphs, a quiet look."""

from __future__ import annotations

import matplotlib as mpl
from matplotlib import font_manager

CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
    "Microsoft YaHei", "PingFang SC", "SimHei",
)


def available_cjk_fonts() -> list[str]:
    """The Chinese-capable fonts matplotlib can find here (first is used)."""
    have = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in CJK_FONTS if name in have]


def use_page_style() -> None:
    """Chinese-capable sans-serif fonts first, DejaVu as the fallback for the rest."""
    fonts = available_cjk_fonts()
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [*fonts, "DejaVu Sans"]
    mpl.rcParams["axes.unicode_minus"] = False
    mpl.rcParams["axes.spines.top"] = False
    mpl.rcParams["axes.spines.right"] = False
    mpl.rcParams["figure.dpi"] = 100
