"""The public Python API: load a DR scenario, run its replications, read the answers.

It mirrors ``drsim run`` for notebooks and scripts::

    import drsim
    scenario = drsim.load("scenarios/cognito-active-passive.yaml", ["users.population=2000"])
    out = drsim.run(scenario, reps=3, seed=7)
    print(out.summary["metrics"]["failed_logins"])     # mean, ci95, per_replication
    out.records(0).requests.groupby("outcome").size()  # pandas tables of replication 0

A run is a set of independent replications of one scenario (seeds spawned
from ``run.seed``); each replication's metrics are summarised as a mean with a
95 % confidence interval of the metric's kind (:mod:`drsim.metrics.confidence`).
Failed replications never raise: they are reported in :attr:`RunOutput.failed`
and in the saved manifest.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drsim.experiment import run as experiment_run
from drsim.experiment.run import run_replications, with_run_settings
from drsim.experiment.runner import RunResult
from drsim.scenario.schema import Scenario

__all__ = ["RunOutput", "compare", "load", "run", "sweep", "write_report"]


def load(path: str | os.PathLike[str], overrides: Iterable[str] = ()) -> Scenario:
    """Load and validate a scenario file.

    Args:
        path: A scenario YAML file (it may ``extends:`` another).
        overrides: ``"PATH=VALUE"`` strings, as ``--set`` on the command line,
            e.g. ``"dns.ttl=20s"`` or ``"users.population=2000"``.

    Returns:
        The frozen, validated :class:`~drsim.scenario.schema.Scenario`.

    Raises:
        drsim.scenario.ScenarioError: The file or an override is invalid; the
            message says ``FILE:LINE: key.path: expected …, got …``.
    """
    from drsim.scenario import load_scenario

    return load_scenario(path, list(overrides))


class RunOutput(experiment_run.RunOutput):
    """The result of running one scenario's replications, and how to save it.

    :class:`drsim.experiment.run.RunOutput` (``summary``, ``per_replication``,
    ``records(i)``, ``ok``, ``failed`` …) plus :meth:`save`, which writes the
    run directory with its charts — drawing charts is the report layer's job,
    so saving lives here, above it.
    """

    def save(self, directory: str | os.PathLike[str], charts: bool = True) -> Path:
        """Write the run directory (manifest, summary, records, timeline, charts).

        See :mod:`drsim.output` for the files. Returns the directory.
        """
        from drsim.report.chart_files import save_run  # matplotlib only when saving

        return save_run(self, directory, charts=charts)


def run(
    scenario: Scenario | str | os.PathLike[str],
    reps: int | None = None,
    seed: int | None = None,
    jobs: int | None = 1,
    keep_records: bool | str = True,
    progress: bool = False,
    *,
    on_result: Callable[[RunResult], None] | None = None,
    command: Sequence[str] | None = None,
) -> RunOutput:
    """Run a scenario's replications and summarise them.

    Args:
        scenario: A loaded scenario, or a path to a scenario file.
        reps: Number of replications (default ``run.replications``).
        seed: Root seed (default ``run.seed``); replication seeds are spawned
            from it, so the same scenario and seed give the same numbers.
        jobs: Worker processes (1 runs in this process; None: every usable
            core, at most one per replication). Workers are forked from this
            process when it runs no other thread, else started by a fork server
            (see :mod:`drsim.experiment.executors`): in a script, call ``run``
            under ``if __name__ == "__main__":`` (notebooks need nothing).
        keep_records: Keep every replication's record tables (``True``; memory:
            about 100 bytes per request), only replication 0's (``"first"``: what
            the charts and timeline use), or none (``False``).
        progress: Show a progress bar over replications on stderr.
        on_result: Called with each replication's result as it finishes
            (e.g. to report a failure at once).
        command: The command line, recorded in the manifest.

    Returns:
        A :class:`RunOutput`; failed replications are in ``.failed``, never raised
        (the same loop as ``sweep`` and ``compare``: :mod:`drsim.experiment.run`).
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    scenario = with_run_settings(scenario, reps, seed)
    return RunOutput.of(run_replications(scenario, jobs, keep_records, progress,
                                         on_result=on_result, command=command))


# --------------------------------------------------------------------------- experiments and reports


