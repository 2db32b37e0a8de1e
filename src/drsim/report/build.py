"""Build and write the design-review report of a ``drsim`` output directory.

:func:`build_report` reads a run, comparison or sweep directory
(:mod:`drsim.report.sources`) and assembles the report
(:mod:`drsim.report.build_run`, :mod:`~drsim.report.build_compare`,
:mod:`~drsim.report.build_sweep`); :func:`write_report` renders it as one
self-contained HTML file or as Markdown with PNGs beside it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from drsim.report.document import Report
from drsim.report.errors import ReportError
from drsim.report.targets import Target, parse_targets

FORMATS = ("html", "md")


def build_report(directory: str | os.PathLike[str],
                 targets: str | Sequence[Target] | None = None) -> Report:
    """The report of a run, comparison or sweep directory.

    Args:
        directory: The output directory of ``drsim run``, ``compare`` or ``sweep``.
        targets: Conditions such as ``"failed_logins<1000,rto_s<300"`` (or parsed
            :class:`~drsim.report.targets.Target` objects).

    Returns:
        The report, ready to render.

    Raises:
        ReportError: Not a drsim output directory, unreadable files, or a bad target.
    """
    from drsim.report.sources import read_source

    parsed = parse_targets(targets) if isinstance(targets, str) or targets is None else list(
        targets)
    source = read_source(Path(directory))
    if source.kind == "sweep":
        from drsim.report.build_sweep import build_sweep_report

        return build_sweep_report(source, parsed)
    if source.kind == "compare":
        from drsim.report.build_compare import build_compare_report

        return build_compare_report(source, parsed)
    from drsim.report.build_run import build_run_report

    return build_run_report(source, parsed)


def default_output(directory: str | os.PathLike[str], fmt: str = "html") -> Path:
    """``DIR/report.html`` (or ``report.md``)."""
    return Path(directory) / f"report.{fmt}"


def format_of(output: str | os.PathLike[str] | None, fmt: str | None) -> str:
    """The output format: as given, else from the output's suffix (``.md`` → md), else html.

    Raises:
        ReportError: An unknown format, or one that contradicts the file's suffix.
    """
    suffix = Path(output).suffix.lower().lstrip(".") if output is not None else ""
    from_suffix = {"md": "md", "markdown": "md", "html": "html", "htm": "html"}.get(suffix)
    if fmt is None:
        return from_suffix or "html"
    if fmt not in FORMATS:
        raise ReportError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if from_suffix is not None and from_suffix != fmt:
        raise ReportError(f"-o {output}: a .{suffix} file for --format {fmt}; use a "
                          f".{'md' if fmt == 'md' else 'html'} file name")
    return fmt


def write_report(directory: str | os.PathLike[str],
                 output: str | os.PathLike[str] | None = None,
                 fmt: str | None = None,
                 targets: str | Sequence[Target] | None = None) -> list[Path]:
    """Build the report of ``directory`` and write it.

    Args:
        directory: The output directory of ``drsim run``, ``compare`` or ``sweep``.
        output: The file to write (default ``DIR/report.html`` or ``DIR/report.md``).
        fmt: ``html`` (one self-contained file) or ``md`` (Markdown, PNGs beside
            it); default from the output's suffix, else html.
        targets: Conditions such as ``"failed_logins<1000,rto_s<300"``.

    Returns:
        Every file written; the report itself is the last one.

    Raises:
        ReportError: Bad directory, format or target.
    """
    fmt = format_of(output, fmt)
    report = build_report(directory, targets)
    path = Path(output) if output is not None else default_output(directory, fmt)
    if path.is_dir():
        raise ReportError(f"-o {path}: is a directory; give a file name such as "
                          f"{path / ('report.' + fmt)}")
    if fmt == "md":
        from drsim.report.markdown import write_markdown

        return write_markdown(report, path)
    from drsim.experiment.atomic import write_text
    from drsim.report.html import render_html

    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, render_html(report))
    return [path]
