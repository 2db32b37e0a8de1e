"""The design-review report of one ``drsim run``: the design, the headline numbers, the charts.

Sections: the question; the design in plain words; headline metrics with CIs
and readings; the target (when given); the fault timeline of the first
replication whose records were kept; failures by cause; staleness; lockout
bypass windows; RTO and RPO; cost; every metric; how to reproduce the run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from drsim.report import run_charts
from drsim.report.common import CI_NOTE, all_metrics_table, targets_section
from drsim.report.design_text import design_aspects, question
from drsim.report.document import (
    Facts,
    Headline,
    Headlines,
    Image,
    Paragraph,
    Report,
    Section,
    Table,
    image,
)
from drsim.report.formatting import (
    fmt_ci,
    fmt_estimate,
    fmt_seconds,
    fmt_share,
    fmt_value,
    humanize,
    number,
)
from drsim.report.readings import overload_text, run_readings, sign_in_shares
from drsim.report.reproduce import command_text, run_command, version_note
from drsim.report.review_charts import cost_chart, cost_frame, recovery_chart, recovery_frames
from drsim.report.sources import RunSource
from drsim.report.targets import Target, check_metrics


def _png_fallback(source: RunSource, file: str, key: str, alt: str) -> list[Any]:
    path = source.directory / file
    if path.is_file():
        return [Image(key, path.read_bytes(), alt, "(chart as written by drsim run)")]
    return [Paragraph("No record tables were kept for this run, so this chart cannot be drawn.",
                      "note")]


def _instants(facts: Any, rto_s: float | None) -> Table:
    """The incident's instants of one replication, in time order."""
    rows = []
    start = facts.fault_start_s
    entries = [
        ("fault start", facts.fault_start_s),
        ("detection (unhealthy verdict)", facts.detection_s),
        ("DNS record flips", facts.dns_flip_s),
        ("promotion starts", facts.promotion_start_s),
        ("promoted region writable", facts.writable_s),
        ("fault ends", facts.fault_end_s),
        ("failback", facts.failback_s),
    ]
    if rto_s is not None and math.isfinite(rto_s) and math.isfinite(start):
        entries.append(("sign-ins recovered (RTO)", start + rto_s))
    for label, t in sorted(((lbl, t) for lbl, t in entries if t is not None and math.isfinite(t)),
                           key=lambda e: e[1]):
        offset = "" if not math.isfinite(start) else (
            "0 s" if t == start else ("+" if t > start else "−") + fmt_seconds(abs(t - start)))
        rows.append([label, f"{t / 60:.1f}", offset])
    return Table(["instant", "minute of the run", "after the fault start"], rows,
                 numeric=frozenset({1, 2}))


def _headline_section(source: RunSource) -> Section:
    shares = sign_in_shares(source)
    readings = run_readings(source.metrics, source.scenario, shares)
    n = int(source.summary.get("replications") or 0)
    note = CI_NOTE + (f" {n} replication{'s' if n != 1 else ''}." if n else "")
    if n == 1:
        note += " With one replication there is no interval: run more (--reps) to get one."
    blocks: list[Any] = [
        Headlines([Headline(r.label, r.value, r.ci, r.text) for r in readings]),
        Paragraph(note, "note"),
    ]
    if shares is not None:
        blocks.append(Paragraph(
            f"Shares of failed sign-ins come from the request records of {shares.replications} "
            f"replication{'s' if shares.replications != 1 else ''}: a sign-in “while DNS still "
            f"pointed at the failed region” is one sent to {shares.failed_region} (its resolver's "
            "answer named it), before the failover record flipped or from an answer cached "
            "after it.", "note"))
    return Section("Headline metrics", blocks)


