"""The report as one self-contained HTML file: mail it, attach it, open it offline.

Everything is inside the file: charts are PNG ``data:`` URIs, the style sheet
is inline, there is no script and no link to anything outside. A
Content-Security-Policy meta tag says so to the browser as well
(``default-src 'none'``), so even a mistake could not fetch anything. The
style is sober and prints well in grey scale.
"""

from __future__ import annotations

import base64
from html import escape

from drsim.report.document import (
    Bullets,
    Facts,
    Headlines,
    Image,
    Paragraph,
    Report,
    Section,
    Table,
)

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #ffffff; color: #1a1a1a;
  font: 15px/1.5 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; }
header { border-bottom: 3px solid #1a1a1a; margin-bottom: 18px; padding-bottom: 10px; }
h1 { font-size: 26px; margin: 0 0 6px; }
h2 { font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #b0b0b0; }
.subtitle { margin: 2px 0; color: #404040; }
nav { font-size: 13px; margin: 8px 0 0; color: #404040; }
nav a { color: #1a1a1a; margin-right: 12px; }
p { margin: 8px 0; }
p.lead { font-size: 18px; font-weight: bold; }
p.note { color: #505050; font-size: 13px; }
p.warning { border-left: 4px solid #1a1a1a; padding: 6px 10px; background: #f0f0f0; }
dl.facts { display: grid; grid-template-columns: 180px 1fr; gap: 4px 16px; margin: 8px 0; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
ul.headlines { list-style: none; padding: 0; margin: 8px 0; }
ul.headlines li { display: grid; grid-template-columns: 250px 1fr; gap: 0 18px;
  padding: 8px 0; border-bottom: 1px solid #e0e0e0; }
.value { font-size: 20px; font-weight: bold; }
.label { font-size: 13px; color: #404040; }
.ci { font-size: 12px; color: #505050; }
table { border-collapse: collapse; margin: 10px 0; font-size: 13px; width: auto; }
caption { caption-side: top; text-align: left; font-size: 13px; color: #404040; padding: 4px 0; }
th, td { border: 1px solid #b0b0b0; padding: 4px 8px; vertical-align: top; }
th { background: #e8e8e8; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child { white-space: nowrap; }
.scroll { overflow-x: auto; }
figure { margin: 16px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #d0d0d0; }
figcaption { font-size: 13px; color: #404040; margin-top: 4px; }
footer { margin-top: 40px; border-top: 1px solid #b0b0b0; padding-top: 8px;
  font-size: 12px; color: #505050; }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; }
  figure, table { break-inside: avoid; } }
"""


def _text(value: str) -> str:
    return escape(value, quote=True)


def _number(value: str) -> str:
    """A numeric cell: a line may break only before an interval, never inside ``7 min``."""
    kept = value.replace(" ", "\u00a0").replace("\u00a0(", " (").replace("\u00a0to\u00a0", " to ")
    return _text(kept)


def _block(block: object) -> str:
    if isinstance(block, Paragraph):
        cls = f' class="{_text(block.style)}"' if block.style else ""
        return f"<p{cls}>{_text(block.text)}</p>"
    if isinstance(block, Bullets):
        items = "".join(f"<li>{_text(item)}</li>" for item in block.items)
        return f"<ul>{items}</ul>"
    if isinstance(block, Facts):
        items = "".join(f"<dt>{_text(k)}</dt><dd>{_text(v)}</dd>" for k, v in block.items)
        return f'<dl class="facts">{items}</dl>'
    if isinstance(block, Headlines):
        rows = []
        for h in block.items:
            ci = f'<div class="ci">{_text(h.ci)}</div>' if h.ci else ""
            rows.append(
                f'<li><div><div class="label">{_text(h.label)}</div>'
                f'<div class="value">{_text(h.value)}</div>{ci}</div>'
                f"<div>{_text(h.reading)}</div></li>"
            )
        return f'<ul class="headlines">{"".join(rows)}</ul>'
    if isinstance(block, Table):
        caption = f"<caption>{_text(block.caption)}</caption>" if block.caption else ""
        head = "".join(f'<th scope="col">{_text(h)}</th>' for h in block.header)
        body = []
        for row in block.rows:
            cells = "".join(
                f'<td class="num">{_number(c)}</td>' if i in block.numeric
                else f"<td>{_text(c)}</td>"
                for i, c in enumerate(row)
            )
            body.append(f"<tr>{cells}</tr>")
        return (f'<div class="scroll"><table>{caption}<thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table></div>')
    if isinstance(block, Image):
        data = base64.b64encode(block.png).decode("ascii")
        caption = f"<figcaption>{_text(block.caption)}</figcaption>" if block.caption else ""
        return (f'<figure id="fig-{_text(block.key)}"><img src="data:image/png;base64,{data}" '
                f'alt="{_text(block.alt)}">{caption}</figure>')
    raise TypeError(f"unknown report block {type(block).__name__}")


def _section(section: Section) -> str:
    body = "\n".join(_block(b) for b in section.blocks)
    return (f'<section id="{_text(section.anchor)}">\n<h2>{_text(section.title)}</h2>\n'
            f"{body}\n</section>")


def render_html(report: Report) -> str:
    """The whole report as one HTML5 document (UTF-8 text, no external resource).

    Args:
        report: The report to render.

    Returns:
        The HTML text.
    """
    subtitle = "".join(f'<p class="subtitle">{_text(s)}</p>' for s in report.subtitle)
    nav = " ".join(f'<a href="#{_text(s.anchor)}">{_text(s.title)}</a>' for s in report.sections)
    sections = "\n".join(_section(s) for s in report.sections)
    footer = f"<footer>{_text(report.footer)}</footer>" if report.footer else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="drsim report">\n'
        f"<title>{_text(report.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<header>\n<h1>{_text(report.title)}</h1>\n{subtitle}\n<nav>{nav}</nav>\n</header>\n"
        f"{sections}\n{footer}\n</main>\n</body>\n</html>\n"
    )
