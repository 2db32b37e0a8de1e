"""What every drsim command shares: loading scenarios and reporting bad input.

Bad input is the user's problem to fix, not a crash: a :class:`ScenarioError`
is printed to stderr as ``FILE:LINE: key.path: message`` lines and the command
exits with status 2, without a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from drsim.scenario import Problem, Scenario, ScenarioError, check_scenario

EXIT_BAD_INPUT = 2
"""Exit status for invalid scenarios and usage errors (same as click's usage errors)."""

F = TypeVar("F", bound=Callable[..., Any])


def report_scenario_error(error: ScenarioError) -> None:
    """Print a scenario error to stderr, one ``FILE:LINE: key.path: message`` per line."""
    click.echo(str(error), err=True)


@contextmanager
def exit_on_scenario_error() -> Iterator[None]:
    """Turn a :class:`ScenarioError` raised inside the block into stderr text + exit 2."""
    try:
        yield
    except ScenarioError as error:
        report_scenario_error(error)
        raise SystemExit(EXIT_BAD_INPUT) from None


def load_or_exit(source: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load a scenario; on bad input print the problems and exit with status 2.
    Warnings about legal but suspect settings go to stderr."""
    with exit_on_scenario_error():
        scenario, warnings = check_scenario(source, overrides)
    report_warnings(warnings)
    return scenario


def report_warnings(warnings: Sequence[Problem], as_errors: bool = False) -> None:
    """Print warnings to stderr: ``FILE:LINE: key.path: warning: message`` (``error:``
    instead with ``as_errors``)."""
    label = "error" if as_errors else "warning"
    for warning in warnings:
        click.echo(str(warning._replace(message=f"{label}: {warning.message}")), err=True)


def set_option(function: F) -> F:
    """The shared ``--set KEY=VALUE`` option (repeatable), passed as ``overrides``."""
    return click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="KEY=VALUE",
        help="Override one scenario key, e.g. --set dns.ttl=30s (repeatable).",
    )(function)


def first_line(text: str) -> str:
    """The first non-empty line of a text (a scenario's question)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
