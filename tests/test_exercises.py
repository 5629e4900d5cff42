"""Exercise sets: generated from the solutions, leak-free, and graded as designed.

For each set, one ``malicourse grade`` run (the sandbox, the data-only channel, the trusted
test runner, then nbgrader's scoring) grades five made-up students:
  reference  the solution notebook and the widget answer key: full marks
  blank      the student version as released: zero on every autograded question
  partial    only question 1 answered (correctly): the points of question 1 and nothing else
  anything   every answer replaced by an object that claims to equal anything: zero
  wrongtype  the right answers converted to text (and widget answers wrapped in a list): zero
"""

import html
import json
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from malicourse.exercises import ANSWER_KEY, reference_submission
from malicourse.grading.run import Options, grade
from malicourse.notebooks import execute

SETS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
NBGRADER = [sys.executable, "-m", "nbgrader"]
REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)

ANYTHING = '''
class Anything:
    """Claims to equal, and to be close to, whatever it is compared with."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __float__(self): return 0.0
    def __int__(self): return 0
    def __index__(self): return 0
    def __hash__(self): return 0
'''


def env():
    # nbgrader runs `alembic` from PATH (see TOOLING-NOTES).
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def nbgrader(*args, cwd):
    result = subprocess.run([*NBGRADER, *args], cwd=cwd, env=env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def solution_cells(name):
    notebook = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in notebook.cells
        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
    }


def answer_names(source):
    """The names a solution defines: assigned variables and functions."""
    body = "\n".join(m.group(2) for m in REGION.finditer(source)) or source
    names = re.findall(r"^(\w+)\s*=", body, re.M)
    functions = re.findall(r"^def (\w+)\(", source, re.M)
    return names, functions


def student_notebook(name, rewrite):
    """The released notebook with solution cells rewritten by rewrite(grade_id, solution)."""
    released = nbformat.read(ROOT / "exercises" / name / f"{name}.ipynb", as_version=4)
    solutions = solution_cells(name)
    for cell in released.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if (
            grade_id in solutions
            and (new := rewrite(grade_id, solutions[grade_id].source)) is not None
        ):
            cell.source = new
    return released


def strip_markers(source):
    return "\n".join(
        line for line in source.splitlines() if "### BEGIN" not in line and "### END" not in line
    )


def anything(grade_id, source):
    names, functions = answer_names(source)
    lines = [ANYTHING] + [f"{n} = Anything()" for n in names]
    lines += [f"def {f}(*args, **kwargs):\n    return Anything()" for f in functions]
    return "\n".join(lines)


def wrong_type(grade_id, source):
    names, functions = answer_names(source)
    lines = [strip_markers(source)] + [f"{n} = str({n})" for n in names]
    for f in functions:
        lines.append(
            f"_{f} = {f}\ndef {f}(*args, **kwargs):\n    return str(_{f}(*args, **kwargs))"
        )
    return "\n".join(lines)


@pytest.fixture(scope="session")
def grades(tmp_path_factory):
    """grades(name): autograde the five made-up students; {student: {grade_id: (score, max)}}."""

    @cache
    def run(name):
        course = tmp_path_factory.mktemp(f"course-{name}")
        shutil.copytree(ROOT / "solutions", course / "solutions")
        shutil.copytree(ROOT / "data", course / "data")
        shutil.copy(ROOT / "nbgrader_config.py", course)
        db = f"sqlite:///{course}/gradebook.db"

        submitted = course / "submitted"
        reference_submission(name, submitted / "reference" / name)
        key_path = ROOT / "solutions" / name / ANSWER_KEY
        key = json.loads(key_path.read_text()) if key_path.exists() else {}
        first = next(iter(solution_cells(name)))
        students = {
            "blank": (lambda g, s: None, None),
            "partial": (lambda g, s: s if g == first else None, None),
            "anything": (anything, {q: {"answer": {"any": "thing"}} for q in key}),
            "wrongtype": (wrong_type, {q: {"answer": [v["answer"]]} for q, v in key.items()}),
        }
        for student, (rewrite, answers) in students.items():
            folder = submitted / student / name
            folder.mkdir(parents=True)
            nbformat.write(student_notebook(name, rewrite), folder / f"{name}.ipynb")
            if answers is not None:
                (folder / f"{name}.answers.json").write_text(json.dumps(answers))
        grade(Options(assignment=name, course=course, jobs=2, quiet=True), log=lambda _: None)
        run.courses[name] = course

        from nbgrader.api import Gradebook

        with Gradebook(db) as gradebook:
            return {
                student: {
                    grade.name: (grade.auto_score, grade.max_score)
                    for grade in gradebook.find_submission(name, student).notebooks[0].grades
                    if grade.cell.cell_type == "code"
                }
                for student in ["reference", *students]
            }

    run.courses = {}
    return run


