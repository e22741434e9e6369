"""The report page: its blocks, rendered as self-contained HTML and as Markdown.

A report is built as a list of blocks (headings, paragraphs, bullet lists, tables,
figures) that is rendered twice: as one HTML file with the figures embedded (the jinja2
template ``templates/report.html.j2`` holds the markup and the style) and as its
Markdown twin, which links the PNG files in ``figures/``. The page is written into a
staging folder and moved into place, so a half-written report is never left behind.
Both the batch/sweep report and the planning pages are built with it.
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import jinja2
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class Figures:
    """Saves figures as PNG and SVG in ``figures/`` and keeps each PNG for embedding."""

    def __init__(self, out: Path) -> None:
        self.dir = out / "figures"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.embedded: dict[str, str] = {}  # name -> base64 PNG

    def save(self, fig: Figure, name: str) -> str:
        """Save ``fig`` under ``name``; returns the name, for :meth:`Page.figure`."""
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        (self.dir / f"{name}.png").write_bytes(buf.getvalue())
        fig.savefig(self.dir / f"{name}.svg", format="svg", bbox_inches="tight")
        self.embedded[name] = base64.b64encode(buf.getvalue()).decode("ascii")
        return name


@dataclass(frozen=True)
class Block:
    """One piece of the page; which fields are used depends on ``kind``."""

    kind: Literal["h2", "p", "bullets", "table", "figure"]
    text: str = ""  # heading, paragraph, or a figure's caption
    items: tuple[str, ...] = ()  # bullets
    columns: tuple[str, ...] = ()  # table header
    rows: tuple[tuple[str, ...], ...] = ()  # table cells, as shown
    name: str = ""  # figure name (figures/<name>.png and .svg)
    png: str = ""  # figure, base64


class Page:
    """A report page built block by block, rendered as HTML and as Markdown."""

    def __init__(self, title: str, figures: Figures) -> None:
        self.title = title
        self.figures = figures
        self.blocks: list[Block] = []

    def h2(self, text: str) -> None:
        self.blocks.append(Block("h2", text=text))

    def p(self, text: str) -> None:
        self.blocks.append(Block("p", text=text))

    def bullets(self, items: Sequence[str]) -> None:
        if items:  # an empty list leaves no trace on the page
            self.blocks.append(Block("bullets", items=tuple(items)))

    def table(self, df: pd.DataFrame) -> None:
        self.blocks.append(Block(
            "table", columns=tuple(str(c) for c in df.columns),
            rows=tuple(tuple(str(v) for v in row) for row in df.itertuples(index=False))))

    def figure(self, name: str, alt: str) -> None:
        """A figure saved by :meth:`Figures.save`, with ``alt`` as its caption."""
        self.blocks.append(Block("figure", text=alt, name=name,
                                 png=self.figures.embedded[name]))

    def render_html(self) -> str:
        return _template().render(title=self.title, blocks=self.blocks)

    def render_md(self) -> str:
        md = [f"# {self.title}", ""]
        for b in self.blocks:
            if b.kind == "h2":
                md += [f"## {b.text}", ""]
            elif b.kind == "p":
                md += [b.text, ""]
            elif b.kind == "bullets":
                md += [f"- {i}" for i in b.items] + [""]
            elif b.kind == "table":
                md += [_md_table(b.columns, b.rows), ""]
            else:
                md += [f"![{b.text}](figures/{b.name}.png)", ""]
        return "\n".join(md).rstrip() + "\n"

    def write(self, folder: Path) -> None:
        """Write ``report.html`` and ``report.md`` into ``folder``."""
        (folder / "report.html").write_text(self.render_html(), encoding="utf-8")
        (folder / "report.md").write_text(self.render_md(), encoding="utf-8")


def _md_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(v.replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)


@functools.cache
def _template() -> jinja2.Template:
    # Autoescape: every text on the page comes from data (scenario names, descriptions).
    env = jinja2.Environment(loader=jinja2.PackageLoader("sim.experiments", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.get_template("report.html.j2")


