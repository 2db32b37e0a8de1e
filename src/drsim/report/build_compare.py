"""The design-review report of a ``drsim compare``: designs side by side on the same traffic.

Sections: the question (with a warning box when the designs' workloads
differ, so their differences are not the design's alone) and the designs (every
resolved setting that differs, design and workload keys apart, and each design
in plain words); the readings — each design against the baseline with paired 95 %
CIs; the side-by-side table of designs with paired differences; cost against
risk; paired differences; designs side by side per metric; cost by component;
the target (when given); every metric; how to reproduce it exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from drsim.experiment.scenario_diff import setting_differences
from drsim.report.common import CI_NOTE, review_metrics, targets_section
from drsim.report.compare_readings import compare_readings
from drsim.report.design_text import question, short_aspects
from drsim.report.document import Bullets, Paragraph, Report, Section, Table, image
from drsim.report.formatting import fmt_estimate, fmt_value, metric_kind, number
from drsim.report.reproduce import (
    command_text,
    compare_command,
    stored_designs_command,
    version_note,
)
from drsim.report.review_charts import (
    cost_chart,
    cost_frame,
    cost_risk_chart,
    cost_risk_frame,
    paired_differences_chart,
)
from drsim.report.sources import CompareSource
from drsim.report.sweep_charts import HEADLINE_METRICS, compare_bars
from drsim.report.targets import Target, check_metrics

DIFF_CHART_METRICS = ("failed_logins", "rto_s", "lockout_extra_guesses", "rpo_lost_writes",
                      "stale_reads", "cost_per_month_usd")


def _settings(source: CompareSource) -> list[dict[str, Any]]:
    """Every setting that differs between the designs: from ``compare.json``, or worked out
    from the designs' scenarios for a comparison written by an older drsim."""
    if isinstance(source.data.get("settings"), list):
        return list(source.data["settings"])
    names = source.names
    if not names or any(n not in source.scenarios for n in names):
        return []
    found = setting_differences([source.scenarios[n] for n in names])
    return [d.to_json(names) for d in found]


def workload_warning(source: CompareSource) -> str | None:
    """The warning for designs run on different workloads, or None."""
    keys = [s["key"] for s in _settings(source) if s["kind"] == "workload"]
    if not keys:
        return None
    return ("Not a like-for-like comparison: the designs also differ in their workload ("
            + ", ".join(keys) + "). Every difference below mixes the design with the workload "
            "(more traffic, another attacker or a longer run changes failed sign-ins and "
            "guesses whatever the design). Re-run with drsim compare --same-workload FILE to "
            "give every design the same users, clients, traffic, attackers, faults and run.")


def _settings_table(source: CompareSource) -> list[Any]:
    settings = _settings(source)
    names = source.names
    if not settings:
        return [Paragraph("The designs' resolved settings are identical apart from their names."
                          if len(source.scenarios) == len(names) else
                          "The settings that differ are unknown (a design's scenario is "
                          "missing).")]
    rows = [[s["key"], s["kind"]] + [_shorten(str(s["values"].get(n, "")), 80) for n in names]
            for s in settings]
    design = [s["key"] for s in settings if s["kind"] == "design"]
    lead = (f"The designs differ in {len(design)} design setting{'s' if len(design) != 1 else ''}"
            ": " + ", ".join(design) + "." if design else
            "The designs differ in no design setting, only in their workload.")
    return [Paragraph(lead), Table(
        ["setting", "kind", *names], rows,
        "Every resolved setting that differs (design: chosen by the architect; workload: "
        "users, clients, traffic, attackers, faults and run — the same for a fair comparison)")]


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _designs_table(source: CompareSource) -> list[Any]:
    names = [n for n in source.names if n in source.scenarios]
    if not names:
        return []
    aspects = {n: short_aspects(source.scenarios[n]) for n in names}
    keys = list(next(iter(aspects.values())))
    differ = [k for k in keys if len({aspects[n][k] for n in names}) > 1]
    rows = [[k + (" ≠" if k in differ else "")] + [aspects[n][k] for n in names] for k in keys]
    return [Table(["aspect"] + names, rows,
                  "Each design in a few words (≠: the designs differ in this aspect)")]


def _label(label: str) -> str:
    return label.strip() if not label.startswith("  ") else "… " + label.strip()


