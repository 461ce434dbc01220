"""Every notebook runs top to bottom on the sample, warning-free, and is committed clean.

Each notebook is executed with nbclient in a fresh ``python3`` kernel (``MPLBACKEND=Agg``)
after a preamble cell that turns warnings into errors, so a warning from pandas, numpy,
scikit-learn or matplotlib fails the run with a traceback naming it. As a second net,
any ``stderr`` output mentioning a warning fails the test too (a warning raised in a
thread or printed by a library that bypasses the filters). A small notebook that
emits a warning proves that both nets catch it.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
EXPECTED = [
    "01_aging.ipynb",
    "02_recovery_and_agency.ipynb",
    "03_promises.ipynb",
    "04_priority_model.ipynb",
    "05_weekly_call_list.ipynb",
]
#: Seconds a single cell may run.
CELL_TIMEOUT = 300

# Charts are rendered as PNG outputs by the inline backend (headless, like Agg), so a
# chart that fails only when drawn fails here. Warnings are errors, except the kernel
# machinery's own deprecations that no notebook can fix (as in pyproject.toml).
PREAMBLE = """\
%matplotlib inline
import warnings
warnings.simplefilter("error")
for _module in ("jupyter_client", "ipykernel", "zmq", "traitlets", "IPython", "comm"):
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=_module)
    warnings.filterwarnings("ignore", category=PendingDeprecationWarning, module=_module)
"""


def execute(path: Path) -> nbformat.NotebookNode:
    """Run a notebook with the warnings preamble; raise on an error or a warning."""
    book = nbformat.read(path, as_version=4)
    book.cells.insert(0, nbformat.v4.new_code_cell(PREAMBLE))
    env_backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"  # the kernel inherits it: no window, no inline
    try:
        NotebookClient(
            book,
            timeout=CELL_TIMEOUT,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    finally:
        if env_backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backend
    for cell in book.cells:
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr" and "warning" in output.get("text", "").lower():
                raise AssertionError(f"{path.name} wrote a warning to stderr: {output['text']}")
    return book


def test_the_five_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom_on_the_sample(path):
    book = execute(path)
    # Every code cell ran (the preamble is cell 0).
    counts = [c.get("execution_count") for c in book.cells if c.cell_type == "code"]
    assert all(n is not None for n in counts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code cell"
    assert all(c.outputs == [] and c.execution_count is None for c in code), (
        f"{path.name} holds outputs; strip them before committing"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_only_the_first_code_cell_names_the_inputs(path):
    # The owner edits one cell: the paths, preset and date appear nowhere else.
    book = nbformat.read(path, as_version=4)
    code = [c.source for c in book.cells if c.cell_type == "code"]
    assert "INVOICES = None" in code[0] and "AS_OF = None" in code[0]
    assert not any("load_sample" in src or "INVOICES =" in src for src in code[1:])


def _notebook_with(tmp_path: Path, source: str) -> Path:
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    book.cells.append(nbformat.v4.new_code_cell(source))
    path = tmp_path / "warns.ipynb"
    nbformat.write(book, path)
    return path


@pytest.mark.slow
def test_a_warning_in_a_notebook_fails_the_run(tmp_path):
    path = _notebook_with(
        tmp_path,
        "import pandas as pd\n"
        "s = pd.Series([1, 2])\n"
        's.fillna(method="ffill")  # deprecated: a FutureWarning in pandas 2.x',
    )
    with pytest.raises(CellExecutionError) as info:
        execute(path)
    assert info.value.ename == "FutureWarning"


@pytest.mark.slow
def test_an_explicit_future_warning_fails_the_run(tmp_path):
    path = _notebook_with(
        tmp_path, 'import warnings\nwarnings.warn("old API", FutureWarning)\nprint("after")'
    )
    with pytest.raises(CellExecutionError) as info:
        execute(path)
    assert (info.value.ename, info.value.evalue) == ("FutureWarning", "old API")


@pytest.mark.slow
def test_a_warning_printed_to_stderr_fails_the_run(tmp_path):
    path = _notebook_with(
        tmp_path, 'import sys\nsys.stderr.write("RuntimeWarning: invalid value\\n")'
    )
    with pytest.raises(AssertionError, match="warning to stderr"):
        execute(path)
