"""``drsim run``: run one DR scenario's replications and tell what the outage cost.

Usage::

    drsim run SCENARIO [-o DIR] [--reps N] [--seed S] [--set PATH=VALUE]...
                       [--json] [--no-charts] [--quiet] [--jobs N]

Replications run in parallel on every usable core unless ``--jobs`` says
otherwise; the numbers do not depend on it.

Prints a readable summary (headline metrics with 95 % CIs, failures by cause,
the fault timeline of replication 0) or, with ``--json``, exactly one JSON
object on stdout. Writes the run directory (default
``results/<scenario>/<UTC timestamp>/``, see :mod:`drsim.output`).

Exit codes: 0 all replications succeeded; 1 a replication failed (reported on
stderr and in the manifest's status); 2 bad input (scenario file, ``--set``,
options) — a ``FILE:LINE: key: …`` message, never a traceback.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from drsim.cli.common import EXIT_BAD_INPUT, report_scenario_error, set_option
from drsim.metrics.evidence import level_label
from drsim.metrics.staleness import staleness_origin_words
from drsim.report.formatting import number, terminal_value
from drsim.report.readings import split_brain_text

HEADLINE: tuple[tuple[str, str, str], ...] = (
    # (metric, label, unit kind: count | s | pct | usd)
    ("failed_logins", "failed sign-in attempts", "count"),
    ("failed_login_users", "users with a failed sign-in", "count"),
    ("failed_operations", "failed other operations", "count"),
    ("stale_reads", "stale profile reads", "count"),
    ("stale_read_fraction", "stale share of profile reads", "pct"),
    ("staleness_p99_s", "staleness p99", "s"),
    ("lockout_extra_guesses", "lockout: extra attacker guesses", "count"),
    ("lockout_bypass_windows", "lockout: bypass windows", "count"),
    ("lockout_bypass_max_s", "lockout: longest bypass window", "s"),
    ("accounts_compromised", "accounts compromised beyond a shared counter", "count"),
    ("accounts_compromised_total", "  accounts compromised (total)", "count"),
    ("stale_credential_signins", "sign-ins with a superseded password", "count"),
    ("revoked_token_accepts", "revoked refresh tokens accepted", "count"),
    ("sessions_disrupted", "sessions disrupted", "count"),
    ("rpo_lost_writes", "RPO: writes lost at promotion", "count"),
    ("rpo_span_s", "RPO: time span of lost writes", "s"),
    ("rto_s", "RTO", "s"),
    ("detection_s", "  detection", "s"),
    ("decision_s", "  decision", "s"),
    ("promotion_s", "  promotion", "s"),
    ("dns_convergence_s", "  DNS convergence", "s"),
    ("dns_converged", "    converged (run.dns_converged)", "pct"),
    ("dns_share_moved_60s", "    on the new region 60 s after flip", "pct"),
    ("availability", "availability of sign-in", "pct"),
    ("oscillations", "failovers undone by a failback", "count"),
    ("split_brain_s", "split brain: two regions taking writes", "s"),
    ("conflicting_writes", "  conflicting writes (both sides)", "count"),
    ("reconciled_writes_lost", "  lost by reconciliation", "count"),
    ("relying_party_rejections", "API calls rejected with valid tokens", "count"),
    ("relying_party_rejection_s", "  time a relying party rejects", "s"),
    ("relying_party_rejection_max_s", "  longest", "s"),
    ("corrupted_users", "corruption: profiles corrupted", "count"),
    ("corruption_replicated_s", "  reached every replica after", "s"),
    ("corrupt_reads", "  corrupt profile reads", "count"),
    ("corruption_exposure_s", "  bad data served for", "s"),
    ("restore_rpo_s", "  restore RPO (snapshot → bad write)", "s"),
    ("writes_lost_by_restore", "  writes overwritten by the restore", "count"),
    ("cost_per_month_usd", "cost per month", "usd"),
)
"""Metrics shown in the human summary, in order (all metrics are in the JSON)."""


def headline_lines(metrics: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The :data:`HEADLINE` metrics the run has, in order (relying parties' only when the
    scenario models them)."""
    return [format_metric_line(label, metrics[name], kind)
            for name, label, kind in HEADLINE if name in metrics]