def _side_by_side(source: CompareSource, metrics: list[tuple[str, str]]) -> list[Table]:
    names = source.names
    base = source.baseline
    others = [n for n in names if n != base]
    rows, diff_rows = [], []
    for metric, label in metrics:
        kind = metric_kind(metric)
        rows.append([_label(label)] + [fmt_estimate(source.estimates(n).get(metric), kind,
                                                    compact=True) for n in names])
        diff_row = [_label(label)]
        for n in others:
            diff = source.difference(n).get(metric)
            text = fmt_estimate(diff, kind, signed=True, compact=True)
            if diff and diff.get("significant") and number(diff.get("mean")):
                text += " *"
            diff_row.append(text)
        diff_rows.append(diff_row)
    tables = [Table(["metric"] + names, rows, "Mean (95 % CI) per design",
                    numeric=frozenset(range(1, len(names) + 1)))]
    if others:
        tables.append(Table(
            ["metric"] + [f"{n} − {base}" for n in others], diff_rows,
            f"Paired difference against {base}: mean (95 % CI) over the same replications; "
            "* the interval excludes zero", numeric=frozenset(range(1, len(others) + 1))))
    return tables


def _diff_frame(source: CompareSource, metrics: Sequence[str]) -> pd.DataFrame:
    rows = []
    for name in source.names:
        if name == source.baseline:
            continue
        for metric, entry in source.difference(name).items():
            if metric not in metrics:
                continue
            lo, hi = (list(entry.get("ci95") or [None, None]) + [None, None])[:2]
            mean = number(entry.get("mean"))
            if mean is None:
                continue
            rows.append({"design": name, "metric": metric, "mean": mean,
                         "ci95_lo": number(lo) if number(lo) is not None else float("nan"),
                         "ci95_hi": number(hi) if number(hi) is not None else float("nan")})
    return pd.DataFrame(rows, columns=["design", "metric", "mean", "ci95_lo", "ci95_hi"])


def _question_section(source: CompareSource) -> Section:
    names, base = source.names, source.baseline
    warning = workload_warning(source)
    blocks: list[Any] = [Paragraph(warning, "warning")] if warning else []
    blocks.append(Paragraph(
        f"Which of these {len(names)} designs holds up best under "
        + ("the same traffic" if not warning else "their own workloads")
        + f", and what does each difference cost? Every design is compared with the baseline "
        f"{base} on the same replications, so each difference comes with a paired confidence "
        "interval.", "lead"))
    if source.data.get("same_workload"):
        blocks.append(Paragraph(f"Every design ran on the workload of "
                                f"{source.data['same_workload']} (--same-workload).", "note"))
    items = []
    for entry in source.designs:
        scenario = source.scenarios.get(entry["name"])
        q = question(scenario)[0] if scenario is not None else ""
        items.append(f"{entry['name']} ({entry.get('file', '')}): {q}".rstrip(": "))
    blocks.append(Bullets(items))
    for other in source.data.get("warnings") or []:
        if not (warning and "differ in their workload" in str(other)):  # said above
            blocks.append(Paragraph(str(other), "warning"))
    failures = source.data.get("failures") or []
    if failures:
        blocks.append(Paragraph(
            f"{len(failures)} runs failed and are left out of the estimates: "
            + "; ".join(f"{f.get('design')} replication {f.get('replication')}" for f in failures),
            "warning"))
    return Section("The question", blocks)


def _readings_section(source: CompareSource) -> Section:
    names, base = source.names, source.baseline
    readings = compare_readings(names, base, {n: source.difference(n) for n in names})
    caveat = ([Paragraph("These differences are not the designs' alone: their workloads "
                         "differ (see the warning above).", "warning")]
              if workload_warning(source) else [])
    return Section("Headline differences", [
        *caveat,
        Bullets(readings) if readings else Paragraph("No design to compare with the baseline."),
        Paragraph("Each difference is design − baseline: negative failed sign-ins, RTO, extra "
                  "guesses or writes at risk is better; “not significant” means the paired 95 % "
                  "CI contains zero.", "note"),
    ])


