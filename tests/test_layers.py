"""The layer order of docs/architecture.md holds, and its import-linter contract catches a breach.

``scenario → records → model → metrics → experiment → output → report → api →
cli`` (``validation`` beside ``cli``): a module imports only from its own layer
or layers to its left, function-level and ``TYPE_CHECKING`` imports included.
The contract lives in ``pyproject.toml`` (``[tool.importlinter]``); ``make lint``
runs it. These tests run ``lint-imports`` on the real tree and on a copy with a
back-pointing import planted in it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACT = "drsim layers"

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(),
                                reason="import-linter is not installed (pip install -e '.[test]')")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` with ``tree``'s pyproject.toml on ``tree/src/drsim``."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=300,
    )


def copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "src" / "drsim", tree / "src" / "drsim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_real_tree_keeps_the_layers():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "code", "breach"),
    [
        # the model reaching up to the report, hidden in a function
        ("model/_breach.py", "def f():\n    from drsim.report import html\n    return html\n",
         "drsim.model is not allowed to import drsim.report"),
        # a type-only import of the API from the output layer
        ("_breach_output.py", None, "drsim.output is not allowed to import drsim.api"),
        # experiment importing the package root, which re-exports the API
        ("experiment/_breach.py", "import drsim\n", "drsim.experiment is not allowed to import "
         "drsim.api"),
    ],
)
def test_a_back_pointing_import_breaks_the_contract(tmp_path, module, code, breach):
    tree = copy_tree(tmp_path)
    if code is None:  # append to output.py itself: output is a module, not a package
        target = tree / "src" / "drsim" / "output.py"
        target.write_text(target.read_text() + "\nif TYPE_CHECKING:\n"
                          "    from drsim.api import RunOutput as _ApiRunOutput  # noqa: F401\n")
    else:
        (tree / "src" / "drsim" / module).write_text(code)
    result = lint_imports(tree)
    assert result.returncode != 0
    assert f"{CONTRACT}" in result.stdout and "BROKEN" in result.stdout
    assert breach in " ".join(result.stdout.split()), result.stdout
