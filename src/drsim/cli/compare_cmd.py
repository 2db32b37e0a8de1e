"""``drsim compare``: several DR designs on the same traffic, and what each difference is worth.

Usage::

    drsim compare A.yaml B.yaml [C.yaml ...] [--reps N] [--jobs N | --scheduler ADDR]
                  [--set PATH=VALUE ...] [--same-workload FILE] [--all] [--json]
                  [-o DIR] [--quiet] [--no-charts]

Every design runs replications ``0 … N−1`` with the same seeds (common random
numbers, see :mod:`drsim.experiment.compare`). Prints every design setting
that differs, each metric per design (mean and 95 % CI; metrics zero in every
design hidden unless ``--all``) and the paired difference of every later
design against the first one, in 100 columns (:mod:`drsim.cli.compare_text`),
or with ``--json`` exactly one JSON object on stdout. When the designs'
workloads differ (users, clients, traffic, attackers, faults, run) a warning
on stderr names the keys; ``--same-workload FILE`` runs every design on FILE's
workload. Writes ``DIR`` (default ``results/compare/<UTC timestamp>/``):
``compare.json`` (the same object, with the settings that differ, the
warnings and the command that reproduces it), ``compare.parquet``/``.csv``
(one row per design × replication), ``designs/<name>.yaml`` (each design as
run) and ``compare.png`` (bars with CI whiskers).

Exit codes: 0 every run succeeded; 1 some runs failed (reported, left out of
the estimates); 2 bad input — ``FILE:LINE: key: message`` lines, never a
traceback.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import click

from drsim.cli.common import EXIT_BAD_INPUT, report_scenario_error
from drsim.cli.compare_text import WIDTH, comparison_text
from drsim.experiment.errors import SweepError


def _fail(message: str) -> None:
    click.echo(f"drsim compare: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _warn(message: str) -> None:
    click.echo(textwrap.fill(f"drsim compare: warning: {message}", WIDTH,
                             subsequent_indent="  "), err=True)


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
@click.option("--same-workload", metavar="FILE", default=None,
              help="Run every design on the workload (users, clients, traffic, attackers, "
              "faults, run) of FILE, a scenario file or shipped name, so that the differences "
              "measure the designs only.")
@click.option("--all", "show_all", is_flag=True,
              help="Also show metrics that are zero or undefined in every design.")
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
    same_workload: str | None,
    show_all: bool,
    as_json: bool,
    output_dir: Path | None,
    quiet: bool,
    no_charts: bool,
) -> None:
    """Compare DR designs run on the same replications; the first file is the baseline.

    Lists every design setting that differs and warns when the workloads differ
    too (--same-workload FILE gives every design the same one)."""
    from drsim.experiment.compare import (
        apply_workload,
        load_designs,
        reproduce_command,
        run_compare,
        write_compare,
    )
    from drsim.experiment.jsondata import json_text, jsonable
    from drsim.report.chart_files import write_compare_chart
    from drsim.scenario import ScenarioError

    if jobs is not None and scheduler is not None:
        _fail("give either --jobs or --scheduler, not both")
    try:
        designs = load_designs(list(scenarios), overrides)
        if same_workload is not None:
            designs = apply_workload(designs, same_workload, overrides)
        command = reproduce_command(designs, list(scenarios), overrides, same_workload,
                                    reps or designs[0].scenario.run.replications)
        comparison = run_compare(designs, reps, jobs=jobs, scheduler=scheduler,
                                 progress=not quiet and sys.stderr.isatty(),
                                 command=command, same_workload=same_workload)
    except ScenarioError as exc:
        report_scenario_error(exc)
        sys.exit(EXIT_BAD_INPUT)
    except SweepError as exc:
        _fail(str(exc))
        return
    for warning in comparison.warnings:
        _warn(warning)
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
        click.echo(comparison_text(data, show_all))
        click.echo(f"results in {directory}/", err=True)
    if data["failures"]:
        click.echo(f"drsim compare: {len(data['failures'])} runs failed and are left out of "
                   "the estimates", err=True)
        sys.exit(1)


COMMANDS = (compare_command,)
"""Registered in the ``drsim`` group by :mod:`drsim.cli`."""

if __name__ == "__main__":  # pragma: no cover
    compare_command()