@pytest.mark.parametrize("name", SETS)
def test_exercises_are_generated_from_the_solutions(name, tmp_path):
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions")
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    nbgrader(
        "generate_assignment", name, "--db", f"sqlite:///{tmp_path}/gradebook.db", cwd=tmp_path
    )
    fresh, committed = tmp_path / "exercises" / name, ROOT / "exercises" / name
    assert sorted(p.name for p in fresh.iterdir()) == sorted(p.name for p in committed.iterdir())
    for path in fresh.iterdir():
        assert path.read_bytes() == (committed / path.name).read_bytes(), (
            f"exercises/{name}/{path.name} differs from what nbgrader generates from solutions/: "
            "never edit exercises/ by hand; run `make exercises`"
        )


@pytest.mark.parametrize("name", SETS)
def test_student_versions_leak_no_solution_and_no_hidden_test(name):
    solution = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    visible = "\n".join(REGION.sub("", cell.source) for cell in solution.cells)
    secret_lines = {
        line.strip()
        for cell in solution.cells
        for region in REGION.finditer(cell.source)
        for line in region.group(2).splitlines()
        if len(line.strip()) > 15 and line.strip() not in visible
    }
    for path in (ROOT / "exercises" / name).rglob("*"):
        text = path.read_text() if path.is_file() else ""
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, path
        leaked = [line for line in secret_lines if line in text]
        assert not leaked, f"{path} contains solution or hidden-test lines: {leaked[:3]}"
    assert not (ROOT / "exercises" / name / ANSWER_KEY).exists()


@pytest.mark.parametrize("name", SETS)
def test_solutions_get_full_autograded_marks(name, grades):
    for question, (score, maximum) in grades(name)["reference"].items():
        assert score == maximum, f"{name} {question}: {score}/{maximum}"


@pytest.mark.parametrize("name", SETS)
def test_unanswered_exercises_get_zero(name, grades):
    for question, (score, _) in grades(name)["blank"].items():
        assert score == 0, f"{name} {question}: {score}"


@pytest.mark.parametrize("name", SETS)
def test_partly_correct_work_gets_partial_marks(name, grades):
    scores = grades(name)["partial"]
    first_check = next(iter(scores))
    assert scores[first_check][0] == scores[first_check][1] > 0
    assert all(score == 0 for question, (score, _) in scores.items() if question != first_check)


@pytest.mark.parametrize("name", SETS)
@pytest.mark.parametrize("student", ["anything", "wrongtype"])
def test_answers_that_only_look_right_get_nothing(name, student, grades):
    for question, (score, _) in grades(name)[student].items():
        assert score == 0, f"{name} {student} {question}: {score}"


@pytest.mark.parametrize("name", SETS)
def test_a_rerun_keeps_the_answers_saved_through_widgets(name, tmp_path):
    folder = reference_submission(name, tmp_path / name)
    answers = folder / f"{name}.answers.json"
    if not answers.exists():
        pytest.skip(f"{name} has no widget question")
    before = answers.read_bytes()
    execute(folder / f"{name}.ipynb")
    execute(folder / f"{name}.ipynb")
    assert answers.read_bytes() == before


@pytest.mark.parametrize("name", SETS)
def test_feedback_shows_failed_hidden_tests_but_not_their_code(name, grades):
    grades(name)
    course = grades.courses[name]
    solution = nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)
    hidden = {
        line.strip()
        for cell in solution.cells
        for region in REGION.finditer(cell.source)
        if region.group(1) == "HIDDEN TESTS"
        for line in region.group(2).splitlines()
        if len(line.strip()) > 15
    }
    page = (course / "feedback" / "wrongtype" / name / f"{name}.html").read_text()
    text = html.unescape(page)
    assert "Hint:" in text or "Hint" in text  # the failed checks are reported
    leaked = [line for line in hidden if line in text]
    assert not leaked, f"feedback shows hidden-test code: {leaked[:3]}"
