"""The charts of a run, sweep or comparison directory, drawn here and written beside its tables.

The experiment and output layers write tables, JSON and manifests and draw
nothing; whoever writes a directory *with* charts calls them and then these
functions (:mod:`drsim.api`, :mod:`drsim.cli`). Every PNG is written
atomically (:mod:`drsim.experiment.atomic`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from drsim.experiment import atomic
from drsim.experiment.compare import Comparison
from drsim.experiment.run import RunOutput
from drsim.experiment.sweep import SweepOutcome
from drsim.output import write_run
from drsim.report.run_charts import run_figures
from drsim.report.sweep_charts import compare_bars, sweep_figures

COMPARE_CHART = "compare.png"


def save_run(output: RunOutput, directory: str | os.PathLike[str], charts: bool = True) -> Path:
    """Write the run directory (:func:`drsim.output.write_run`) with the run charts.

    Args:
        output: The run.
        directory: The run directory (created if needed).
        charts: Also draw and write the PNG charts.

    Returns:
        The directory.
    """
    return write_run(output, directory, draw_charts=run_figures if charts else None)


def write_compare_chart(comparison: Comparison, directory: str | os.PathLike[str]) -> Path:
    """Write ``compare.png``: each metric per design, with 95 % CI whiskers."""
    figure = compare_bars(comparison.estimates_table())
    return atomic.write_with(Path(directory) / COMPARE_CHART,
                             lambda p: figure.savefig(p, format="png", dpi=100))


def write_sweep_charts(outcome: SweepOutcome, kinds: Mapping[str, str]) -> list[Path]:
    """Write the sweep charts (PNG) for one or two varied parameters; returns their paths.

    An interrupted sweep gets none (its tables are partial).

    Args:
        outcome: What :func:`drsim.experiment.sweep.run_sweep` returned.
        kinds: Kind of each varied parameter column (the design's ``kinds``).
    """
    if outcome.interrupted:
        return []
    written = []
    for name, figure in sweep_figures(outcome.points, kinds).items():
        path = outcome.directory / f"{name}.png"
        atomic.write_with(path, lambda p, fig=figure: fig.savefig(p, format="png", dpi=100))
        written.append(path)
    return written
