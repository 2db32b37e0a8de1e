"""``drsim report``: the design-review report of a run, comparison or sweep, as one file.

Usage::

    drsim report DIR [-o FILE.html] [--format html|md] [--target "failed_logins<1000,rto_s<300"]

``DIR`` is the output directory of ``drsim run``, ``drsim compare`` or
``drsim sweep`` (detected from its files). Writes one self-contained HTML
file (charts embedded, inline style, no script, nothing fetched) — default
``DIR/report.html`` — or, with ``--format md`` (or an ``.md`` output name),
Markdown with the charts as PNG files beside it.

``--target`` lists the settings (sweep points, designs, or the run) that meet
every condition, on the mean and with 95 % confidence. The comparison is exact
at the boundary: the value as the results write it against the threshold as
written (``availability>=99.9%`` is met by 999 of 1000; see
:mod:`drsim.report.targets`).

Exit codes: 0 written; 2 bad input (not a drsim output directory, bad
``--target`` or ``--format``) — a one-line message, never a traceback; 1 the
file could not be written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from drsim.cli.common import EXIT_BAD_INPUT


@click.command("report")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Report file [default: DIR/report.html, or DIR/report.md with --format md].")
@click.option("--format", "fmt", type=click.Choice(["html", "md"]), default=None,
              help="html: one self-contained file; md: Markdown with PNGs beside it "
                   "[default: from the -o suffix, else html].")
@click.option("--target", metavar="CONDITIONS", default=None,
              help='Conditions to meet, e.g. "failed_logins<1000,rto_s<300" (also <=, >, >=; '
                   "values may carry units: rto_s<5m).")
def report_command(directory: Path, output: Path | None, fmt: str | None,
                   target: str | None) -> None:
    """Write the design-review report of DIR (a run, compare or sweep output directory)."""
    from drsim.report.build import write_report
    from drsim.report.errors import ReportError

    try:
        written = write_report(directory, output, fmt, target)
    except ReportError as exc:
        click.echo(f"drsim report: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except OSError as exc:
        click.echo(f"drsim report: cannot write the report: {exc}", err=True)
        sys.exit(1)
    extra = len(written) - 1
    click.echo(f"report written to {written[-1]}"
               + (f" (and {extra} chart{'s' if extra != 1 else ''} beside it)" if extra else ""))


COMMANDS = (report_command,)
"""Registered in the ``drsim`` group by :mod:`drsim.cli`."""
