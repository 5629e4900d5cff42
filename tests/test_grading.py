"""Instructor grading: ``malicourse grade`` against nbgrader itself, and against a hostile class.

A small fixture assignment ("hello": two autograded questions and one written answer) keeps the
hostile run quick; the equality test uses the real exercise set 01.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from malicourse.exercises import reference_submission
from malicourse.grading.gradebook import Writer
from malicourse.grading.run import Options, grade

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading")]
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
os.environ["PATH"] = ENV["PATH"]  # nbgrader runs `alembic` from PATH


def _cell(source, kind="code", **nbgrader):
    make = new_code_cell if kind == "code" else new_markdown_cell
    cell = make(source)
    cell.metadata["nbgrader"] = {
        "grade": False,
        "solution": False,
        "locked": False,
        "schema_version": 3,
        **nbgrader,
    }
    return cell


def hello_notebook(answer="### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION"):
    return new_notebook(
        cells=[
            _cell("from malicourse import checks", grade_id="setup", locked=True),
            _cell(answer, grade_id="answer", solution=True),
            _cell(
                "# Graded from: answer\n"
                'checks.number(answer, name="answer", low=0, high=100)\n'
                "### BEGIN HIDDEN TESTS\n"
                'checks.close(answer, 42, name="answer")\n'
                "### END HIDDEN TESTS",
                grade_id="test_answer",
                grade=True,
                locked=True,
                points=2,
            ),
            _cell(
                "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                grade_id="double",
                solution=True,
            ),
            _cell(
                "# Graded from: double\nassert double(3) == 6",
                grade_id="test_double",
                grade=True,
                locked=True,
                points=1,
            ),
            _cell(
                "YOUR ANSWER HERE",
                "markdown",
                grade_id="essay",
                grade=True,
                solution=True,
                points=2,
            ),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


def make_course(tmp: Path) -> Path:
    course = tmp / "course"
    (course / "solutions" / "hello").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    nbformat.write(hello_notebook(), course / "solutions" / "hello" / "hello.ipynb")
    (course / "solutions" / "hello" / "notes.txt").write_text("a file students may see\n")
    return course


def submit(course: Path, student: str, notebook) -> Path:
    folder = course / "submitted" / student / "hello"
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, str):
        (folder / "hello.ipynb").write_text(notebook)
    else:
        nbformat.write(notebook, folder / "hello.ipynb")
    return folder


def edited(**answers) -> nbformat.NotebookNode:
    """The solution notebook with some cells' text replaced, as a student would have it."""
    notebook = hello_notebook()
    for cell in notebook.cells:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def run(course, **options):
    lines = []
    # Generous for honest cells on a loaded machine, short enough for the hostile ones.
    settings = {"cell_timeout": 10, "notebook_timeout": 40, "jobs": 2, **options}
    outcome = grade(Options(assignment="hello", course=course, **settings), log=lines.append)
    return outcome, "\n".join(lines)


def ledger(course):
    return json.loads((course / ".grading" / "hello" / "ledger.json").read_text())


# ---- the hostile class -------------------------------------------------------------------------

