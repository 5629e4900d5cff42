"""Every lesson and every solution notebook runs headless from top to bottom.

Lessons run where they are. A solution runs twice: as the instructor's reference submission (a
scratch copy with the widget answer key where a student's saved answers would be), and in place,
as an instructor who opens solutions/<set>/ and runs all cells (a copy of that folder as it is).
"""

import shutil

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


@pytest.mark.notebook
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_solution_runs_in_place(path, tmp_path):
    folder = shutil.copytree(path.parent, tmp_path / path.parent.name)
    assert not list(folder.glob("*.answers.json"))  # only the answer key stands in
    execute(folder / path.name)


def test_there_are_notebooks_to_run():
    assert ROOT.joinpath("notebooks", "00_start_here.ipynb") in LESSONS
