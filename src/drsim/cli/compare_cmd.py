"""``drsim compare``: several DR designs on the same traffic, and what each difference is worth.

Usage::

    drsim compare A.yaml B.yaml [C.yaml ...] [--reps N] [--jobs N | --scheduler ADDR]
                  [--set PATH=VALUE ...] [--json] [-o DIR] [--quiet] [--no-charts]

Every design runs replications ``0 … N−1`` with the same seeds (common random
numbers, see :mod:`drsim.experiment.compare`). Prints each metric per design
(mean and 95 % CI) and the paired difference of every later design against the
first one, or with ``--json`` exactly one JSON object on stdout. Writes
``DIR`` (default ``results/compare/<UTC timestamp>/``): ``compare.json`` (the
same object), ``compare.parquet``/``compare.csv`` (one row per design ×
replication) and ``compare.png`` (bars with CI whiskers).

Exit codes: 0 every run succeeded; 1 some runs failed (reported, left out of
the estimates); 2 bad input — a one-line message, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from drsim.experiment.errors import SweepError
from drsim.report.formatting import metric_kind, terminal_value


def _fail(message: str) -> None:
    click.echo(f"drsim compare: {message}", err=True)
    sys.exit(2)


def _estimate(entry: Mapping[str, Any], kind: str, signed: bool = False) -> str:
    def fmt(x: Any) -> str:
        text = terminal_value(x, kind)
        if signed and x is not None and text != "–" and float(x) > 0:
            return "+" + text
        return text

    lo, hi = (list(entry.get("ci95") or [None, None]) + [None, None])[:2]
    if lo is None or hi is None:
        return fmt(entry.get("mean"))
    return f"{fmt(entry.get('mean'))} [{fmt(lo)}, {fmt(hi)}]"


def comparison_text(data: Mapping[str, Any]) -> str:
    """A readable table of a comparison's JSON object: metrics × designs, then differences."""
    designs = data["designs"]
    names = list(designs[0]["metrics"]) if designs else []
    header = ["metric"] + [d["name"] for d in designs]
    for diff in data["differences"]:
        header.append(f"Δ {diff['design']} − {diff['versus']}")
    rows = [header]
    for metric in names:
        kind = metric_kind(metric)
        row = [metric] + [_estimate(d["metrics"].get(metric, {}), kind) for d in designs]
        row += [_estimate(diff["metrics"].get(metric, {}), kind, signed=True)
                for diff in data["differences"]]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        f"Comparison on the same traffic (common random numbers), {data['replications']} "
        f"replications; mean [95 % CI]; Δ = paired difference with its 95 % CI",
        "",
    ]
    for i, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) if j == 0 else cell.rjust(w)
                               for j, (cell, w) in enumerate(zip(row, widths, strict=True))))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    for failure in data.get("failures", []):
        first = (failure["error"] or "").splitlines()[0] if failure["error"] else ""
        lines.append(f"failed: {failure['design']} replication {failure['replication']}: {first}")
    return "\n".join(lines)


@click.command("compare")
@click.argument("scenarios", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reps", type=click.IntRange(1, 10_000), default=None,
              help="Replications per design [default: the first design's run.replications].")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Local worker processes; 1 runs in this process [default: all cores].")
@click.option("--scheduler", metavar="ADDR", default=None,
              help="Run on a Dask cluster: scheduler address tcp://HOST:PORT.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a value in every design (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output directory [default: results/compare/<timestamp>/].")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--no-charts", is_flag=True, help="Do not render the bar chart.")
def compare_command(
    scenarios: Sequence[Path],
    reps: int | None,
    jobs: int | None,
    scheduler: str | None,
    overrides: tuple[str, ...],
    as_json: bool,
    output_dir: Path | None,
    quiet: bool,
    no_charts: bool,
) -> None:
    """Compare DR designs on identical traffic; the first file is the baseline."""
    from drsim.experiment.compare import load_designs, run_compare, write_compare
    from drsim.experiment.jsondata import json_text, jsonable
    from drsim.report.chart_files import write_compare_chart

    if jobs is not None and scheduler is not None:
        _fail("give either --jobs or --scheduler, not both")
    try:
        designs = load_designs(list(scenarios), overrides)
        comparison = run_compare(designs, reps, jobs=jobs, scheduler=scheduler,
                                 progress=not quiet and sys.stderr.isatty())
    except SweepError as exc:
        _fail(str(exc))
        return
    for warning in comparison.warnings:
        click.echo(f"drsim compare: warning: {warning}", err=True)
    directory = output_dir or Path("results") / "compare" / datetime.now(UTC).strftime(
        "%Y%m%dT%H%M%SZ")
    try:
        write_compare(comparison, directory)
        if not no_charts:
            write_compare_chart(comparison, directory)
    except OSError as exc:
        click.echo(f"drsim compare: cannot write results to {directory}: {exc}", err=True)
        sys.exit(1)
    data = jsonable(comparison.to_json())
    if as_json:
        click.echo(json_text(data, indent=None))
    else:
        click.echo(comparison_text(data))
        click.echo(f"results in {directory}/", err=True)
    if data["failures"]:
        click.echo(f"drsim compare: {len(data['failures'])} runs failed and are left out of "
                   "the estimates", err=True)
        sys.exit(1)


COMMANDS = (compare_command,)
"""Registered in the ``drsim`` group by :mod:`drsim.cli`."""

if __name__ == "__main__":  # pragma: no cover
    compare_command()
