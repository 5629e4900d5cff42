"""Lessons teach in short steps: no code cell longer than 15 lines.

A longer cell is a sign that logic belongs in the package (a function in src/malicourse with a
test of its own) or that the cell does two things. Cramming it onto fewer lines is not a fix:
ruff's line length and format checks run on the notebooks too.
"""

import nbformat
import pytest
from conftest import ROOT

from malicourse import evidence
from malicourse.data import load

MAX_LINES = 15
LESSONS = sorted(ROOT.glob("notebooks/*.ipynb"))


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_lesson_code_cell_is_longer_than_15_lines(path):
    notebook = nbformat.read(path, as_version=4)
    long = {
        index: n
        for index, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "code" and (n := len(cell.source.strip().splitlines())) > MAX_LINES
    }
    assert not long, (
        f"{path.name}: code cells longer than {MAX_LINES} lines (cell: lines): {long}; move "
        "the logic into a function of the package, or split the cell where the idea changes"
    )


def test_the_documents_lesson_05_cites_exist():
    known = set(load("sources")["source_id"])
    missing = {
        topic: [s for s in ids if s not in known]
        for topic, ids in evidence.counter_arguments().items()
    }
    assert not any(missing.values()), f"not in data/sources.csv: {missing}"
