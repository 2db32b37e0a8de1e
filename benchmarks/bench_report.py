"""The benchmark table, the issue-6 goal checks, and their record in ``RESULTS.md``.

Pure functions of the cases' measurements (dicts from :mod:`cases`), so they
can be tested without running anything. ``RESULTS.md`` keeps hand-written
analysis around two machine-written parts: the *latest run* block (between
:data:`LATEST_BEGIN` and :data:`LATEST_END`, replaced on every run) and the
*history* table (one row appended per run after :data:`HISTORY_MARK`).
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LATEST_BEGIN = "<!-- bench:latest:begin -->"
LATEST_END = "<!-- bench:latest:end -->"
HISTORY_MARK = "<!-- bench:history (rows are appended below) -->"
HISTORY_HEADER = (
    "| date (UTC) | machine | load 1 min (start→end) | reference req/s (wall · CPU) | "
    "floor req/s (wall · CPU) | ratio (wall · CPU) | 10 M users peak RSS | "
    "sweep efficiency |\n|---|---|---|---|---|---|---|---|"
)
MIB = 1024 * 1024
BYTES_PER_USER_GOAL = 200
BYTES_PER_REQUEST_GOAL = 64
FLOOR_RATIO_GOAL = 1.0
EFFICIENCY_GOAL = 0.90
TEN_M_RSS_GOAL = 4 * 1024**3


def machine_info() -> dict[str, Any]:
    """Date, cores, CPU model, Python and library versions, load average."""
    import numpy
    import pandas
    import simpy

    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "commit": source_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": cores,
        "cpu": model,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "simpy": simpy.__version__,
        "pandas": pandas.__version__,
        "load_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan,
    }


def source_version() -> str:
    """The drsim commit measured (short hash, ``+dirty`` when src/ has local changes)."""
    repo = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, text=True,
                              capture_output=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=repo,
                               text=True, capture_output=True, check=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty.strip() else "")


def machine_line(machine: dict[str, Any]) -> str:
    """One line: date, machine and versions."""
    return (f"{machine['date']} · drsim {machine.get('commit', 'unknown')} · "
            f"nproc {machine['nproc']} · {machine['cpu']} · "
            f"Python {machine['python']} · numpy {machine['numpy']} · "
            f"SimPy {machine['simpy']} · pandas {machine['pandas']} · load average (1 min) "
            f"{machine['load_start']:.1f} at start, {machine.get('load_end', math.nan):.1f} at end")


# ---------------------------------------------------------------------------- formatting


def _num(x: float | None, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return f"{x:,.{digits}f}"


def _hours(seconds: float | None) -> str:
    if not seconds:
        return "—"
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds / 60:g} min"


def _users(n: int | None) -> str:
    if not n:
        return "—"
    for div, unit in ((1_000_000, "M"), (1_000, "k")):
        if n >= div and n % (div // 10) == 0:
            return f"{n / div:g} {unit}"
    return f"{n:,}"


def _ok(r: dict[str, Any] | None) -> bool:
    return bool(r) and r.get("status", "ok") == "ok"


def rate(r: dict[str, Any], clock: str = "wall_s", count: str = "requests") -> float:
    """``count`` per second of ``clock`` (NaN when the case failed or did not run)."""
    if not _ok(r) or not r.get(clock) or count not in r:
        return math.nan
    return r[count] / r[clock]


def model_rss(r: dict[str, Any], baseline: dict[str, Any] | None) -> float:
    """Peak RSS above the import-only baseline (bytes)."""
    if not _ok(r) or not _ok(baseline):
        return math.nan
    return r["peak_rss_bytes"] - baseline["peak_rss_bytes"]


def memory_budget(r: dict[str, Any]) -> float:
    """Issue 6's memory goal for a run: 200 B per user + 64 B per recorded request."""
    return BYTES_PER_USER_GOAL * r["users"] + BYTES_PER_REQUEST_GOAL * r["requests"]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


COLUMNS = ["#", "case", "users", "sim. time", "requests", "wall s", "CPU s",
           "requests/s (wall · CPU)", "events/s (wall · CPU)", "peak RSS MiB",
           "directory B/user", "records B/request", "RSS over baseline ÷ goal"]