def _recovery_first_section(source: RunSource) -> Section:
    """The recovery in words, the recovery curve and each incident: what a reviewer reads
    first (the RTO alone hides the shape)."""
    metrics, summary = source.metrics, source.summary
    blocks: list[Any] = [Paragraph(summary.get("headline") or
                                   "This run's summary has no recovery headline.")]
    levels = sorted(int(name[4:-2]) for name in metrics
                    if name.startswith("rto_") and name[4:-2].isdigit() and name.endswith("_s"))
    if levels:
        rows = [[f"{level} % of the pre-fault success rate",
                 fmt_estimate(metrics.get(f"rto_{level}_s"), "s"),
                 fmt_value((metrics.get(f"rto_{level}_recovered") or {}).get("mean"), "pct")]
                for level in levels]
        blocks.append(Table(["sign-ins back to", "after (mean, 95 % CI)",
                             "replications recovered"], rows,
                            "The recovery curve, from the start of the fault that made the "
                            "endpoint unhealthy", numeric=frozenset({1, 2})))
    incidents = int(number((metrics.get("incidents") or {}).get("mean")) or 0)
    if incidents > 1:
        rows = []
        for n in range(1, incidents + 1):
            def cell(key: str, kind: str, n: int = n) -> str:
                return fmt_estimate(metrics.get(f"incident.{n}.{key}"), kind)
            rows.append([str(n), cell("start_s", "s"), cell("detection_s", "s"),
                         cell("rto_s", "s"), cell("rpo_writes", "count")])
        blocks.append(Table(["incident", "starts at", "detection", "RTO", "writes at risk"],
                            rows, "Each incident, measured from its own fault",
                            numeric=frozenset({1, 2, 3, 4})))
    notes = summary.get("notes") or {}
    shown = [[name, notes[name]] for name in sorted(notes) if not name.startswith("incident.")]
    if shown:
        blocks.append(Table(["metric", "why it is missing, or only a lower bound"], shown,
                            "Notes: numbers without evidence are left out, never shown as 0"))
    return Section("Recovery", blocks)


def _causes_table(metrics: dict[str, Any]) -> Table:
    total = number((metrics.get("failed_logins") or {}).get("mean")) or 0.0
    frame = run_charts.failures_by_cause_frame(metrics)
    rows = []
    for _, row in frame.iterrows():
        entry = metrics.get(f"failed_logins.{row['cause']}") or {}
        rows.append([humanize(str(row["cause"])), fmt_value(row["mean"], "count"),
                     fmt_ci(entry, "count").replace("95 % CI ", ""),
                     fmt_share(float(row["mean"]), total)])
    regions = sorted(
        (name.split(".", 1)[1], number(entry.get("mean")) or 0.0)
        for name, entry in metrics.items() if name.startswith("failed_logins_by_region.")
    )
    for region, value in regions:
        if value:
            rows.append([f"(reached region {region})", fmt_value(value, "count"), "",
                         fmt_share(value, total)])
    return Table(["cause", "failed sign-ins (mean per run)", "95 % CI", "share"], rows,
                 "Failed sign-in attempts of legitimate users by cause, then by the region "
                 "they reached (“none”: no region answered)", numeric=frozenset({1, 2, 3}))


def _title(source: RunSource, n_reps: int) -> Report:
    manifest = source.manifest
    subtitle = [f"drsim run of scenario {source.name} — {n_reps} replication"
                f"{'s' if n_reps != 1 else ''}, seed {source.summary.get('seed')}, "
                f"status {manifest.status}"]
    if manifest.started_utc:
        subtitle.append(f"Run started {manifest.started_utc} (UTC), wall time "
                        f"{fmt_seconds(float(manifest.wall_time_s or 0))}, drsim "
                        f"{manifest.drsim_version}")
    return Report(f"DR design review: {source.name}", "run", subtitle)


def _question_section(source: RunSource, n_reps: int) -> Section:
    blocks: list[Any] = []
    if source.scenario is not None:
        q, rest = question(source.scenario)
        blocks.append(Paragraph(q, "lead"))
        if rest:
            blocks.append(Paragraph(rest))
    else:
        blocks.append(Paragraph("The manifest's copy of the scenario could not be read: the "
                                "design is not described.", "warning"))
    failed = source.manifest.failed_replications
    if failed:
        blocks.append(Paragraph(
            f"{len(failed)} of {n_reps} replications failed and are left out of every estimate: "
            + "; ".join(f"replication {f.replication}: "
                        f"{f.error.splitlines()[0] if f.error else ''}"
                        for f in failed), "warning"))
    return Section("The question", blocks)


