"""The notebooks in notebooks/ run top to bottom on the demo data, so they never rot.

Each notebook is executed by nbclient in a kernel of the Python running the
tests (a kernel spec written for this run, so a ``python3`` kernel installed
elsewhere cannot pick another interpreter without ductplanner). Outputs are
not written back: the committed notebooks stay without outputs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
KERNEL = "ductplanner-tests"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kernel_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Jupyter data folder whose only kernel runs this interpreter."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "ductplanner tests", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    return root


def test_there_are_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01-project-manager-season.ipynb",
        "02-committee-evaluation.ipynb",
    ]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(
    notebook: Path, kernel_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_path))
    monkeypatch.setenv("MPLBACKEND", "agg")
    nb = nbformat.read(notebook, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        f"{notebook.name} is committed with outputs; clear them"
    )
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors == []
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any(o.output_type == "display_data" or "data" in o for o in shown)
