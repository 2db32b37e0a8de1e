"""The ``drsim`` command line: a thin layer over the scenario, model and experiment layers.

Each group of commands lives in its own module exposing ``COMMANDS``; adding one
is a single :func:`_register` line below.
"""

from __future__ import annotations

import importlib

import click

from drsim import __version__
from drsim.cli.common import (
    EXIT_BAD_INPUT,
    exit_on_scenario_error,
    load_or_exit,
    report_scenario_error,
    set_option,
)

__all__ = [
    "EXIT_BAD_INPUT",
    "exit_on_scenario_error",
    "load_or_exit",
    "main",
    "report_scenario_error",
    "set_option",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="drsim")
def main() -> None:
    """drsim: simulate a multi-region identity service through regional failures.

    Scenarios are YAML files (see docs/scenarios.md); shipped ones can be named
    without their path, e.g. `drsim validate cognito-active-passive`.
    """


def _register(module_name: str) -> None:
    """Add a module's commands to ``drsim``: its ``COMMANDS`` tuple if it has one, else
    every click command defined at its top level."""
    module = importlib.import_module(module_name)
    commands = getattr(module, "COMMANDS", None)
    if commands is None:
        commands = [v for v in vars(module).values() if isinstance(v, click.Command)]
    for command in commands:
        main.add_command(command)


# One line per command module.
_register("drsim.cli.scenario_cmds")  # validate, describe, schema, scenarios
_register("drsim.cli.run_cmd")  # run
_register("drsim.cli.sweep_cmd")  # sweep
_register("drsim.cli.compare_cmd")  # compare
_register("drsim.cli.report_cmd")  # report