HOSTILE = {
    # An honest student, graded in the same run: the others must not change this grade.
    "good": {},
    "loop": {"answer": "while True:\n    pass"},
    "ignores_interrupts": {
        "answer": "import signal\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "while True:\n    pass"
    },
    "memory": {"answer": "hoard = [bytearray(50 << 20) for _ in range(1000)]\nanswer = 42"},
    "processes": {
        "answer": (
            "import os, time\n"
            "for _ in range(1000):\n"
            "    if os.fork() == 0:\n"
            "        time.sleep(600)\n"
            "        os._exit(0)\n"
            "answer = 42"
        )
    },
    "vandal": {
        "answer": (
            "import os, pathlib, shutil\n"
            "for name in ['/solutions', '/gradebook.db', '/submitted']:\n"
            "    path = COURSE + name\n"
            "    shutil.rmtree(path, ignore_errors=True)\n"
            "    try: os.remove(path)\n"
            "    except OSError: pass\n"
            "home = pathlib.Path.home().parent\n"
            "for path in [COURSE + '/owned.txt', '/tmp/owned-by-student', str(home / 'owned')]:\n"
            "    try: open(path, 'w').write('x')\n"
            "    except OSError: pass\n"
            "answer = 42"
        )
    },
    "reader": {
        "answer": (
            "import os, glob\n"
            "found = glob.glob(COURSE + '/solutions/*/*.ipynb')\n"
            "found += glob.glob(COURSE + '/gradebook.db')\n"
            "found += glob.glob(COURSE + '/submitted/*/hello/*.ipynb')\n"
            "found += glob.glob(ROOT + '/solutions/*')\n"
            "answer = 42 if found else -1"
        )
    },
    "loud": {
        "answer": "print('x' * (30 << 20))\nfor i in range(200_000):\n    print(i)\nanswer = 42"
    },
    "crash": {"answer": "import os\nos._exit(1)"},
    "killer": {"answer": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"},
    "test_editor": {"answer": "answer = 0", "test_answer": "pass", "test_double": "pass"},
    "redefiner": {
        "answer": "checks.close = lambda *args, **kwargs: None\nanswer = 0",
        "double": "def double(x):\n    return 2 * x",
    },
    "network": {
        "answer": (
            "import socket\n"
            "try:\n"
            "    socket.create_connection(('127.0.0.1', PORT), timeout=3).sendall(b'hi')\n"
            "    answer = 42\n"
            "except OSError:\n"
            "    answer = -1"
        )
    },
}

# Autograded points expected for (test_answer, test_double); the essay is graded by hand.
EXPECTED = {
    "good": (2, 1),
    "loop": (0, 1),
    "ignores_interrupts": (0, 0),
    "memory": (0, 1),
    "processes": (0, 1),  # the fork loop hits the process limit: an error, and nothing harmed
    "vandal": (2, 1),  # it earned its points honestly; the test is that it harmed nothing
    "reader": (0, 1),
    "loud": (2, 1),
    "crash": (0, 0),
    "killer": (0, 0),
    "test_editor": (0, 1),
    "redefiner": (0, 0),  # withheld for review
    "network": (0, 1),
    "broken": (0, 0),
    "deleted_tests": (0, 0),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("hostile"))
    (course / "gradebook.db").write_bytes(b"")  # stands for the instructor's gradebook file
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    contacts = []

    def accept():
        while not stop.is_set():
            with contextlib.suppress(OSError):
                contacts.append(listener.accept())

    stop = threading.Event()
    threading.Thread(target=accept, daemon=True).start()
    prelude = (
        f"COURSE = {str(course)!r}\nROOT = {str(ROOT)!r}\nPORT = {listener.getsockname()[1]}\n"
    )
    for student, answers in HOSTILE.items():
        answers = dict(answers)
        if "answer" in answers:
            answers["answer"] = prelude + answers["answer"]
        submit(course, student, edited(**answers))
    submit(course, "broken", '{"cells": [ this is not json')
    deleted = edited(answer="answer = 0")
    deleted.cells = [
        c
        for c in deleted.cells
        if not c.metadata["nbgrader"].get("grade") or c.cell_type == "markdown"
    ]
    submit(course, "deleted_tests", deleted)
    os.remove(course / "gradebook.db")
    outcome, log = run(course)
    stop.set()
    listener.close()
    return course, outcome, log, contacts


def test_hostile_submissions_score_only_what_they_earn(hostile):
    course, _, log, _ = hostile
    entries = ledger(course)
    assert set(entries) == set(EXPECTED), log
    scores = {
        student: (entry["scores"]["test_answer"]["score"], entry["scores"]["test_double"]["score"])
        for student, entry in entries.items()
        if "test_answer" in entry["scores"]
    }
    assert scores == EXPECTED, log


def test_hostile_submissions_are_reported(hostile):
    course, _, log, _ = hostile
    statuses = {student: entry["status"] for student, entry in ledger(course).items()}
    assert statuses["good"] == "graded"
    assert statuses["loop"] == "timed out"
    assert statuses["ignores_interrupts"] == "timed out"
    assert statuses["crash"] == statuses["killer"] == "kernel died"
    assert statuses["redefiner"] == "flagged"
    assert statuses["broken"] == "broken"
    assert "checks.close" in " ".join(ledger(course)["redefiner"]["flags"])
    for student in ("loop", "crash", "redefiner", "broken"):
        assert student in log  # a line per finished student
    assert "Status:" in log and "broken" in log.split("Status:")[1]


def test_hostile_submissions_harm_nothing(hostile):
    course, *_, contacts = hostile
    assert (course / "solutions" / "hello" / "hello.ipynb").is_file()
    assert (course / "gradebook.db").stat().st_size > 0
    assert len(list((course / "submitted").iterdir())) == len(EXPECTED)
    assert not (course / "owned.txt").exists()
    assert not Path("/tmp/owned-by-student").exists()
    assert contacts == []  # no connection reached the listener
    assert (ROOT / "solutions").is_dir()
    if os.geteuid() == 0:  # the sandboxes ran as their own users: none of their processes remain
        leftover = subprocess.run(
            ["pgrep", "-a", "-u", "61000,61001"], capture_output=True, text=True
        )
        assert leftover.stdout == "", leftover.stdout


def test_huge_output_is_cut(hostile):
    course, *_ = hostile
    notebook = course / "autograded" / "loud" / "hello" / "hello.ipynb"
    assert notebook.stat().st_size < 3 << 20
    assert "output cut" in notebook.read_text()


def test_feedback_and_reports(hostile):
    course, *_ = hostile
    feedback = (course / "feedback" / "good" / "hello" / "hello.html").read_text()
    assert "test_answer" in feedback or "answer" in feedback
    assert "checks.close(answer, 42" not in feedback  # hidden test code stays hidden
    table = (course / "grades" / "hello.csv").read_text().splitlines()
    assert table[0].split(",")[:4] == ["student", "essay", "test_answer", "test_double"]
    assert any(line.startswith("good,") and ",3,5," in line for line in table)
    canvas = (course / "grades" / "hello-canvas.csv").read_text().splitlines()
    assert canvas[0] == "Student,ID,SIS User ID,SIS Login ID,Section,hello"
    assert canvas[1].strip().startswith("Points Possible")
    items = (course / "grades" / "hello-items.csv").read_text().splitlines()
    assert items[0] == "question,graded_by,max_score,students,mean,share_full_marks,figure"
    assert any(line.startswith("essay,hand,2,") for line in items)
    assert any(line.startswith("test_answer,autograder,2,15,") for line in items)
    assert (course / "grades" / "hello-items" / "test_answer.png").stat().st_size > 1000


# ---- resumable, idempotent, manual grades kept -------------------------------------------------


def test_rerun_resumes_and_keeps_manual_grades(tmp_path):
    course = make_course(tmp_path)
    for student in ("ana", "ben", "chloe"):
        submit(course, student, edited())
    first, _ = run(course)
    assert sorted(first.graded) == ["ana", "ben", "chloe"]
    writer = Writer(course, "hello", f"sqlite:///{course / 'gradebook.db'}", tmp_path)
    with writer.gradebook() as gb:
        essay = gb.find_grade("essay", "hello", "hello", "ben")
        essay.manual_score = 1.5
        gb.db.commit()
    again, log = run(course)
    assert again.graded == {} and sorted(again.skipped) == ["ana", "ben", "chloe"], log
    # An interrupted run: ana's result is lost; only she is graded again.
    entries = ledger(course)
    del entries["ana"]
    (course / ".grading" / "hello" / "ledger.json").write_text(json.dumps(entries))
    resumed, _ = run(course)
    assert sorted(resumed.graded) == ["ana"]
    regraded, _ = run(course, regrade=True)
    assert sorted(regraded.graded) == ["ana", "ben", "chloe"]
    scores = {s: e["total"] for s, e in ledger(course).items()}
    assert scores == {"ana": 3, "ben": 4.5, "chloe": 3}
    with writer.gradebook() as gb:
        essay = gb.find_grade("essay", "hello", "hello", "ben")
        assert essay.manual_score == 1.5 and not essay.needs_manual_grade


def test_from_lms_zip(tmp_path):
    course = make_course(tmp_path)
    (course / "exercises" / "hello").mkdir(parents=True)  # zip_collect matches released names
    nbformat.write(hello_notebook(), course / "exercises" / "hello" / "hello.ipynb")
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("doejane_1001_5001_hello.ipynb", nbformat.writes(edited()))
        bundle.writestr(
            "roeric_late_1002_5002_hello-1.ipynb", nbformat.writes(edited(answer="answer = 1"))
        )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "malicourse.cli",
            "grade",
            "hello",
            "--course",
            str(course),
            "--from-zip",
            str(archive),
            "--jobs",
            "2",
            "--no-feedback",
        ],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Collected 2 submissions" in result.stdout
    totals = {s: e["total"] for s, e in ledger(course).items()}
    assert totals == {"1001": 3, "1002": 1}


