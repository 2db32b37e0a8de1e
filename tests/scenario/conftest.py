"""Shared helpers for the scenario-language tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from drsim.cli import main

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
REFERENCE = SCENARIOS / "cognito-active-passive.yaml"


def run_cli(*args: str) -> tuple[int, str]:
    """Run ``drsim ARGS``; return (exit code, stdout and stderr together)."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def shipped_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty shipped-scenarios directory (``$DRSIM_SCENARIOS``)."""
    directory = tmp_path / "shipped"
    directory.mkdir()
    monkeypatch.setenv("DRSIM_SCENARIOS", str(directory))
    return directory