def _model_row(label: str, title: str, r: dict[str, Any] | None,
               baseline: dict[str, Any] | None) -> str:
    if not r:
        return _row([label, title, *["not run"] + ["—"] * (len(COLUMNS) - 3)])
    if not _ok(r):
        return _row([label, title, f"FAILED: {r.get('error', '')}"] + ["—"] * (len(COLUMNS) - 3))
    has_events = "events" in r
    if r.get("repeat", 1) > 1:
        title += f" — best of {r['repeat']}"
    over = model_rss(r, baseline)
    budget = memory_budget(r) if has_events else math.nan
    return _row([
        label, title, _users(r.get("users")), _hours(r.get("sim_s")),
        _num(r.get("requests")), _num(r.get("wall_s"), 1), _num(r.get("cpu_s"), 1),
        f"{_num(rate(r))} · {_num(rate(r, 'cpu_s'))}",
        f"{_num(rate(r, count='events'))} · {_num(rate(r, 'cpu_s', 'events'))}"
        if has_events else "—",
        _num(r["peak_rss_bytes"] / MIB),
        _num(r["directory_bytes"] / r["users"], 1) if "directory_bytes" in r else "—",
        _num(r["records_bytes"] / r["requests"], 1) if "records_bytes" in r else "—",
        f"{_num(over / MIB)} MiB ÷ {_num(budget / MIB)} MiB = {over / budget:.2f}"
        if has_events and math.isfinite(over) else "—",
    ])


def turn_ratios(model: dict[str, Any], floor: dict[str, Any]) -> list[float]:
    """Model ÷ floor in requests per CPU second, turn by turn (side-by-side cases only)."""
    if floor.get("name") not in model.get("turns_with", ()):
        return []
    return [(model["requests"] / m) / (floor["requests"] / f)
            for f, m in zip(floor["cpu_runs_s"], model["cpu_runs_s"], strict=True)]


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if math.isfinite(a) and math.isfinite(b) and b else "—"


def _note_row(label: str, title: str, rate_cell: str, note: str = "") -> str:
    cells = [label, title] + [""] * (len(COLUMNS) - 2)
    cells[COLUMNS.index("requests/s (wall · CPU)")] = rate_cell
    if note:
        cells[COLUMNS.index("RSS over baseline ÷ goal")] = note
    return _row(cells)


def _sweep_row(label: str, title: str, r: dict[str, Any] | None) -> str:
    cells = [label, title] + ["—"] * (len(COLUMNS) - 2)
    if not r:
        cells[2] = "not run"
    elif not _ok(r):
        cells[2] = f"FAILED: {r.get('error', '')}"
    else:
        cells[2] = _users(r["users"])
        cells[3] = _hours(r["sim_s"])
        cells[4] = f"{r['runs']} runs ({r['points']} points × {r['runs'] // r['points']} reps)"
        cells[5] = _num(r["wall_s"], 1)
        cells[9] = _num(r["peak_rss_bytes"] / MIB)
        if r.get("failed"):
            cells[12] = f"{r['failed']} runs failed"
    return _row(cells)


