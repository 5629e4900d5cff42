"""Every lesson and every solution notebook runs headless from top to bottom."""

import pytest
from conftest import ROOT

from malicourse.notebooks import execute

NOTEBOOKS = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("solutions/*/*.ipynb")])


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_runs_headless(path):
    execute(path)


def test_there_are_notebooks_to_run():
    assert ROOT.joinpath("notebooks", "00_start_here.ipynb") in NOTEBOOKS
