"""``malicourse check``: a learner's saved notebook graded as the instructor grades it."""

import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT

from malicourse.exercises import reference_submission
from malicourse.grading.gradebook import Writer
from malicourse.grading.run import Options, grade
from malicourse.selfcheck import IN_BUNDLE, NotGraded, check, report

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading")]
SET = "01_intervention"


def learner_copies(tmp_path):
    """A full, a blank and a partly right notebook, each in its own folder."""
    full = reference_submission(SET, tmp_path / "full")
    blank = shutil.copytree(ROOT / "exercises" / SET, tmp_path / "blank")
    partial = shutil.copytree(ROOT / "exercises" / SET, tmp_path / "partial")
    notebook = nbformat.read(partial / f"{SET}.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "q1-answer":
            cell.source = (
                'started_2013 = int((data.operations["start_date"].dt.year == 2013).sum())'
            )
    nbformat.write(notebook, partial / f"{SET}.ipynb")
    return {"full": full, "blank": blank, "partial": partial}


def instructor_scores(tmp_path, copies) -> dict:
    """The same notebooks graded as a class by the instructor's command."""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / SET, course / "solutions" / SET)
    shutil.copytree(ROOT / "data", course / "data")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for student, folder in copies.items():
        shutil.copytree(folder, course / "submitted" / student / SET)
    grade(Options(assignment=SET, course=course, jobs=2, feedback=False), log=lambda _: None)
    writer = Writer(course, SET, f"sqlite:///{course / 'gradebook.db'}", tmp_path)
    return {s: {x.question: x.score for x in writer.scores(s)} for s in copies}


def test_check_gives_the_instructors_scores_and_hints_never_tests(tmp_path):
    copies = learner_copies(tmp_path)
    expected = instructor_scores(tmp_path, copies)
    for student, folder in copies.items():
        results = check(SET, folder / f"{SET}.ipynb", root=ROOT)
        assert {r.question: r.score for r in results} == expected[student], student
        text = report(SET, results)
        assert "BEGIN HIDDEN" not in text and "operations_present" not in text
    full = {r.question: r for r in check(SET, copies["full"] / f"{SET}.ipynb", root=ROOT)}
    assert all(r.score == r.max_score for r in full.values() if not r.by_hand)
    blank = check(SET, copies["blank"] / f"{SET}.ipynb", root=ROOT)
    assert all(r.score == 0 for r in blank)
    assert any("Hint" in r.message for r in blank)


def test_check_in_a_student_bundle_says_where_hidden_tests_run(tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(ROOT / "exercises", bundle / "exercises")
    assert check(SET, root=bundle) == []
    assert report(SET, []) == IN_BUNDLE


def test_the_installed_command_works_without_an_activated_environment(tmp_path):
    """`.venv/bin/malicourse` finds nbgrader's helpers (alembic) with a bare PATH."""
    copies = learner_copies(tmp_path)
    command = [os.path.join(os.path.dirname(sys.executable), "malicourse"), "check", SET]
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [*command, "--notebook", str(copies["full"] / f"{SET}.ipynb")],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Checked automatically: 10 of 10 points" in done.stdout


def test_a_notebook_that_cannot_run_is_reported_not_scored(tmp_path):
    broken = tmp_path / f"{SET}.ipynb"
    broken.write_text('{"cells": [')
    with pytest.raises(NotGraded, match=r"could not be graded: .*NotJSONError"):
        check(SET, broken, root=ROOT)
