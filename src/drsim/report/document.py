"""The report as a document: sections of paragraphs, readings, tables and figures.

A design-review report is built once, as data (:class:`Report`), and written
out by a renderer — self-contained HTML (:mod:`drsim.report.html`) or
Markdown with PNGs beside it (:mod:`drsim.report.markdown`) — so that both
say exactly the same thing. Text is plain (renderers escape it); figures are
PNG bytes rendered from matplotlib figures at one resolution.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from matplotlib.figure import Figure as MplFigure

FIGURE_DPI = 100
"""Resolution of every chart in a report (pixels per inch)."""


@dataclass
class Paragraph:
    """A paragraph of plain text; ``style`` is ``""``, ``"lead"``, ``"note"`` or ``"warning"``."""

    text: str
    style: str = ""


@dataclass
class Bullets:
    """A bulleted list of plain-text items."""

    items: list[str]


@dataclass
class Facts:
    """Label → text pairs (the design in plain words)."""

    items: list[tuple[str, str]]


@dataclass
class Headline:
    """One headline metric: label, value, confidence interval and its one-line reading."""

    label: str
    value: str
    ci: str
    reading: str


@dataclass
class Headlines:
    """The headline metrics of a report."""

    items: list[Headline]


@dataclass
class Table:
    """A table of plain-text cells; ``numeric`` columns are right-aligned."""

    header: list[str]
    rows: list[list[str]]
    caption: str = ""
    numeric: frozenset[int] = frozenset()


@dataclass
class Image:
    """A chart: PNG bytes, a stable ``key`` (file stem), alternative text and a caption."""

    key: str
    png: bytes
    alt: str
    caption: str = ""


Block = Paragraph | Bullets | Facts | Headlines | Table | Image


@dataclass
class Section:
    """A titled section of blocks."""

    title: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return slug(self.title)


@dataclass
class Report:
    """A whole report: title, subtitle lines, sections and a footer."""

    title: str
    kind: str
    subtitle: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    footer: str = ""

    def images(self) -> list[Image]:
        """Every image, in document order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, Image)]


def slug(text: str) -> str:
    """``Headline metrics`` → ``headline-metrics`` (anchors and file names)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def png_bytes(figure: MplFigure, dpi: int = FIGURE_DPI) -> bytes:
    """Render a matplotlib figure to PNG bytes (white background), and release it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    figure.clear()
    return buffer.getvalue()


def image(key: str, figure: MplFigure, alt: str, caption: str = "") -> Image:
    """An :class:`Image` block from a matplotlib figure."""
    return Image(key=key, png=png_bytes(figure), alt=alt, caption=caption)