def format_metric_line(label: str, entry: Mapping[str, Any], kind: str, width: int = 38) -> str:
    """``label  mean  (95% CI lo – hi)`` for one metric."""
    mean = terminal_value(entry.get("mean"), kind)
    ci = list(entry.get("ci95") or [None, None])
    lo, hi = (ci + [None, None])[:2]
    ci_text = ""
    if number(lo) is not None and number(hi) is not None and lo != hi:
        ci_text = f"  (95% CI {terminal_value(lo, kind)} – {terminal_value(hi, kind)})"
    return f"  {label:<{width}} {mean:>12}{ci_text}"


def format_clock(seconds: float) -> str:
    """Simulated seconds as ``HH:MM:SS``."""
    total = int(round(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def timeline_lines(output: Any) -> list[str]:
    """The fault timeline of the first replication with records: one line per instant."""
    kept = [r for r in output.results if r.records is not None]
    if not kept:
        return ["  (no records kept)"]
    result = kept[0]
    meta = dict(result.records.meta or {})
    instants: dict[str, Any] = {
        "fault start": meta.get("fault_start_s"),
        "detection": meta.get("detection_s"),
        "DNS flip": meta.get("dns_flip_s"),
        "promotion start": meta.get("promotion_start_s"),
        "promotion end (writable)": meta.get("writable_s", meta.get("promotion_end_s")),
        "fault end": meta.get("fault_end_s"),
        "failback": meta.get("failback_s"),
    }
    try:
        from drsim.metrics import headline_facts

        facts, _, _ = headline_facts(result.records, output.scenario)
        instants.update(
            {
                "fault start": facts.fault_start_s,
                "detection": facts.detection_s,
                "DNS flip": facts.dns_flip_s,
                "promotion start": facts.promotion_start_s,
                "promotion end (writable)": facts.writable_s,
                "fault end": facts.fault_end_s,
                "failback": facts.failback_s,
            }
        )
    except Exception:  # the raw meta is good enough for a printout
        pass
    start = number(instants["fault start"])
    if start is None:
        return [f"  no fault in replication {result.replication}"]
    rto = number(result.metrics.get("rto_s"))
    if rto is not None and not math.isinf(rto):
        instants["recovery (RTO)"] = start + rto
    rows = [(t, label) for label, v in instants.items() if (t := number(v)) is not None]
    lines = [f"  replication {result.replication}, time since start of run:"]
    for t, label in sorted(rows, key=lambda row: row[0]):
        offset = "" if label == "fault start" else f"  (+{terminal_value(t - start, 's')})"
        lines.append(f"  {format_clock(t)}  {label}{offset}")
    if rto is not None and math.isinf(rto):
        lines.append("  sign-in success never recovered before the end of the run")
    return lines


def cause_lines(metrics: Mapping[str, Mapping[str, Any]], prefix: str, total: str,
                every: bool = False) -> list[str]:
    """One line per outcome cause that occurred (metrics named ``prefix + cause``; with
    ``every``, each cause, zeros included), largest first, with its share of ``total``;
    ``none`` when no cause occurred."""
    causes = sorted(
        (
            (name[len(prefix):], entry)
            for name, entry in metrics.items()
            if name.startswith(prefix) and (every or (number(entry.get("mean")) or 0) > 0)
        ),
        key=lambda item: -(number(item[1].get("mean")) or 0),
    )
    if not causes:
        return ["  none"]
    whole = number(metrics.get(total, {}).get("mean")) or sum(
        number(e.get("mean")) or 0 for _, e in causes)
    lines = []
    for cause, entry in causes:
        line = format_metric_line(cause, entry, "count")
        lines.append(f"{line}  [{100 * (number(entry.get('mean')) or 0) / whole:.0f} %]"
                     if whole else line)
    return lines


def staleness_age_lines(metrics: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per cause of stale reads that occurred: p50 / p90 / p99 of its staleness
    age (``–`` where too few reads make a quantile)."""
    lines = []
    for name, entry in metrics.items():
        cause = name[len("stale_reads."):] if name.startswith("stale_reads.") else None
        if cause is None or not (number(entry.get("mean")) or 0) > 0:
            continue
        ages = " / ".join(terminal_value(metrics.get(f"staleness_{q}_s.{cause}", {}).get("mean"),
                                         "s") for q in ("p50", "p90", "p99"))
        lines.append(f"  {cause.replace('_', ' '):<38} {ages}")
    return lines


def people_lines(metrics: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Read-your-writes violations and the users who could not complete a request, overall,
    by population and by home region."""
    lines = []
    backs = number(metrics.get("read_your_writes_read_backs", {}).get("mean"))
    if backs:
        violations = metrics.get("read_your_writes_violations", {}).get("mean")
        share = metrics.get("read_your_writes_violation_share", {}).get("mean")
        lines += ["", f"Read-your-writes: {terminal_value(violations, 'count')} of "
                      f"{terminal_value(backs, 'count')} profile read-backs "
                      f"({terminal_value(share, 'pct')}) missed the user's own update"]
    if "users_failed_share" not in metrics:
        return lines
    lines += ["", "Users who could not complete what they came to do (a request whose last "
                  "attempt failed, from the fault to the end of the run):",
              format_metric_line("all active users", metrics["users_failed_share"], "pct")]
    home = "users_failed_share.home."
    for prefix, label in (("users_failed_share.", "population"), (home, "home region")):
        for name, entry in metrics.items():
            member = name[len(prefix):]
            if name.startswith(prefix) and (prefix == home or not name.startswith(home)):
                lines.append(format_metric_line(f"{label} {member}", entry, "pct"))
    return lines


OVERLOAD = (
    ("overload_sustained_s", "overload outlived its trigger by", "s"),
    ("overload_end_state", "runs that ended overloaded", "pct"),
    ("timeouts", "attempts timed out", "count"),
    ("shed_attempts", "attempts shed (admission control)", "count"),
    ("failed_logins.throttled", "sign-ins refused fast (throttled)", "count"),
    ("attempts_per_first_attempt", "attempts per first attempt", "ratio"),
    ("latency_p50_s", "latency p50", "s"),
    ("latency_p99_s", "latency p99", "s"),
)
"""The overload lines, shown when a region has a capacity (issue #17)."""


def overload_lines(summary: Mapping[str, Any], scenario: Any) -> list[str]:
    """The sustaining effect and the overload figures, when a region has a capacity; with
    the note of a censored (or undefined) overload_sustained_s."""
    if all(r.capacity is None for r in scenario.regions):
        return []
    metrics: Mapping[str, Mapping[str, Any]] = summary.get("metrics", {})
    lines = ["", "Overload (regions with a capacity; mean over replications, 95% CI):"]
    lines += [format_metric_line(label, metrics[name], kind)
              for name, label, kind in OVERLOAD if name in metrics]
    note = (summary.get("notes") or {}).get("overload_sustained_s")
    if note:
        lines.append(f"    overload_sustained_s: {note}")
    return lines + capacity_over_time_lines(scenario)


def capacity_over_time_lines(scenario: Any) -> list[str]:
    """What changes a region's capacity in time (scale-up, cold cache, reopen ramp), in
    words, one line per region that has any."""
    lines = []
    for region in scenario.regions:
        c = region.capacity
        parts = []
        if c is not None and c.scale_up is not None:
            parts.append(f"scales from {c.vcpus:g} to {c.scale_up.to:g} vCPUs after "
                         f"{c.scale_up.trigger}")
        if c is not None and c.cache is not None:
            parts.append(f"cache cold at {', '.join(c.cache.cold_at)} (cost × "
                         f"{c.cache.cold_cost:g}, warm after {c.cache.warm_up / 60:g} min)")
        if c is not None and c.reopen is not None:
            parts.append(f"admits {100 * c.reopen.initial:g} % → 100 % of its capacity over "
                         f"{c.reopen.over / 60:g} min after {', '.join(c.reopen.at)}")
        if parts:
            lines.append(f"  {region.name}: " + "; ".join(parts))
    return lines


def recovery_lines(summary: Mapping[str, Any], scenario: Any) -> list[str]:
    """The recovery first: the headline in words, the recovery curve and, with several
    incidents, each one's detection and recovery."""
    metrics: Mapping[str, Mapping[str, Any]] = summary.get("metrics", {})
    lines = ["Recovery:", f"  {summary.get('headline') or 'not measured'}"]
    levels = [(level, f"rto_{level_label(level)}_s") for level in scenario.run.rto_levels]
    if any(name in metrics for _, name in levels):
        lines.append("  Recovery curve (from the fault that made the endpoint unhealthy):")
        for level, name in levels:
            if name in metrics:
                label = f"sign-ins back to {100 * level:g} % of baseline"
                lines.append(format_metric_line("  " + label, metrics[name], "s", width=36))
    count = int(number(metrics.get("incidents", {}).get("mean")) or 0)
    for n in range(1, count + 1) if count > 1 else ():
        start = number(metrics.get(f"incident.{n}.start_s", {}).get("mean"))
        parts = [f"incident {n}" + (f" at {format_clock(start)}" if start is not None else "")]
        for key, label in (("detection_s", "detection"), ("rto_s", "RTO"),
                           ("rpo_writes", "writes at risk")):
            entry = metrics.get(f"incident.{n}.{key}")
            if entry is not None and number(entry.get("mean")) is not None:
                kind = "count" if key == "rpo_writes" else "s"
                parts.append(f"{label} {terminal_value(entry.get('mean'), kind)}")
        lines.append("  " + ", ".join(parts))
    notes = summary.get("notes") or {}
    shown = [name for name, _, _ in HEADLINE if name in notes]
    shown += [name for _, name in levels if name in notes]
    if shown:
        lines.append("  Notes:")
        lines += [f"    {name}: {notes[name]}" for name in dict.fromkeys(shown)]
    return lines


def summary_text(output: Any, directory: Path | None) -> str:
    """The human-readable summary of a run."""
    scenario = output.scenario
    metrics: Mapping[str, Mapping[str, Any]] = output.summary.get("metrics", {})
    n_ok = sum(1 for r in output.results if r.status == "ok")
    lines = [
        f"drsim run: {scenario.name} — seed {scenario.run.seed}, "
        f"{n_ok} of {scenario.run.replications} replications ok, "
        f"{terminal_value(scenario.run.duration, 's')} simulated each, "
        f"wall time {output.wall_s:.1f} s",
    ]
    question = (scenario.description or "").strip().splitlines()
    if question:
        lines.append(f"  {question[0]}")
    lines += ["", *recovery_lines(output.summary, scenario)]
    lines += ["", "Headline metrics (mean over replications, 95% CI):",
              *headline_lines(metrics)]
    lines += ["", "Failed sign-ins by cause:",
              *cause_lines(metrics, "failed_logins.", "failed_logins")]
    lines += ["", "Failed other operations (sign-up, update, password, refresh, sign-out) "
                  "by cause:",
              *cause_lines(metrics, "failed_operations_by_cause.", "failed_operations")]
    lines += ["", "Stale profile reads by cause:",
              f"  {staleness_origin_words({k: number(e.get('mean')) for k, e in metrics.items()})}",
              *cause_lines(metrics, "stale_reads.", "stale_reads", every=True)]
    ages = staleness_age_lines(metrics)
    if ages:
        lines += ["", "Staleness age of stale reads by cause (p50 / p90 / p99):", *ages]
    lines += people_lines(metrics)
    lines += overload_lines(output.summary, scenario)
    if "split_brain_s" in metrics:
        lines += ["", "Split brain:", f"  {split_brain_text(metrics)}"]
    lines += ["", "Fault timeline:", *timeline_lines(output)]
    if output.failed:
        lines += [
            "",
            f"FAILED replications: {', '.join(str(r.replication) for r in output.failed)}",
        ]
    if directory is not None:
        lines += ["", f"Results written to {directory}/"]
    return "\n".join(lines)


def _report_failure(result: Any) -> None:
    if result.status != "ok":
        click.echo(
            f"drsim run: replication {result.replication} failed: {(result.error or '').strip()}",
            err=True,
        )


def _command_line(params: Mapping[str, Any]) -> list[str]:
    args = ["drsim", "run", str(params["scenario"])]
    for flag, key in (
        ("-o", "output_dir"),
        ("--reps", "reps"),
        ("--seed", "seed"),
        ("--jobs", "jobs"),
    ):
        if params.get(key) is not None:
            args += [flag, str(params[key])]
    for item in params.get("overrides") or ():
        args += ["--set", item]
    args += [
        flag
        for flag, key in (("--json", "as_json"), ("--no-charts", "no_charts"), ("--quiet", "quiet"))
        if params.get(key)
    ]
    return args


@click.command("run")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output directory [default: results/<scenario>/<UTC timestamp>/].",
)
@click.option(
    "--reps",
    type=click.IntRange(1, 10_000),
    default=None,
    help="Replications (overrides run.replications).",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=None, help="Root seed (overrides run.seed)."
)
@set_option
@click.option(
    "--json", "as_json", is_flag=True, help="Print exactly one JSON object (the summary) on stdout."
)
@click.option("--no-charts", is_flag=True, help="Do not render the PNG charts.")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary text.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Local worker processes; 1 runs in this process [default: all cores].",
)
@click.option(
    "--records",
    type=click.Choice(["first", "all", "none"]),
    default="first",
    show_default=True,
    help="Whose record tables to write as parquet: replication 0 (what the charts and "
    "timeline show), every replication, or none.",
)
def run_command(
    scenario: Path,
    output_dir: Path | None,
    reps: int | None,
    seed: int | None,
    overrides: Sequence[str],
    as_json: bool,
    no_charts: bool,
    quiet: bool,
    jobs: int | None,
    records: str,
) -> None:
    """Run SCENARIO's replications and summarise what the outage cost."""
    from drsim import api
    from drsim.output import default_run_dir, summary_json
    from drsim.scenario import ScenarioError

    params = click.get_current_context().params
    try:
        loaded = api.load(scenario, overrides)
        loaded = api.with_run_settings(loaded, reps, seed)
    except ScenarioError as exc:
        report_scenario_error(exc)
        sys.exit(EXIT_BAD_INPUT)
    except ValueError as exc:
        click.echo(f"drsim run: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except OSError as exc:
        click.echo(f"{scenario}: cannot read the scenario: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)

    progress = not quiet and sys.stderr.isatty()
    # with --json, stdout carries the JSON object and nothing else
    guard = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    with guard:
        output = api.run(
            loaded,
            jobs=jobs,
            keep_records={"all": True, "first": "first", "none": False}[records],
            progress=progress,
            on_result=_report_failure,
            command=_command_line(params),
        )
        directory = output_dir or default_run_dir(loaded.name)
        try:
            output.save(directory, charts=not no_charts)
        except OSError as exc:
            click.echo(f"drsim run: cannot write results to {directory}: {exc}", err=True)
            sys.exit(1)

    if as_json:
        click.echo(summary_json(output.summary), nl=False)
        if not quiet:
            click.echo(f"Results written to {directory}/", err=True)
    elif not quiet:
        click.echo(summary_text(output, directory))
    if output.failed:
        click.echo(
            f"drsim run: {len(output.failed)} of {len(output.results)} replications "
            f"failed (see {Path(directory) / 'manifest.yaml'})",
            err=True,
        )
        sys.exit(1)


COMMANDS = (run_command,)