def _chart_sections(source: CompareSource, available: set[str]) -> list[Section]:
    names, base = source.names, source.baseline
    estimates = source.estimates_table()
    diff_metrics = [m for m in DIFF_CHART_METRICS if m in available]
    shown = [m for m in HEADLINE_METRICS if m in available]
    return [
        Section("Cost against risk", [
            image("cost_risk", cost_risk_chart(cost_risk_frame(estimates)),
                  "Monthly cost against failed sign-ins and extra guesses, one point per design",
                  "Each point is a design (mean, whiskers 95 % CI); lower left is cheaper and "
                  "safer."),
        ]),
        Section("Paired differences", [
            image("paired_differences",
                  paired_differences_chart(_diff_frame(source, diff_metrics), base, diff_metrics),
                  f"Paired differences of each design against {base}"),
        ]),
        Section("Each metric per design", [
            image("compare_bars", compare_bars(estimates, shown or None),
                  "Headline metrics per design with 95 % CIs"),
        ]),
        Section("Cost", [
            image("cost", cost_chart(cost_frame({n: source.estimates(n) for n in names})),
                  "Monthly cost by component per design"),
        ]),
    ]


def _every_metric_section(source: CompareSource, available: set[str]) -> Section:
    names = source.names
    top_level = sorted(m for m in available if "." not in m)
    rows = [[m] + [fmt_value((source.estimates(n).get(m) or {}).get("mean"), metric_kind(m))
                   for n in names] for m in top_level]
    return Section("Every metric", [
        Table(["metric"] + names, rows, "Mean per design of every top-level metric",
              numeric=frozenset(range(1, len(names) + 1)))])


def _reproduce_section(source: CompareSource, reps: int) -> Section:
    blocks: list[Any] = []
    command = compare_command(source.data)
    if command is not None:
        blocks += [Paragraph("From the directory the comparison was run in, this command gives "
                             "the same numbers (the same designs, overrides, workload, seed and "
                             "replications):"), Paragraph(command_text(command))]
    stored = [source.directory / "designs" / f"{n}.yaml" for n in source.names]
    if all(p.is_file() for p in stored):
        blocks += [Paragraph(("Or, from" if command else "From") + " the comparison directory, "
                             "with each design exactly as it ran (its resolved scenario in "
                             "designs/: overrides, workload and seed included):"),
                   Paragraph(command_text(stored_designs_command(source.names, reps)))]
    if not blocks:
        files = [str(d.get("file", d["name"])) for d in source.designs]
        blocks += [Paragraph("This comparison did not record its command or its designs: the "
                             "files as they are now, without any --set overrides it was given:"),
                   Paragraph(command_text(["drsim", "compare", *files, "--reps", str(reps)]))]
    return Section("Reproduce", [
        *blocks,
        Paragraph(version_note(source.data.get("drsim_version")), "note"),
        Paragraph("The per-run metrics are in compare.parquet / compare.csv (one row per "
                  "design × replication).", "note"),
        Paragraph(f"Source directory: {source.directory}", "note"),
    ])


def build_compare_report(source: CompareSource, targets: Sequence[Target] = ()) -> Report:
    """The report of a comparison directory.

    Args:
        source: The comparison (:func:`~drsim.report.sources.read_compare`).
        targets: Optional targets; the report lists the designs that meet them.

    Returns:
        The report.

    Raises:
        ReportError: A target names an unknown metric.
    """
    data = source.data
    names, base = source.names, source.baseline
    available = {m for d in source.designs for m in (d.get("metrics") or {})}
    check_metrics(targets, available)
    reps = int(data.get("replications") or 0)
    crn = bool(data.get("common_random_numbers"))
    subtitle = [f"drsim compare of {len(names)} designs — {reps} replication"
                f"{'s' if reps != 1 else ''} each, baseline {base}, "
                + ("different workloads: not like for like (see the warning)"
                   if workload_warning(source) else
                   "common random numbers (same users, arrivals and attacks in replication r of "
                   "every design)" if crn else "different seeds: no common random numbers")]
    report = Report(f"DR design comparison: {', '.join(names)}", "compare", subtitle)
    report.sections.append(_question_section(source))
    design_blocks = [*_settings_table(source), *_designs_table(source)]
    design_blocks += [Paragraph(note, "note") for note in source.scenario_notes]
    if design_blocks:
        report.sections.append(Section("The designs", design_blocks))
    report.sections.append(_readings_section(source))
    report.sections.append(Section("Designs side by side", [
        *_side_by_side(source, review_metrics(available)), Paragraph(CI_NOTE, "note")]))
    if targets:
        report.sections.append(targets_section(
            targets, [(n, source.estimates(n)) for n in names], "design"))
    report.sections += [*_chart_sections(source, available),
                        _every_metric_section(source, available),
                        _reproduce_section(source, reps)]
    report.footer = (f"Generated by drsim report from {source.directory.name}/ — a "
                     "self-contained file: no script, no external resource.")
    return report
