"""Report errors: a directory or a target the design-review report cannot use.

Raised for bad user input (``drsim report`` turns it into a one-line message
and exit status 2, never a traceback).
"""

from __future__ import annotations


class ReportError(Exception):
    """The report cannot be built from what the user gave (directory, target, format)."""
