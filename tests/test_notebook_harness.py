"""The harness itself can fail, and says where: notebook, cell and error."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from malicourse.notebooks import NotebookError, execute


def write(tmp_path, *cells):
    path = tmp_path / "broken.ipynb"
    nbformat.write(new_notebook(cells=list(cells)), path)
    return path


def test_a_failing_cell_is_named(tmp_path):
    path = write(
        tmp_path,
        new_markdown_cell("# A lesson"),
        new_code_cell("total = 1 + 1"),
        new_code_cell("shares = total / 0"),
    )
    with pytest.raises(NotebookError) as failure:
        execute(path)
    message = str(failure.value)
    assert "broken.ipynb" in message
    assert "cell 3 of 3" in message and "shares = total / 0" in message
    assert "ZeroDivisionError" in message


def test_a_notebook_runs_in_its_own_folder(tmp_path):
    (tmp_path / "beside.txt").write_text("here")
    path = write(tmp_path, new_code_cell("assert open('beside.txt').read() == 'here'"))
    assert execute(path).seconds > 0


def test_a_hanging_cell_is_stopped(tmp_path):
    path = write(tmp_path, new_code_cell("import time; time.sleep(60)"))
    with pytest.raises(NotebookError, match="longer than 2 s"):
        execute(path, cell_timeout=2)


def test_a_slow_notebook_is_stopped(tmp_path):
    path = write(tmp_path, *[new_code_cell("import time; time.sleep(1)") for _ in range(30)])
    with pytest.raises(NotebookError, match="did not finish within 4 s"):
        execute(path, notebook_timeout=4)