def compare(
    scenarios: Sequence[Scenario | str | os.PathLike[str]],
    reps: int | None = None,
    overrides: Iterable[str] = (),
    jobs: int | None = 1,
    directory: str | os.PathLike[str] | None = None,
    charts: bool = True,
    progress: bool = False,
) -> Any:
    """Run several designs on the same traffic and compare each with the first (the baseline).

    Replication *r* of every design uses the same seeds (common random
    numbers), so each difference comes with a paired 95 % CI
    (:mod:`drsim.experiment.compare`).

    Args:
        scenarios: Two or more designs: loaded scenarios, scenario files or
            shipped scenario names; the first is the baseline.
        reps: Replications per design (default: the baseline's ``run.replications``).
        overrides: ``"PATH=VALUE"`` overrides applied to every design given as a
            file or name (as ``drsim compare --set``).
        jobs: Worker processes (1: in this process; None: every usable core).
        directory: If given, write ``compare.json``, ``compare.parquet``/``.csv``
            and the chart there (what ``drsim compare -o DIR`` writes, so
            ``drsim report DIR`` works on it), and each design's resolved
            scenario as ``designs/<name>.yaml``.
        charts: Also write the bar chart (with ``directory``).
        progress: Show a progress bar on stderr.

    Returns:
        A :class:`~drsim.experiment.compare.Comparison`: ``.to_json()`` (the
        ``compare.json`` object), ``.estimates_table()`` (design, metric, mean,
        ci95_lo, ci95_hi), ``.differences()``, ``.runs_table()``.

    Raises:
        drsim.experiment.errors.SweepError: Fewer than two designs, a bad file
            or override, or bad ``reps``/``jobs``.
    """
    from drsim.experiment.compare import Design, run_compare, write_compare
    from drsim.experiment.errors import SweepError
    from drsim.scenario import ScenarioError, load_scenario, resolved_yaml

    items = list(scenarios)
    if len(items) < 2:
        raise SweepError("compare needs at least two designs (the first is the baseline)")
    overrides = list(overrides)
    designs: list[Design] = []
    seen: dict[str, int] = {}
    for item in items:
        if isinstance(item, Scenario):
            if overrides:
                raise SweepError(f"{item.name}: overrides apply to scenario files; load this "
                                 "design with drsim.load(..., overrides) instead")
            loaded, file = item, Path(item.name)
        else:
            try:
                loaded, file = load_scenario(item, overrides), Path(item)
            except ScenarioError as exc:
                raise SweepError("; ".join(str(exc).splitlines())) from None
            except OSError as exc:
                raise SweepError(f"{item}: cannot read the scenario: {exc.strerror or exc}") from None
        seen[loaded.name] = seen.get(loaded.name, 0) + 1
        label = loaded.name if seen[loaded.name] == 1 else f"{loaded.name}#{seen[loaded.name]}"
        designs.append(Design(label, file, loaded))
    comparison = run_compare(designs, reps, jobs=jobs, progress=progress)
    if directory is not None:
        from drsim.experiment import atomic

        out = Path(directory)
        write_compare(comparison, out)
        if charts:
            from drsim.report.chart_files import write_compare_chart

            write_compare_chart(comparison, out)
        for design in designs:  # the resolved designs, so a report describes what ran
            atomic.write_text(out / "designs" / f"{design.label}.yaml",
                              resolved_yaml(design.scenario))
    return comparison


def sweep(
    scenario: str | os.PathLike[str],
    params: dict[str, Sequence[Any] | str] | None = None,
    *,
    zip: bool = False,  # noqa: A002 - the CLI's --zip
    sample: int | None = None,
    ranges: dict[str, tuple[Any, Any]] | None = None,
    overrides: Iterable[str] = (),
    reps: int | None = None,
    jobs: int | None = 1,
    directory: str | os.PathLike[str] | None = None,
    resume: bool = False,
    charts: bool = True,
    progress: bool = False,
) -> Any:
    """Simulate one design at many parameter points (``drsim sweep`` as a function).

    Args:
        scenario: The base scenario file or shipped scenario name.
        params: Grid parameters: ``{"dns.ttl": ["20s", "60s"], ...}`` (values as
            written in a scenario, with units); every combination is a point.
        zip: Take the i-th value of every list together instead of the grid.
        sample: Latin hypercube of this many points over ``ranges``.
        ranges: Sampled parameters: ``{"dns.ttl": ("10s", "300s")}``.
        overrides: ``"PATH=VALUE"`` overrides for every point (``--set``).
        reps: Replications per point (default: the scenario's ``run.replications``).
        jobs: Worker processes (1: in this process; None: every usable core).
        directory: The sweep directory (default ``results/<scenario>/sweep-<UTC
            timestamp>/``); finished runs are kept there and skipped on resume.
        resume: Require an existing sweep in ``directory``.
        charts: Write the sweep charts.
        progress: Show a progress bar on stderr.

    Returns:
        A :class:`~drsim.experiment.sweep.SweepOutcome`: ``.points`` (one row
        per point: the varied parameters in base units, ``<metric>.mean``,
        ``.ci95_lo``, ``.ci95_hi``), ``.summary`` (one row per run), ``.directory``.

    Raises:
        drsim.experiment.errors.SweepError: A bad scenario, parameter, value or directory.
    """
    from drsim.experiment.design import SweepDesign, parse_param, parse_range, parse_sample
    from drsim.experiment.sweep import SweepRequest, plan_sweep, run_sweep

    def values_text(values: Sequence[Any] | str) -> str:
        return values if isinstance(values, str) else ",".join(str(v) for v in values)

    design = SweepDesign(
        params=tuple(parse_param(f"{path}={values_text(values)}")
                     for path, values in (params or {}).items()),
        zip=zip,
        sample=None if sample is None else parse_sample(f"lhs:{sample}"),
        ranges=tuple(parse_range(f"{path}={low}..{high}")
                     for path, (low, high) in (ranges or {}).items()),
    )
    request = SweepRequest(scenario=Path(scenario), design=design, sets=tuple(overrides),
                           replications=reps)
    plan = plan_sweep(request)
    if directory is None:
        directory = Path("results") / plan.base.name / (
            "sweep-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    outcome = run_sweep(plan, Path(directory), jobs=jobs, resume=resume, progress=progress)
    if charts:
        from drsim.report.chart_files import write_sweep_charts

        outcome.charts = write_sweep_charts(outcome, plan.request.design.kinds)
    return outcome


def write_report(
    directory: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    fmt: str | None = None,
    targets: str | None = None,
) -> Path:
    """Write the design-review report of a run, comparison or sweep directory.

    Args:
        directory: What ``RunOutput.save``, :func:`compare` / :func:`sweep` with a
            directory, or the ``drsim`` commands wrote.
        output: The report file (default ``DIR/report.html``, or ``.md``).
        fmt: ``"html"`` (one self-contained file) or ``"md"`` (Markdown, PNGs beside it).
        targets: Conditions such as ``"failed_logins<1000,rto_s<300"``: the report
            lists the settings that meet them.

    Returns:
        The report file.

    Raises:
        drsim.report.ReportError: Not a drsim output directory, or a bad target/format.
    """
    from drsim.report.build import write_report as _write

    return _write(directory, output, fmt, targets)[-1]
