"""Every lesson and every solution notebook runs headless from top to bottom.

Lessons run where they are. A solution runs as the instructor's reference submission: a
scratch copy with the widget answer key where a student's saved answers would be.
"""

import pytest
from conftest import ROOT

from malicourse.exercises import reference_submission
from malicourse.notebooks import execute

LESSONS = sorted(ROOT.glob("notebooks/*.ipynb"))
SOLUTIONS = sorted(ROOT.glob("solutions/*/*.ipynb"))


@pytest.mark.notebook
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_lesson_runs_headless(path):
    execute(path)


@pytest.mark.notebook
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_solution_runs_headless(path, tmp_path):
    copy = reference_submission(path.parent.name, tmp_path / path.parent.name)
    execute(copy / path.name)


def test_there_are_notebooks_to_run():
    assert ROOT.joinpath("notebooks", "00_start_here.ipynb") in LESSONS