class _Replication:
    """The first kept replication's records and its headline incident's timeline (both
    None without records)."""

    def __init__(self, source: RunSource) -> None:
        kept = source.kept_replications
        self.records = self.facts = None
        if kept and source.scenario is not None:
            from drsim.metrics import headline_facts

            self.records = source.records(kept[0])
            self.facts, _, _ = headline_facts(self.records, source.scenario)
        self.index = kept[0] if kept else None
        self.name = f"{source.name}, replication {kept[0]}" if kept else source.name


def _timeline_section(source: RunSource, rep: _Replication) -> Section:
    records, facts, scenario = rep.records, rep.facts, source.scenario
    if records is None or facts is None or scenario is None:
        return Section("Fault timeline", _png_fallback(
            source, "signin_success.png", "signin_success", "Sign-in success per minute by region"))
    from drsim.metrics import signin_success_by_minute
    from drsim.metrics.incident_metrics import incident_metrics

    marks = dict(records.meta)
    for key, _, _ in run_charts.EVENT_MARKS:
        marks[key] = getattr(facts, key, marks.get(key))
    chart = image(
        "signin_success",
        run_charts.signin_success_chart(
            signin_success_by_minute(records), marks=marks,
            overall=run_charts.overall_success_by_minute(records.requests),
            title=f"{rep.name}: sign-in success per minute"),
        "Sign-in success per minute by region with the incident's instants marked",
        f"Replication {rep.index}: the share of sign-in attempts that succeeded each minute, "
        "overall and by the region that served them; numbered lines mark the incident.")
    rto_s = incident_metrics(records, scenario).get("rto_s")  # the headline incident's
    return Section("Fault timeline", [chart, _instants(facts, number(rto_s))])


def _causes_section(source: RunSource, n_reps: int) -> Section:
    metrics = source.metrics
    return Section("Failures by cause", [
        image("failures_by_cause",
              run_charts.failures_by_cause_chart(
                  run_charts.failures_by_cause_frame(metrics),
                  title=f"{source.name}: failed sign-ins by cause (mean of {n_reps} "
                  f"run{'s' if n_reps != 1 else ''})"),
              "Failed sign-ins by cause with 95 % confidence intervals"),
        _causes_table(metrics),
    ])


def _staleness_section(source: RunSource, rep: _Replication) -> Section:
    blocks: list[Any] = []
    if not (number((source.metrics.get("stale_reads") or {}).get("mean")) or 0):
        blocks.append(Paragraph("No stale profile read in any replication: every read "
                                "saw the newest acknowledged version.", "lead"))
    elif rep.records is not None:
        req = rep.records.requests
        stale = req.loc[req["stale"].to_numpy(dtype=bool), ["staleness_s"]]
        blocks.append(image(
            "staleness", run_charts.staleness_chart(stale, title=f"{rep.name}: staleness of "
                                                    "stale reads"),
            "Cumulative distribution of the staleness of stale profile reads"))
    else:
        blocks += _png_fallback(source, "staleness.png", "staleness", "Staleness")
    blocks.append(Paragraph(
        "A read is stale when the replica that served it held an older version of the user's "
        "profile than the newest acknowledged anywhere; its staleness is how long ago the "
        "oldest version it missed was acknowledged."))
    return Section("Staleness", blocks)


def _lockout_section(source: RunSource, rep: _Replication) -> Section:
    blocks: list[Any] = []
    scenario = source.scenario
    if rep.records is not None and scenario is not None:
        from drsim.metrics import lockout_bypass_windows, reachable_regions

        windows = lockout_bypass_windows(rep.records.locks, reachable_regions(scenario),
                                         float(scenario.run.duration))
        blocks.append(image(
            "lockout_bypass",
            run_charts.lockout_bypass_chart(windows, title=f"{rep.name}: lockout bypass windows"),
            "Lockout bypass windows: durations and when they were open per account"))
    else:
        blocks += _png_fallback(source, "lockout_bypass.png", "lockout_bypass",
                                "Lockout bypass windows")
    blocks.append(Paragraph(
        "A bypass window is a time during which one global lockout counter would hold the "
        "account locked while some region the attacker can reach still evaluates guesses; an "
        "extra guess is a guess made in such a window."))
    return Section("Lockout bypass windows", blocks)


