"""Matplotlib settings for the page: fonts with Chinese glyphs, a quiet look.

Matplotlib caches the fonts it found (``fontlist-*.json`` in its config folder). A cache
built before ``fonts-noto-cjk`` was installed knows no Chinese font, and every Chinese
label then shows as boxes without a word of warning. :func:`ensure_cjk_font` notices
that at start (no CJK font known, but one is on disk), rebuilds the cache once and says
so in the server's log; with no CJK font anywhere it logs how to install one.
"""

from __future__ import annotations

import glob
import logging
import os

import matplotlib as mpl
from matplotlib import font_manager

log = logging.getLogger("govsim.viz")

CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
    "Microsoft YaHei", "PingFang SC", "SimHei",
)
# Where Debian / macOS / Windows keep CJK fonts (only used to tell a stale cache apart
# from a machine without Chinese fonts).
CJK_FILE_GLOBS: tuple[str, ...] = (
    "/usr/share/fonts/**/*CJK*", "/usr/share/fonts/**/wqy*", "/usr/local/share/fonts/**/*CJK*",
    os.path.expanduser("~/.local/share/fonts/**/*CJK*"), "/Library/Fonts/*Han*",
    "/System/Library/Fonts/PingFang*", "C:/Windows/Fonts/msyh*",
)


def available_cjk_fonts() -> list[str]:
    """The Chinese-capable fonts matplotlib can find here (first is used)."""
    have = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in CJK_FONTS if name in have]


def cjk_font_files() -> list[str]:
    """CJK font files on disk, whatever matplotlib's cache says."""
    found: list[str] = []
    for pattern in CJK_FILE_GLOBS:
        found.extend(glob.glob(pattern, recursive=True))
    return sorted(found)


def ensure_cjk_font() -> str:
    """Make sure matplotlib knows a Chinese font; returns what was done:
    ``"ok"``, ``"rebuilt"`` (a stale cache was rebuilt) or ``"missing"``."""
    if available_cjk_fonts():
        return "ok"
    if cjk_font_files():
        # The cache predates the fonts: rebuild it (this also rewrites the cache file).
        font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
        if available_cjk_fonts():
            log.warning("govsim viz: matplotlib's font cache had no Chinese font; rebuilt it "
                        "(found %s)", available_cjk_fonts()[0])
            return "rebuilt"
    log.warning("govsim viz: no Chinese font found; Chinese labels in the pictures will show "
                "as boxes (Debian: apt-get install fonts-noto-cjk)")
    return "missing"


def use_page_style() -> str:
    """Chinese-capable sans-serif fonts first, DejaVu as the fallback for the rest.
    Returns what :func:`ensure_cjk_font` did."""
    status = ensure_cjk_font()
    fonts = available_cjk_fonts()
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [*fonts, "DejaVu Sans"]
    mpl.rcParams["axes.unicode_minus"] = False
    mpl.rcParams["axes.spines.top"] = False
    mpl.rcParams["axes.spines.right"] = False
    mpl.rcParams["figure.dpi"] = 100
    return status
