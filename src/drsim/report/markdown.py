"""The report as Markdown with its charts as PNG files beside it, for wikis.

``report.md`` references ``report_<chart>.png`` files written in the same
directory, so the pair can be copied into a wiki page or a repository as is.
Text is escaped where Markdown would misread it (``|`` in tables, leading
``#``/``-``, ``*``, ``_``).
"""

from __future__ import annotations

import re
from pathlib import Path

from drsim.report.document import (
    Bullets,
    Facts,
    Headlines,
    Image,
    Paragraph,
    Report,
    Table,
)

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|])")


def md_text(text: str) -> str:
    """Escape Markdown's special characters in plain text."""
    return _SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def image_name(stem: str, key: str) -> str:
    """File name of a chart beside the Markdown file: ``report_signin_success.png``."""
    return f"{stem}_{key}.png"


def _block(block: object, stem: str) -> str:
    if isinstance(block, Paragraph):
        text = md_text(block.text)
        if block.style == "lead":
            return f"**{text}**"
        if block.style == "warning":
            return f"> **Warning:** {text}"
        if block.style == "note":
            return f"*{text}*"
        return text
    if isinstance(block, Bullets):
        return "\n".join(f"- {md_text(item)}" for item in block.items)
    if isinstance(block, Facts):
        return "\n".join(f"- **{md_text(k)}:** {md_text(v)}" for k, v in block.items)
    if isinstance(block, Headlines):
        lines = []
        for h in block.items:
            ci = f" ({md_text(h.ci)})" if h.ci else ""
            lines.append(f"- **{md_text(h.label)}: {md_text(h.value)}**{ci} — {md_text(h.reading)}")
        return "\n".join(lines)
    if isinstance(block, Table):
        out = []
        if block.caption:
            out.append(f"*{md_text(block.caption)}*\n")
        out.append("| " + " | ".join(md_text(h) for h in block.header) + " |")
        out.append("| " + " | ".join("---:" if i in block.numeric else "---"
                                     for i in range(len(block.header))) + " |")
        for row in block.rows:
            out.append("| " + " | ".join(md_text(c) for c in row) + " |")
        return "\n".join(out)
    if isinstance(block, Image):
        alt = block.alt.replace("]", ")").replace("[", "(")
        text = f"![{alt}]({image_name(stem, block.key)})"
        if block.caption:
            text += f"\n\n*{md_text(block.caption)}*"
        return text
    raise TypeError(f"unknown report block {type(block).__name__}")


def render_markdown(report: Report, stem: str) -> str:
    """The report as Markdown text; images are referenced as ``<stem>_<key>.png``.

    Args:
        report: The report.
        stem: File stem of the Markdown file (the image names derive from it).

    Returns:
        The Markdown text.
    """
    parts = [f"# {md_text(report.title)}"]
    parts += [md_text(s) for s in report.subtitle]
    for section in report.sections:
        parts.append(f"## {md_text(section.title)}")
        parts += [_block(b, stem) for b in section.blocks]
    if report.footer:
        parts.append("---\n\n" + f"*{md_text(report.footer)}*")
    return "\n\n".join(parts) + "\n"


def write_markdown(report: Report, path: Path) -> list[Path]:
    """Write ``path`` (Markdown) and its PNGs beside it, atomically; returns every file written."""
    from drsim.experiment.atomic import write_bytes, write_text

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for img in report.images():
        target = path.parent / image_name(path.stem, img.key)
        write_bytes(target, img.png)
        written.append(target)
    write_text(path, render_markdown(report, path.stem))
    written.append(path)
    return written