def render_table(results: dict[str, dict[str, Any]]) -> str:
    """The one benchmark table (Markdown), from the cases' results by name."""
    get = results.get
    base = get("baseline")
    ref, seq, floor = get("reference"), get("reference-sequential"), get("floor")
    lines = [_row(COLUMNS), _row(["---"] * len(COLUMNS))]
    lines.append(_model_row("0", "baseline: interpreter + drsim imports, scenario loaded",
                            base, None) if base else _model_row("0", "baseline", None, None))
    lines.append(_model_row("1", "reference workload, batched core", ref, base))
    lines.append(_model_row("1b", "reference workload, `batch=False` (one at a time)", seq, base))
    cap = get("reference-capacity")
    lines.append(_model_row("1c", "reference workload with capacity on (queues ≈ 50 % busy, "
                            "clients time out), batched", cap, base))
    lines.append(_model_row("2", "SimPy floor: same arrivals, one `env.timeout` each", floor,
                            base))
    ref_w, ref_c = rate(ref) if ref else math.nan, rate(ref, "cpu_s") if ref else math.nan
    fl_w, fl_c = rate(floor) if floor else math.nan, rate(floor, "cpu_s") if floor else math.nan
    sq_w, sq_c = rate(seq) if seq else math.nan, rate(seq, "cpu_s") if seq else math.nan
    pairs = turn_ratios(ref, floor) if ref and floor else []
    lines.append(_note_row("3", "ratio reference ÷ floor (requests/s)",
                           f"{_ratio(ref_w, fl_w)} · {_ratio(ref_c, fl_c)}",
                           f"goal ≥ {FLOOR_RATIO_GOAL:.1f}×" + (
                               f"; CPU ratio of each side-by-side turn: "
                               f"{', '.join(f'{x:.2f}×' for x in pairs)}" if pairs else "")))
    lines.append(_note_row("3b", "ratio `batch=False` ÷ floor; batched ÷ `batch=False`",
                           f"{_ratio(sq_w, fl_w)} · {_ratio(sq_c, fl_c)}; "
                           f"{_ratio(ref_w, sq_w)} · {_ratio(ref_c, sq_c)}",
                           "gain of batching"))
    cap_pairs = turn_ratios(cap, floor) if cap and floor else []
    lines.append(_note_row("3c", "ratio reference with capacity on ÷ floor (requests/s)",
                           f"{_ratio(rate(cap), fl_w)} · {_ratio(rate(cap, 'cpu_s'), fl_c)}"
                           if _ok(cap) else "—",
                           f"goal ≥ {FLOOR_RATIO_GOAL:.1f}×" + (
                               f"; CPU ratio of each side-by-side turn: "
                               f"{', '.join(f'{x:.2f}×' for x in cap_pairs)}"
                               if cap_pairs else "")))
    for label, name, note in (("4a", "scale-100k", ""), ("4b", "reference", " (= row 1)"),
                              ("4c", "scale-10M", ""),
                              ("4d", "scale-half-traffic", ", half the traffic"),
                              ("4e", "scale-full-traffic", ", full traffic, in turns with 4d")):
        r = get(name)
        who = f"{_users(r['users'])} users" if r and "users" in r else name
        lines.append(_model_row(label, f"scale: {who}{note}", r, base))
    s1, s2 = get("sweep-1"), get("sweep-2")
    lines.append(_sweep_row("5a", "sweep, 1 worker", s1))
    lines.append(_sweep_row("5b", "sweep, 2 workers", s2))
    eff = efficiency(results)
    parts = efficiency_parts(results)
    lines.append(_note_row("5c", "sweep parallel efficiency T1 ÷ (2 × T2)",
                           f"{eff:.0%}" if math.isfinite(eff) else "—",
                           f"goal ≥ {EFFICIENCY_GOAL:.0%}; per-run slowdown on 2 workers "
                           f"{parts['slowdown']:.2f}×, worker utilisation "
                           f"{parts['utilisation']:.0%}" if parts else
                           f"goal ≥ {EFFICIENCY_GOAL:.0%}"))
    return "\n".join(lines)


