"""Errors of experiment definitions: bad sweep parameters, ranges or output directories.

A :class:`SweepError` is a person's mistake (an unknown parameter path, an
empty value list, a range whose low end is above its high end, a results
directory that holds a different sweep). Its message is one line that names
the offending option; the CLI prints it and exits with code 2, never with a
traceback.
"""

from __future__ import annotations


class SweepError(ValueError):
    """Bad input to a sweep or a comparison; the message is one line for people."""