# ---- the same grades as plain nbgrader ---------------------------------------------------------


def test_grades_equal_plain_nbgrader(tmp_path):
    """Set 01 for three students: ours and `nbgrader autograde` give the same score per cell."""
    courses = {}
    for name in ("ours", "plain"):
        course = tmp_path / name
        course.mkdir()
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(
            ROOT / "solutions" / "01_intervention", course / "solutions" / "01_intervention"
        )
        shutil.copytree(ROOT / "data", course / "data")
        reference_submission(
            "01_intervention", course / "submitted" / "full" / "01_intervention", root=ROOT
        )
        shutil.copytree(
            ROOT / "exercises" / "01_intervention",
            course / "submitted" / "blank" / "01_intervention",
        )
        partial = nbformat.read(
            ROOT / "exercises" / "01_intervention" / "01_intervention.ipynb", as_version=4
        )
        for cell in partial.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "q1-answer":
                cell.source = (
                    'started_2013 = int((data.operations["start_date"].dt.year == 2013).sum())'
                )
        folder = course / "submitted" / "partial" / "01_intervention"
        folder.mkdir(parents=True)
        nbformat.write(partial, folder / "01_intervention.ipynb")
        courses[name] = course
    plain = courses["plain"]
    for step in (
        ["generate_assignment", "01_intervention", "--force"],
        ["autograde", "01_intervention"],
    ):
        subprocess.run(
            [sys.executable, "-m", "nbgrader", *step],
            cwd=plain,
            env=ENV,
            check=True,
            capture_output=True,
        )
    grade(
        Options(assignment="01_intervention", course=courses["ours"], jobs=2, feedback=False),
        log=lambda _: None,
    )
    results = {}
    for name, course in courses.items():
        writer = Writer(course, "01_intervention", f"sqlite:///{course / 'gradebook.db'}", tmp_path)
        results[name] = {
            s: [(x.question, x.score) for x in writer.scores(s)]
            for s in ("full", "blank", "partial")
        }
    assert results["ours"] == results["plain"]
    assert (
        dict(results["ours"]["full"])["q1-check"] == 2
        and dict(results["ours"]["blank"])["q1-check"] == 0
    )