def efficiency_parts(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Slowdown, utilisation and 1-worker overhead of the sweep (empty if unavailable)."""
    s1, s2 = results.get("sweep-1"), results.get("sweep-2")
    if not (_ok(s1) and _ok(s2)) or not s1.get("busy_s") or not s2.get("busy_s"):
        return {}
    from sweep_scaling import efficiency_parts as parts

    return parts(s1, s2)


def efficiency(results: dict[str, dict[str, Any]]) -> float:
    """Sweep parallel efficiency on 2 workers (NaN if a sweep case is missing)."""
    s1, s2 = results.get("sweep-1"), results.get("sweep-2")
    if not (_ok(s1) and _ok(s2)):
        return math.nan
    return s1["wall_s"] / (2 * s2["wall_s"])


FOOTNOTES = """\
- **requests**: request attempts = rows of the `requests` table (first attempts, retries,
  attackers' guesses). The floor's requests are the arrival stream's first attempts.
- **events**: request attempts + replication applies (`writes` rows with `applied_s` set)
  + control-plane SimPy events (every `env.step` of the control plane, counted in an untimed
  replay).
- **wall s / CPU s**: the timed part only — `drsim.model.simulate` for model cases (arrival
  generation, directory, control plane, data plane, record tables), the event loop alone for
  the floor, `run_sweep` (worker start-up included) for sweeps; "best of N": the least of N
  runs in the same process (the least disturbed one on a shared machine). CPU s is the
  process's own CPU time: the steadier figure on a shared machine; wall s includes waiting
  for a core.
- **peak RSS**: `ru_maxrss` of the case's own process (each case runs in a fresh process,
  read with `os.wait4`; a model case timed best of N, and each part of a side-by-side case
  (rows 1, 1c and 2, 4d and 4e: they take turns in one process), is run once more, alone,
  for it).
  **RSS over baseline** subtracts row 0 (imports); its goal is 200 B × users + 64 B ×
  recorded requests (issue 6).
- **directory B/user**: `records.meta["directory_bytes"]` ÷ users (initial population).
  **records B/request**: memory of the `requests` table ÷ its rows."""


def goals(results: dict[str, dict[str, Any]]) -> list[str]:
    """Issue 6's benchmark goals, each with its measured value and met / NOT met."""
    get = results.get
    ref, floor, base = get("reference"), get("floor"), get("baseline")
    out = []

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("met" if ok else "NOT met")

    for r, title in ((ref, "Reference"), (get("reference-capacity"),
                                          "Reference with capacity on (issue 17)")):
        if _ok(r) and _ok(floor):
            w = rate(r) / rate(floor)
            c = rate(r, "cpu_s") / rate(floor, "cpu_s")
            out.append(f"{title} ≥ 1.0× the SimPy floor (requests/s): {w:.2f}× wall, "
                       f"{c:.2f}× CPU — {verdict(c >= FLOOR_RATIO_GOAL)} (judged on CPU time).")
    memory = []
    for name in ("scale-100k", "reference", "scale-10M", "scale-half-traffic"):
        r = get(name)
        if _ok(r) and _ok(base):
            ratio = model_rss(r, base) / memory_budget(r)
            memory.append((name, ratio))
    if memory:
        text = ", ".join(f"{_users(get(n)['users'])}{' ½ traffic' if 'half' in n else ''}: "
                         f"{x:.2f}" for n, x in memory)
        out.append(f"Peak memory ≤ 200 B/user + 64 B/request (RSS over baseline ÷ goal): {text} "
                   f"— {verdict(all(x <= 1.0 for _, x in memory))}.")
    big = get("scale-10M")
    if _ok(big):
        out.append(f"10 M users fit in 4 GiB: peak RSS {big['peak_rss_bytes'] / 1024**3:.2f} GiB "
                   f"— {verdict(big['peak_rss_bytes'] <= TEN_M_RSS_GOAL)}.")
    small, half = get("scale-100k"), get("scale-half-traffic")
    full = get("scale-full-traffic") if _ok(get("scale-full-traffic")) else ref
    if _ok(full) and _ok(half):
        x = half["cpu_s"] / full["cpu_s"]
        y = half["requests"] / full["requests"]
        turns = [f"{h / f:.2f}×" for h, f in zip(half.get("cpu_runs_s", []),
                                                   full.get("cpu_runs_s", []), strict=False)]
        out.append(f"Linear in requests: half the requests ({y:.2f}×) cost {x:.2f}× the CPU "
                   + (f"(each turn: {', '.join(turns)}) " if full is not ref and turns else "")
                   + f"— {verdict(x <= y * 1.15)} (allowing 15 % noise).")
    if _ok(ref) and _ok(small) and _ok(big):
        per_user = (big["cpu_s"] - small["cpu_s"]) / (big["users"] - small["users"])
        ratio = big["cpu_s"] / small["cpu_s"]
        out.append(f"At most linear in users: CPU at {_users(small['users'])} → "
                   f"{_users(ref['users'])} → {_users(big['users'])} users = "
                   f"{small['cpu_s']:.1f} → {ref['cpu_s']:.1f} → {big['cpu_s']:.1f} s "
                   f"({ratio:.2f}× for {big['users'] / small['users']:g}× the users; "
                   f"marginal {per_user * 1e6:.2f} µs/user) "
                   f"— {verdict(ratio <= big['users'] / small['users'])}.")
    eff = efficiency(results)
    if math.isfinite(eff):
        parts = efficiency_parts(results)
        why = (f" Decomposed: runs took {parts['slowdown']:.2f}× as long each on 2 workers as "
               f"on 1 (cores shared with other load), the 2 workers were busy "
               f"{parts['utilisation']:.0%} of the time, 1-worker overhead "
               f"{parts['overhead_1']:.2f}×." if parts else "")
        out.append(f"Sweep parallel efficiency ≥ 90 % on 2 workers: {eff:.0%} "
                   f"— {verdict(eff >= EFFICIENCY_GOAL)}.{why}")
    return out


def render_report(results: dict[str, dict[str, Any]], machine: dict[str, Any],
                  total_wall_s: float) -> str:
    """The latest-run block: machine, table, footnotes, goals."""
    goal_lines = "\n".join(f"- {g}" for g in goals(results)) or "- (no goal could be evaluated)"
    return (f"Machine: {machine_line(machine)}. `make bench` took {total_wall_s:.0f} s.\n\n"
            f"{render_table(results)}\n\n{FOOTNOTES}\n\n**Goals of issue 6:**\n\n{goal_lines}\n")


def history_row(results: dict[str, dict[str, Any]], machine: dict[str, Any]) -> str:
    """One history line summarising a run."""
    get = results.get
    ref, floor, big = get("reference") or {}, get("floor") or {}, get("scale-10M") or {}
    eff = efficiency(results)
    return _row([
        machine["date"], f"{machine['nproc']}× {machine['cpu']}, Python {machine['python']}, "
        f"numpy {machine['numpy']}, drsim {machine.get('commit', 'unknown')}",
        f"{machine['load_start']:.1f} → {machine.get('load_end', math.nan):.1f}",
        f"{_num(rate(ref))} · {_num(rate(ref, 'cpu_s'))}",
        f"{_num(rate(floor))} · {_num(rate(floor, 'cpu_s'))}",
        f"{_ratio(rate(ref), rate(floor))} · {_ratio(rate(ref, 'cpu_s'), rate(floor, 'cpu_s'))}",
        f"{big['peak_rss_bytes'] / MIB:,.0f} MiB" if _ok(big) else "—",
        f"{eff:.0%}" if math.isfinite(eff) else "—",
    ])


TEMPLATE = f"""# Benchmark results

Written by `make bench` (`benchmarks/harness.py`): the block between the markers is replaced on
every run and one line is appended to the history. The analysis further down is written by hand.

{LATEST_BEGIN}
{LATEST_END}

## History

{HISTORY_MARK}
{HISTORY_HEADER}
"""


def update_results(path: Path, block: str, history: str) -> None:
    """Replace the latest-run block of ``path`` and append ``history`` to its history table.

    A missing file is created from :data:`TEMPLATE`; text outside the markers is kept.
    """
    text = path.read_text() if path.exists() else TEMPLATE
    if LATEST_BEGIN not in text or LATEST_END not in text:
        text = text.rstrip("\n") + f"\n\n{LATEST_BEGIN}\n{LATEST_END}\n"
    head, rest = text.split(LATEST_BEGIN, 1)
    _, tail = rest.split(LATEST_END, 1)
    text = f"{head}{LATEST_BEGIN}\n## Latest run\n\n{block.strip()}\n{LATEST_END}{tail}"
    if HISTORY_MARK not in text:
        text = text.rstrip("\n") + f"\n\n## History\n\n{HISTORY_MARK}\n{HISTORY_HEADER}\n"
    head, tail = text.split(HISTORY_MARK, 1)
    table, blank, after = tail.lstrip("\n").partition("\n\n")
    if not table.startswith("| date"):
        table, blank, after = HISTORY_HEADER, "\n\n", tail.lstrip("\n")
    table = table.rstrip("\n") + "\n" + history
    text = f"{head}{HISTORY_MARK}\n{table}{blank if after else chr(10)}{after}"
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