def _overload_section(source: RunSource, rep: _Replication) -> list[Section]:
    """Offered load, goodput and latency over time with the sustaining effect in words,
    when a region has a capacity (none otherwise)."""
    scenario = source.scenario
    if scenario is None or all(r.capacity is None for r in scenario.regions):
        return []
    blocks: list[Any] = [Paragraph(overload_text(source.metrics), "lead")]
    if rep.records is not None:
        from drsim.report.overload_chart import overload_figure

        blocks.append(image(
            "overload", overload_figure(rep.records, scenario, rep.name),
            "Offered load, goodput and latency per minute by region",
            f"Replication {rep.index}: attempts that reached each region per second and the "
            "ones that succeeded; below, their median and 99th-percentile latency. The "
            "dotted line is the end of the trigger (the last fault or traffic burst)."))
    else:
        blocks += _png_fallback(source, "overload.png", "overload",
                                "Offered load, goodput and latency")
    return [Section("Overload", blocks)]


def _recovery_section(source: RunSource) -> Section:
    flip_offsets = [number(m.get("dns_flip_s")) - number(m.get("fault_start_s"))
                    for m in source.meta.values()
                    if number(m.get("dns_flip_s")) is not None
                    and number(m.get("fault_start_s")) is not None]
    flip = sum(flip_offsets) / len(flip_offsets) if flip_offsets else None
    phases, rpo = recovery_frames(source.metrics, flip)
    return Section("RTO and RPO", [
        image("recovery", recovery_chart(phases, rpo, title=f"{source.name}: where the RTO "
                                         "went, and what the RPO put at risk"),
              "RTO phases on a time line and writes at risk at promotion by kind",
              "Left: mean phases of the incident from the fault start; the RTO bar ends when "
              "sign-in success is back to its threshold and stays there. Right: acknowledged "
              "writes not yet at the promoted region when promotion started."),
    ])


def _reproduce_section(source: RunSource) -> Section:
    manifest = source.manifest
    command = run_command(manifest)
    if command is not None:
        repro = [Paragraph("From the directory the run was made in, this command gives the "
                           "same numbers (the scenario, every --set override, the seed and "
                           "the replications of this run):"),
                 Paragraph(command_text(command))]
    else:
        repro = [Paragraph("This run was made from Python; manifest.yaml holds its fully "
                           "resolved scenario (key scenario). Save that mapping as "
                           "scenario.yaml and run:"),
                 Paragraph(command_text(["drsim", "run", "scenario.yaml", "--seed",
                                         str(manifest.seed), "--reps",
                                         str(manifest.replications)]))]
    repro.append(Paragraph(version_note(manifest.drsim_version), "note"))
    repro.append(Paragraph(f"Source directory: {source.directory}", "note"))
    return Section("Reproduce", repro)


def build_run_report(source: RunSource, targets: Sequence[Target] = ()) -> Report:
    """The report of a run directory.

    Args:
        source: The run (:func:`~drsim.report.sources.read_run`).
        targets: Optional targets to check the run against.

    Returns:
        The :class:`~drsim.report.document.Report`.

    Raises:
        ReportError: A target names an unknown metric.
    """
    metrics = source.metrics
    check_metrics(targets, metrics)
    n_reps = int(source.summary.get("replications") or source.manifest.replications or 0)
    report = _title(source, n_reps)
    rep = _Replication(source)
    sections = [_question_section(source, n_reps)]
    if source.scenario is not None:
        sections.append(Section("The design", [Facts(design_aspects(source.scenario))]))
    sections.append(_recovery_first_section(source))
    sections.append(_headline_section(source))
    if targets:
        sections.append(targets_section(targets, [(source.name, metrics)], "run"))
    sections += [
        _timeline_section(source, rep),
        _causes_section(source, n_reps),
        _staleness_section(source, rep),
        _lockout_section(source, rep),
        *_overload_section(source, rep),
        _recovery_section(source),
        Section("Cost", [image("cost", cost_chart(cost_frame({source.name: metrics}),
                                                  title=f"{source.name}: cost per month by "
                                                  "component"),
                               "Monthly cost by component")]),
        Section("Every metric", [all_metrics_table(
            metrics, "Every metric of the run: mean and 95 % CI over the replications "
            "(suffix _s: seconds, _usd: US dollars)")]),
        _reproduce_section(source),
    ]
    report.sections.extend(sections)
    report.footer = (f"Generated by drsim report from {source.directory.name}/ — a "
                     "self-contained file: no script, no external resource.")
    return report
