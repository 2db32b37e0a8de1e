"""Reports: a DR run, comparison or sweep as figures and a document a design review can read.

* :mod:`~drsim.report.run_charts`, :mod:`~drsim.report.sweep_charts`,
  :mod:`~drsim.report.review_charts` — pure chart functions (DataFrame in,
  Figure out), one grey-scale-safe style with units on every axis;
* :func:`build_report` / :func:`write_report` — ``drsim report DIR``: one
  self-contained HTML file (or Markdown with PNGs beside it) with the question,
  the design in plain words, headline metrics with CIs and readings, and the
  charts of a run, a comparison or a sweep.

Submodules are imported on use, so ``import drsim.report`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ReportError", "build_report", "write_report"]

if TYPE_CHECKING:
    from drsim.report.build import build_report, write_report
    from drsim.report.errors import ReportError


def __getattr__(name: str) -> Any:
    """Lazy re-exports (PEP 562)."""
    if name in ("build_report", "write_report"):
        from drsim.report import build

        return getattr(build, name)
    if name == "ReportError":
        from drsim.report.errors import ReportError

        return ReportError
    raise AttributeError(f"module 'drsim.report' has no attribute {name!r}")
