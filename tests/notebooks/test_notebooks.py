"""The notebooks in notebooks/ run top to bottom on the small workload, and are stored clean.

Each notebook is executed with nbclient in a fresh kernel running *this*
interpreter (a kernel spec written to a temporary ``JUPYTER_PATH``, so the
kernel finds drsim whatever ``python`` is on ``PATH``), with
``DRSIM_NOTEBOOK_SMALL=1`` so that it takes seconds. A cell that raises fails
the test. Stored notebooks carry no outputs (they are stripped in git).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ("01-quickstart", "02-ttl-vs-health-check", "03-compare-designs", "04-people")
KERNEL = "drsim-test-python"


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernel spec for the running interpreter, found through JUPYTER_PATH."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "drsim test kernel",
        "language": "python",
    }), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("DRSIM_NOTEBOOK_SMALL", "1")
    return KERNEL


def test_the_notebooks_are_there_and_stripped():
    for name in NAMES:
        notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        nbformat.validate(notebook)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert code, name
        for cell in code:
            assert cell.outputs == [] and cell.execution_count is None, (name, cell.source[:60])


def _outputs_text(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(output["text"])
            elif "data" in output:
                parts.append(output["data"].get("text/plain", ""))
    return "\n".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name, kernel, tmp_path):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name=kernel,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    text = _outputs_text(notebook)
    assert "small workload" in text
    # every notebook ends by writing a design-review report; it exists and is HTML
    report = Path(text.strip().splitlines()[-1].split()[0])
    assert report.name == "report.html" and report.is_file()
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    # the charts were drawn as images in the notebook
    images = [o for c in notebook.cells for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, name
