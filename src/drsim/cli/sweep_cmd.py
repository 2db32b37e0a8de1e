"""``drsim sweep``: simulate one DR design at many parameter points and tabulate the answers.

Usage::

    drsim sweep SCENARIO --param PATH=V1,V2,... [--param ...] [--zip]
                         [--sample lhs:N --range PATH=LO..HI ...] [--reps N]
                         [--jobs N | --scheduler tcp://HOST:PORT] [-o DIR] [--resume]
                         [--set PATH=VALUE ...] [--quiet] [--no-charts]
    drsim sweep --resume -o DIR          # resume from DIR/sweep.yaml alone

Examples::

    drsim sweep scenarios/cognito-active-passive.yaml --param dns.ttl=20s,60s,300s --reps 10
    drsim sweep scenarios/cognito-active-passive.yaml --param dns.ttl=20s,60s \\
        --param health_check.interval=10s,30s -o results/ttl-x-interval
    drsim sweep scenarios/cognito-active-passive.yaml --sample lhs:40 \\
        --range dns.ttl=10s..300s --range failover.promotion_time=10s..5m

Writes ``DIR`` (default ``results/<scenario>/sweep-<UTC timestamp>/``): see
:mod:`drsim.experiment.store`. Each run is saved as it finishes; re-running the
same command into the same ``DIR`` (or ``--resume``) skips finished runs and
retries failed ones.

One sweep at a time writes a directory: a second ``drsim sweep -o DIR`` (or
``--resume``) while another is running there is refused, naming the running
one (PID, host, start time); a lock left by a killed sweep on this host is
taken over with a warning (see :mod:`drsim.experiment.lock`).

Exit codes: 0 every run succeeded; 1 some runs failed (recorded in the
tables); 2 bad input (scenario, ``--set``, parameter, range, directory) or a
directory in use by another sweep — a one-line message, never a traceback;
130 interrupted (finished runs are kept).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from drsim.experiment.errors import SweepError


def _fail(message: str) -> None:
    click.echo(f"drsim sweep: {message}", err=True)
    sys.exit(2)


def _build_request(
    scenario: Path | None,
    params: tuple[str, ...],
    zip_: bool,
    sample: str | None,
    ranges: tuple[str, ...],
    reps: int | None,
    sets: tuple[str, ...],
    output_dir: Path | None,
    resume: bool,
):  # noqa: ANN202 - SweepRequest
    from drsim.experiment.design import SweepDesign, parse_param, parse_range, parse_sample
    from drsim.experiment.store import SweepStore
    from drsim.experiment.sweep import SweepRequest, request_from_definition

    if resume and not params and sample is None and not ranges:
        if output_dir is None:
            raise SweepError("--resume needs -o DIR (the sweep to resume)")
        document = SweepStore(output_dir).read_definition()
        if document is None:
            raise SweepError(f"--resume: {output_dir} holds no sweep (sweep.yaml not found)")
        if sets:
            raise SweepError("--resume without --param takes the definition from sweep.yaml; "
                             "do not give --set")
        return request_from_definition(document, reps)
    if scenario is None:
        raise SweepError("missing the SCENARIO file (only `--resume -o DIR` may omit it)")
    design = SweepDesign(
        params=tuple(parse_param(p) for p in params),
        zip=zip_,
        sample=None if sample is None else parse_sample(sample),
        ranges=tuple(parse_range(r) for r in ranges),
    )
    return SweepRequest(scenario=scenario, design=design, sets=tuple(sets), replications=reps)


@click.command("sweep")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--param", "params", multiple=True, metavar="PATH=V1,V2,...",
              help="A parameter and its values (repeatable): full-factorial grid.")
@click.option("--zip", "zip_", is_flag=True,
              help="Zip the --param lists (i-th values together) instead of the grid.")
@click.option("--sample", metavar="lhs:N", default=None,
              help="Latin hypercube of N points over the --range parameters.")
@click.option("--range", "ranges", multiple=True, metavar="PATH=LO..HI",
              help="A sampled parameter and its range, with units (repeatable).")
@click.option("--reps", type=click.IntRange(1, 10_000), default=None,
              help="Replications per point [default: the scenario's run.replications].")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Local worker processes; 1 runs in this process [default: all cores].")
@click.option("--scheduler", metavar="ADDR", default=None,
              help="Run on a Dask cluster: scheduler address tcp://HOST:PORT.")
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Sweep directory [default: results/<scenario>/sweep-<timestamp>/].")
@click.option("--resume", is_flag=True,
              help="Resume the sweep in -o DIR (finished runs are skipped, failed ones retried).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario value for every point (repeatable).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--no-charts", is_flag=True, help="Do not render the PNG charts.")
def sweep_command(
    scenario: Path | None,
    params: tuple[str, ...],
    zip_: bool,
    sample: str | None,
    ranges: tuple[str, ...],
    reps: int | None,
    jobs: int | None,
    scheduler: str | None,
    output_dir: Path | None,
    resume: bool,
    overrides: tuple[str, ...],
    quiet: bool,
    no_charts: bool,
) -> None:
    """Simulate SCENARIO at every point of a parameter sweep (grid, zip or Latin hypercube)."""
    from drsim.experiment.sweep import plan_sweep, run_sweep
    from drsim.report.chart_files import write_sweep_charts

    if jobs is not None and scheduler is not None:
        _fail("give either --jobs or --scheduler, not both")
    try:
        request = _build_request(scenario, params, zip_, sample, ranges, reps, overrides,
                                 output_dir, resume)
        plan = plan_sweep(request)
        directory = output_dir or Path("results") / plan.base.name / (
            "sweep-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        )
        outcome = run_sweep(
            plan,
            directory,
            jobs=jobs,
            scheduler=scheduler,
            resume=resume,
            progress=not quiet and sys.stderr.isatty(),
            warn=lambda message: click.echo(f"drsim sweep: warning: {message}", err=True),
        )
        if not no_charts:
            outcome.charts = write_sweep_charts(outcome, plan.request.design.kinds)
    except SweepError as exc:
        _fail(str(exc))
        return
    except OSError as exc:
        _fail(f"{getattr(exc, 'filename', None) or ''}: {exc.strerror or exc}".lstrip(": "))
        return
    click.echo(outcome.final_line())
    if outcome.interrupted:
        click.echo(f"interrupted; finished runs are kept in {outcome.directory}/ "
                   f"(resume: drsim sweep --resume -o {outcome.directory})", err=True)
        sys.exit(130)
    click.echo(f"results in {outcome.directory}/", err=True)
    failed_now = int((outcome.summary["status"] != "ok").sum()) if len(outcome.summary) else 0
    if failed_now:
        click.echo(f"drsim sweep: {failed_now} runs failed (see the error column of "
                   f"{outcome.directory / 'summary.csv'}); re-run with --resume to retry them",
                   err=True)
        sys.exit(1)


COMMANDS = (sweep_command,)
"""Registered in the ``drsim`` group by :mod:`drsim.cli`."""

if __name__ == "__main__":  # pragma: no cover
    sweep_command()
