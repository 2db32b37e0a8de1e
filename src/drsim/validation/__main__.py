"""``python -m drsim.validation``: run the validation cases and write the report.

Usage::

    python -m drsim.validation                       # every case, full sizes
    python -m drsim.validation --quick               # small sizes (what `make test` uses)
    python -m drsim.validation -o docs/validation.md # also write the Markdown report
    python -m drsim.validation -k pbs -k 1.2         # only cases whose number or slug matches
    python -m drsim.validation --jobs 2              # cases in two worker processes

Exit status: 0 when every case is within tolerance, 1 when one is not (or
raised), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from drsim.validation import all_cases
from drsim.validation.core import Case, CaseResult, run_case
from drsim.validation.report import console_line, markdown


def _select(cases: list[Case], patterns: list[str]) -> list[Case]:
    if not patterns:
        return cases
    return [c for c in cases if any(p == c.number or p in c.slug for p in patterns)]


def _run_by_slug(slug: str, quick: bool) -> CaseResult:
    case = next(c for c in all_cases() if c.slug == slug)
    return run_case(case, quick)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m drsim.validation",
        description="Run drsim's validation cases (theory, a paper, measurements, vendor "
        "statements) and report each against its tolerance.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (fast, weaker)")
    parser.add_argument("-o", "--output", type=Path, help="write the Markdown report here")
    parser.add_argument("-k", "--only", action="append", default=[], metavar="CASE",
                        help="run cases whose number equals or slug contains CASE (repeatable)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs: expected a whole number ≥ 1, got {args.jobs}")

    cases = _select(all_cases(), args.only)
    if args.list:
        for case in cases:
            print(f"{case.number:>5} {case.slug:<28} {case.title}")
        return 0
    if not cases:
        parser.error(f"no case matches {args.only}")

    print(f"drsim validation: {len(cases)} cases{' (quick)' if args.quick else ''}",
          file=sys.stderr)
    results: list[CaseResult] = []
    if args.jobs == 1:
        for case in cases:
            result = run_case(case, args.quick)
            print(console_line(result), file=sys.stderr, flush=True)
            results.append(result)
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(_run_by_slug, c.slug, args.quick) for c in cases]
            for future in futures:
                result = future.result()
                print(console_line(result), file=sys.stderr, flush=True)
                results.append(result)

    command = "python -m drsim.validation" + (" --quick" if args.quick else "")
    if args.output is not None:
        if args.output.parent and not args.output.parent.exists():
            args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(markdown(results, args.quick, command), encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    failed = [r for r in results if not r.passed]
    print(f"{len(results) - len(failed)} of {len(results)} cases within tolerance"
          + (f"; failing: {', '.join(r.case.slug for r in failed)}" if failed else ""),
          file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
