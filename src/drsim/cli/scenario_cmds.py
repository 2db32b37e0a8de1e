"""Scenario commands: ``drsim validate``, ``describe``, ``schema`` and ``scenarios``.

They answer "is my scenario right?" before anything is simulated: validate
checks files (exit 2 with ``FILE:LINE: key.path: message`` lines if not),
describe summarises one, schema prints the JSON Schema of the language (for
editors), scenarios lists the shipped ones with the question each answers.
"""

from __future__ import annotations

import json

import click

from drsim.cli.common import (
    EXIT_BAD_INPUT,
    first_line,
    load_or_exit,
    report_scenario_error,
    report_warnings,
    set_option,
)
from drsim.scenario import (
    ScenarioError,
    check_scenario,
    load_scenario,
    resolved_yaml,
    shipped_scenarios,
)
from drsim.scenario.describe import describe as describe_text
from drsim.scenario.jsonschema import scenario_json_schema


@click.command()
@click.argument("files", nargs=-1, required=True)
@set_option
@click.option("--strict", is_flag=True,
              help="Treat warnings (legal but suspect settings) as errors: exit 2.")
def validate(files: tuple[str, ...], overrides: tuple[str, ...], strict: bool) -> None:
    """Check scenario FILES (paths or shipped names); exit 2 if any is invalid.

    Legal but suspect settings (a fault outlasting the run, no clients named) print a
    ``warning:`` line each and do not change the exit status unless ``--strict``.
    """
    failed = False
    for file in files:
        try:
            scenario, warnings = check_scenario(file, overrides)
        except ScenarioError as error:
            report_scenario_error(error)
            failed = True
            continue
        report_warnings(warnings, as_errors=strict)
        if strict and warnings:
            failed = True
            continue
        question = first_line(scenario.description)
        click.echo(
            f"ok  {file}  ({scenario.name}: {question})"
            if question
            else f"ok  {file}  ({scenario.name})"
        )
    if failed:
        raise SystemExit(EXIT_BAD_INPUT)


@click.command()
@click.argument("file")
@set_option
@click.option("--yaml", "as_yaml", is_flag=True, help="Print the fully resolved scenario as YAML.")
def describe(file: str, overrides: tuple[str, ...], as_yaml: bool) -> None:
    """Summarise scenario FILE (or print it fully resolved with --yaml)."""
    scenario = load_or_exit(file, overrides)
    click.echo(resolved_yaml(scenario) if as_yaml else describe_text(scenario), nl=not as_yaml)


@click.command()
def schema() -> None:
    """Print the JSON Schema of the scenario language."""
    click.echo(json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False))


@click.command()
def scenarios() -> None:
    """List the shipped scenarios and the question each one answers."""
    rows: list[tuple[str, str]] = []
    for path in shipped_scenarios():
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            rows.append((path.stem, f"INVALID: {error.problems[0]}"))
            continue
        rows.append((path.stem, first_line(scenario.description)))
    if not rows:
        click.echo("no shipped scenarios found (set DRSIM_SCENARIOS to their directory)")
        return
    width = max(len("NAME"), *(len(name) for name, _ in rows))
    click.echo(f"{'NAME':<{width}}  QUESTION")
    for name, question in rows:
        click.echo(f"{name:<{width}}  {question}")


COMMANDS = (validate, describe, schema, scenarios)
