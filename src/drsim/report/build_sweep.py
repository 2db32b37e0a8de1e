"""The design-review report of a ``drsim sweep``: how the outage cost moves with the settings.

Sections: the question (what was swept, over which values); the base design
in plain words; the settings that meet the target (when given); the charts —
lines with 95 % CI bands for one parameter, heatmaps and lines by the second
parameter for a grid of two, shaded points for a sample; the table of every
point; how to reproduce.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from drsim.experiment.design import SweepDesign
from drsim.report.common import CI_NOTE, review_metrics
from drsim.report.design_text import design_aspects, question, with_replications
from drsim.report.document import Facts, Paragraph, Report, Section, Table, image
from drsim.report.formatting import fmt_estimate, metric_kind
from drsim.report.reproduce import command_text, sweep_command, version_note
from drsim.report.review_charts import sweep_lines_by
from drsim.report.sources import SweepSource
from drsim.report.sweep_charts import (
    MAX_FACETS,
    _is_full_grid,
    _is_numeric,
    chart_metrics,
    facets,
    null_as_text,
    param_label,
    setting_text,
    sweep_heatmap,
    sweep_heatmaps_by,
    sweep_lines,
    sweep_scatter,
)
from drsim.report.targets import Target, check_metrics, describe, evaluate


def _setting(row: pd.Series, params: Sequence[str]) -> str:
    return ", ".join(f"{param_label(p)} = {setting_text(row[p])}" for p in params)


def _sample_text(design: SweepDesign) -> str | None:
    """``lhs:40`` as written in ``--sample``, or None."""
    return None if design.sample is None else f"{design.sample.method}:{design.sample.n}"


def _values_text(source: SweepSource) -> str:
    design = source.definition.design
    parts = [f"{p.path} ∈ {{{', '.join(str(v) for v in p.values)}}}" for p in design.params]
    parts += [f"{r.path} sampled in [{r.low}, {r.high}]" for r in design.ranges]
    how = "zipped" if design.zip else "every combination"
    if design.sample is not None:
        how = f"Latin hypercube {_sample_text(design)}" + (" crossed with the grid" if
                                                            design.params else "")
    return f"{' × '.join(parts)} ({how})"


def _charts(source: SweepSource, metrics: list[str]) -> list[Any]:
    points, params, kinds = source.points, source.params, source.kinds
    ok = points[points["runs_ok"] > 0] if "runs_ok" in points.columns else points
    ok = null_as_text(ok, params)
    blocks: list[Any] = []
    if len(params) == 1:
        blocks.append(image("sweep_lines", sweep_lines(ok, params[0], metrics),
                            "Each headline metric against the swept parameter with 95 % CI bands",
                            "Mean per point (line) and its 95 % confidence interval (band)."))
    elif len(params) == 2:
        x, y = params
        numeric = [p for p in params if _is_numeric(ok[p])]
        if _is_full_grid(ok, x, y):
            blocks.append(image("sweep_heatmap", sweep_heatmap(ok, x, y, metrics),
                                "Heatmaps of each headline metric over the grid",
                                "Mean per point; darker is higher."))
            if numeric:
                line_x = numeric[0]
                by = y if line_x == x else x
                blocks.append(image(
                    "sweep_lines_by", sweep_lines_by(ok, line_x, by, metrics),
                    f"Each headline metric against {line_x}, one line per {by}",
                    "Mean per point (lines) and 95 % confidence intervals (bands)."))
        elif all(kinds[p] != "text" for p in params):
            blocks.append(image("sweep_scatter", sweep_scatter(ok, x, y, metrics),
                                "Sampled points shaded by each headline metric"))
    elif facets(ok, params) is not None:
        rest = " × ".join(params[2:])
        blocks.append(image("sweep_heatmaps_by", sweep_heatmaps_by(ok, params, metrics),
                            f"Heatmaps of {params[0]} × {params[1]}, one per {rest}",
                            f"Mean per point, one panel per {rest}; darker is higher, on "
                            "one scale per metric across its row."))
    if not blocks:
        blocks.append(Paragraph(f"{len(params)} parameters varied: no chart fits (charts need "
                                f"a full grid with at most {MAX_FACETS} settings beyond the "
                                "first two parameters); see the table of points below.",
                                "note"))
    return blocks


def _question_section(source: SweepSource, paths: list[str], reps: int, failed: int) -> Section:
    blocks: list[Any] = [Paragraph(
        f"How do failed sign-ins, RTO and the other headline metrics change with "
        f"{' and '.join(paths)}?", "lead"),
        Paragraph(f"Swept: {_values_text(source)}; every setting runs the same "
                  f"{reps} replications (common random numbers), so differences between "
                  "settings are differences of the design, not of luck.")]
    if source.scenario is not None:
        q, rest = question(source.scenario)
        blocks.append(Paragraph(f"Base scenario {source.name}: {q} {rest}".strip()))
    if failed:
        blocks.append(Paragraph(f"{failed} runs failed and are left out of the estimates; "
                                f"retry them with drsim sweep --resume -o {source.directory}.",
                                "warning"))
    return Section("The question", blocks)


def _target_section(source: SweepSource, targets: Sequence[Target]) -> Section:
    title = "Settings that meet the target"
    if not targets:
        return Section(title, [Paragraph(
            "No target given: run drsim report DIR --target \"failed_logins<1000,rto_s<300\" to "
            "list the settings that meet one.", "note")])
    points, params = source.points, source.params
    rows, met_mean, met_ci = [], 0, 0
    for _, row in points.iterrows():
        estimates = {t.metric: source.estimate(row, t.metric) for t in targets}
        a, b = evaluate(targets, estimates)
        met_mean += a
        met_ci += b
        if a:
            rows.append([_setting(row, params)]
                        + [fmt_estimate(estimates[t.metric], metric_kind(t.metric))
                           for t in targets] + ["yes" if b else "on the mean only"])
    summary = (f"Target: {describe(targets)}. {met_mean} of {len(points)} settings meet it on "
               f"the mean, {met_ci} with 95 % confidence (the whole interval on the right "
               "side).")
    blocks: list[Any] = [Paragraph(summary, "lead")]
    if rows:
        blocks.append(Table(["setting"] + [str(t) for t in targets] + ["with 95 % confidence"],
                            rows, "The settings that meet the target"))
    else:
        blocks.append(Paragraph("No setting meets the target.", "warning"))
    return Section(title, blocks)


def _settings_section(source: SweepSource, metrics: list[str]) -> Section:
    params = source.params
    shown = [m for m, _ in review_metrics(source.metrics)]
    table_metrics = [m for m in shown if m in metrics or m in ("rto_s", "failed_logins")]
    header = [param_label(p) for p in params] + table_metrics
    rows = []
    for _, row in source.points.iterrows():
        rows.append([setting_text(row[p]) for p in params]
                    + [fmt_estimate(source.estimate(row, m), metric_kind(m), compact=True)
                       for m in table_metrics])
    return Section("Every setting", [
        Table(header, rows, "Mean (95 % CI) per setting",
              numeric=frozenset(range(len(params), len(header)))),
        Paragraph(CI_NOTE, "note")])


def _reproduce_section(source: SweepSource) -> Section:
    return Section("Reproduce", [
        Paragraph("This command gives the same numbers again (the base scenario, every --set "
                  "override, the seed, the parameter grid and the replications of this sweep):"),
        Paragraph(command_text(sweep_command(source.definition))),
        Paragraph(version_note(source.definition.drsim_version), "note"),
        Paragraph("Per-run metrics: summary.parquet / summary.csv; per-setting estimates: "
                  "points.parquet / points.csv.", "note"),
        Paragraph(f"Source directory: {source.directory}", "note")])


def build_sweep_report(source: SweepSource, targets: Sequence[Target] = ()) -> Report:
    """The report of a sweep directory.

    Args:
        source: The sweep (:func:`~drsim.report.sources.read_sweep`).
        targets: Optional targets; the report lists the settings that meet them.

    Returns:
        The report.

    Raises:
        ReportError: A target names an unknown metric.
    """
    check_metrics(targets, source.metrics)
    points = source.points
    reps = source.definition.replications
    failed = int(points["runs_failed"].sum()) if "runs_failed" in points.columns else 0
    subtitle = [f"drsim sweep of {source.name} — {len(points)} settings × {reps} replication"
                f"{'s' if reps != 1 else ''}" + (f", {failed} runs failed" if failed else "")]
    design = source.definition.design
    paths = [p.path for p in design.params] + [r.path for r in design.ranges]
    paths = paths or [param_label(p) for p in source.params]
    report = Report(f"DR sweep: {source.name} over {' × '.join(paths)}", "sweep", subtitle)
    metrics = chart_metrics(list(points.columns))
    report.sections.append(_question_section(source, paths, reps, failed))
    if source.scenario is not None:
        report.sections.append(Section("The base design", [
            Paragraph("Every setting is this design with the swept values replaced.", "note"),
            Facts(design_aspects(with_replications(source.scenario, reps)))]))
    report.sections += [
        _target_section(source, targets),
        Section("Charts", _charts(source, metrics)),
        _settings_section(source, metrics),
        _reproduce_section(source),
    ]
    report.footer = (f"Generated by drsim report from {source.directory.name}/ — a "
                     "self-contained file: no script, no external resource.")
    return report
