"""Instructor grading: ``malicourse grade`` against nbgrader itself, and against a hostile class.

A small fixture assignment ("hello": two autograded questions and one written answer) keeps the
hostile run quick; the equality test uses the real exercise set 01.
"""

import contextlib
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import zipfile
from html.parser import HTMLParser
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
                "# Graded from: the answers file\n"
                "from malicourse.answers import AnswerBook\n"
                "### BEGIN HIDDEN TESTS\n"
                'assert AnswerBook("hello").get("colour") == "blue"\n'
                "### END HIDDEN TESTS",
                grade_id="test_colour",
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


def submit(course: Path, student: str, notebook, colour="blue", extra=None) -> Path:
    """A submission folder: the notebook, the widget answers file, and any ``extra`` files."""
    folder = course / "submitted" / student / "hello"
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, str):
        (folder / "hello.ipynb").write_text(notebook)
    else:
        nbformat.write(notebook, folder / "hello.ipynb")
    if colour is not None:
        answers = {"colour": {"answer": colour, "saved_at": "2026-12-01T10:00:00+00:00"}}
        (folder / "hello.answers.json").write_text(json.dumps(answers))
    for relative, text in (extra or {}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
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
# Each entry replaces some cells of the solution notebook. ANSWER_PRELUDE gives them the course
# folder, the repository and a listening port to aim at. Classes 1-7 refer to issue 11.

LIAR = (
    "class Liar(int):\n"
    "    def __eq__(self, other):\n"
    "        return True\n"
    "    __hash__ = int.__hash__\n"
)
HOSTILE = {
    # An honest student, graded in the same run: the others must not change this grade.
    "good": {},
    # Limits (one student never stops the class).
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
    "crash": {"answer": "import os\nos._exit(1)"},
    "killer": {"answer": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"},
    "loud": {
        "answer": "print('x' * (30 << 20))\nfor i in range(200_000):\n    print(i)\nanswer = 42"
    },
    # Class 1: the kernel is the student's, so nothing in it can reach the tests.
    "test_editor": {"answer": "answer = 0", "test_answer": "pass", "test_double": "pass"},
    "redefiner": {
        "answer": "checks.close = lambda *args, **kwargs: None\nanswer = 0",
        "double": "def double(x):\n    return 2 * x",
    },
    "equal_to_all": {
        "answer": LIAR + "answer = Liar(7)",
        "double": LIAR + "def double(x):\n    return Liar(0)",
    },
    "hook": {
        "answer": (
            "ip = get_ipython()\n"
            "def rewrite(lines):\n"
            "    return ['assert True\\n'] if any('answer' in l for l in lines) else lines\n"
            "ip.input_transformers_post.append(rewrite)\n"
            "ip.events.register('pre_run_cell', lambda info: globals().update(answer=0))\n"
            "import builtins\n"
            "builtins.AssertionError = type('Quiet', (Exception,), {})\n"
            "answer = 0"
        ),
    },
    "interpreter": {
        "answer": (
            "import ctypes, gc, sys\n"
            "for module in list(sys.modules.values()):\n"
            "    if getattr(module, '__name__', '') == 'malicourse.checks':\n"
            "        module.close = lambda *a, **k: None\n"
            "        module.number = lambda *a, **k: None\n"
            "answer = 1.0"
        ),
    },
    # Class 4: export-looking outputs flood the export cells; the grader keeps a bounded part.
    "export_flood": {
        "answer": (
            "from IPython.display import display\n"
            "kind = 'application/vnd.malicourse.export+json'\n"
            "fake = {kind: {'answer': {'value': {'int': '0'}}, 'padding': 'x' * 100_000}}\n"
            "flood = lambda info: [display(fake, raw=True) for _ in range(400)]\n"
            "get_ipython().events.register('pre_run_cell', flood)\n"
            "answer = 42"
        ),
    },
    # Class 3: printing the kernel's history shows no test code.
    "historian": {
        "answer": (
            "seen = []\n"
            "record = lambda info: seen.append(info.raw_cell)\n"
            "get_ipython().events.register('pre_run_cell', record)\n"
            "answer = 42"
        ),
        "essay": "Written answer.",
    },
    # Class 5: the sandbox's walls.
    "snoop": {
        "answer": (
            "import glob, os\n"
            "paths = ['/run/lock', '/srv', '/var/lib', '/opt', '/home', '/etc/passwd',\n"
            "         '/root/.bashrc', COURSE + '/gradebook.db', COURSE + '/solutions',\n"
            "         ROOT + '/solutions', SECRET]\n"
            "found = [p for p in paths if os.path.exists(p)]\n"
            "found += glob.glob('/run/*.sock') + glob.glob('/run/*/*.sock')\n"
            "print('found', found)\n"
            "answer = 42 if found else -1"
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
            "for path in [COURSE + '/owned.txt', '/tmp/owned-by-student', str(home / 'owned'),\n"
            "             '/grading/kernel/filler']:\n"
            "    try: open(path, 'w').write('x' * (4 << 20))\n"
            "    except OSError: pass\n"
            "answer = 42"
        )
    },
    "shared_memory": {
        "answer": (
            "import ctypes\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "segment = libc.shmget(0x4D414C49, 4096, 0o1666)\n"
            "answer = 42 if segment >= 0 else -1"
        )
    },
    "escape": {
        "answer": (
            "import os, subprocess\n"
            "tries = [['umount', '-l', '/grading/work'], ['mount', '-t', 'tmpfs', 'x', '/usr'],\n"
            "         ['unshare', '-rm', 'umount', '-l', '/usr'],\n"
            "         ['unshare', '-rm', 'umount', '-l', '/grading/submission']]\n"
            "done = [t for t in tries if subprocess.run(t, capture_output=True).returncode == 0]\n"
            "try:\n    os.setuid(0); done.append('setuid')\nexcept OSError:\n    pass\n"
            "answer = 42 if done else -1"
        )
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
    "reader": {
        "answer": (
            "import glob\n"
            "found = glob.glob(COURSE + '/solutions/*/*.ipynb')\n"
            "found += glob.glob(COURSE + '/submitted/*/hello/*.ipynb')\n"
            "found += glob.glob(ROOT + '/solutions/*')\n"
            "answer = 42 if found else -1"
        )
    },
}
# Class 1, shipped beside the notebook: a shadowing package and an IPython startup file.
BESIDE = {
    "malicourse/__init__.py": "",
    "malicourse/checks.py": "def close(*a, **k):\n    pass\ndef number(*a, **k):\n    pass\n",
    ".ipython/profile_default/startup/00-cheat.py": "answer = 42\n",
    "ipython_config.py": "c.InteractiveShellApp.exec_lines = ['answer = 42']\n",
}
# Class 2: script in a written answer.
SCRIPT = (
    "My answer.<script>fetch('/api/contents/owned.txt', {method: 'PUT'})</script>\n\n"
    '<img src="x" onerror="alert(1)"> [link](javascript:alert(2))'
)

# Autograded points for (test_answer, test_double, test_colour); the essay is marked by hand.
EXPECTED = {
    "good": (2, 1, 1),
    "loop": (0, 1, 1),
    "ignores_interrupts": (0, 0, 1),
    "memory": (0, 1, 1),
    "processes": (0, 1, 1),  # the fork loop hits the process limit: an error, nothing harmed
    "crash": (0, 0, 1),
    "killer": (0, 0, 1),
    "loud": (2, 1, 1),
    "test_editor": (0, 1, 1),
    "redefiner": (0, 1, 1),
    "equal_to_all": (0, 0, 1),
    "hook": (0, 1, 1),
    "interpreter": (0, 1, 1),
    "historian": (2, 1, 1),
    "snoop": (0, 1, 1),
    "vandal": (2, 1, 1),  # it earned its points honestly; the test is that it harmed nothing
    "shared_memory": (2, 1, 1),  # its own namespace lets it: the test is that nothing outlives it
    "escape": (0, 1, 1),
    "network": (0, 1, 1),
    "reader": (0, 1, 1),
    "beside": (0, 1, 1),
    "forger": (0, 0, 0),  # nbgrader refuses its forged cell metadata: "broken", with the reason
    "scripter": (2, 1, 1),
    "markdown_bomb": (2, 1, 1),
    "export_flood": (0, 0, 1),  # its own fake payloads crowd out its exports: what it sent
    "tokenizer_bomb": (0, 1, 1),
    "bomber": (2, 1, 1),
    "deep": (0, 0, 0),
    "wrong_colour": (2, 1, 0),
    "broken": (0, 0, 0),
    "deleted_tests": (0, 0, 0),
    "=HYPERLINK(1)": (2, 1, 1),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("hostile"))
    (course / "gradebook.db").write_bytes(b"")  # stands for the instructor's gradebook file
    secret = tmp_path_factory.mktemp("srv") / "instructor-secret.txt"
    secret.write_text("not for students")
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
        f"SECRET = {str(secret)!r}\n"
    )
    for student, answers in HOSTILE.items():
        answers = dict(answers)
        if "answer" in answers:
            answers["answer"] = prelude + answers["answer"]
        submit(course, student, edited(**answers))
    historian = edited(
        **{**HOSTILE["historian"], "answer": prelude + HOSTILE["historian"]["answer"]}
    )
    historian.cells.append(new_code_cell("print(seen)\nprint(In)\nprint(_ih)\nprint(Out)"))
    submit(course, "historian", historian)
    submit(course, "beside", edited(answer="answer = 0"), extra=BESIDE)
    forger = edited(answer="answer = 0")
    forger.cells[1].metadata["nbgrader"] = dict(forger.cells[2].metadata["nbgrader"])
    submit(course, "forger", forger)
    submit(course, "scripter", edited(essay=SCRIPT))
    submit(course, "markdown_bomb", edited(essay="> " * 30_000 + "deep\n" + "- [" * 30_000))
    submit(course, "tokenizer_bomb", edited(answer="answer = " + "(" * 5_000 + "42" + ")" * 5_000))
    bomber = edited()
    bomber.cells += [new_code_cell(f"print('{n}' * 400_000)") for n in range(60)]
    bomber.cells += [new_code_cell("%time pass\n" * 600)]
    submit(course, "bomber", bomber)
    deep = '{"cells": [], "metadata": ' + "[" * 50_000 + "]" * 50_000 + ', "nbformat": 4}'
    submit(course, "deep", deep)
    submit(course, "wrong_colour", edited(), colour="red")
    submit(course, "=HYPERLINK(1)", edited())
    submit(course, "broken", '{"cells": [ this is not json')
    deleted = edited(answer="answer = 0")
    deleted.cells = [
        c
        for c in deleted.cells
        if not c.metadata["nbgrader"].get("grade") or c.cell_type == "markdown"
    ]
    submit(course, "deleted_tests", deleted, colour=None)
    os.remove(course / "gradebook.db")
    outcome, log = run(course)
    stop.set()
    listener.close()
    return course, outcome, log, contacts


def _scores(entry):
    return tuple(entry["scores"].get(q, {}).get("score", 0) for q in TESTS)


TESTS = ("test_answer", "test_double", "test_colour")


def test_hostile_submissions_score_only_what_they_earn(hostile):
    course, _, log, _ = hostile
    entries = ledger(course)
    assert set(entries) == set(EXPECTED), log
    assert {student: _scores(entry) for student, entry in entries.items()} == EXPECTED, log


def test_hostile_submissions_are_reported(hostile):
    course, _, log, _ = hostile
    entries = ledger(course)
    statuses = {student: entry["status"] for student, entry in entries.items()}
    assert statuses["good"] == "graded"
    assert statuses["loop"] == "timed out"
    assert statuses["ignores_interrupts"] == "timed out"
    assert statuses["crash"] == statuses["killer"] == "kernel died"
    assert statuses["broken"] == statuses["deep"] == statuses["forger"] == "broken"
    assert entries["broken"]["problems"]  # with a reason, in the grades file too
    for student in ("loop", "crash", "broken", "deep"):
        assert student in log  # a line per finished student
    assert "Status:" in log and "broken" in log.split("Status:")[1]
    assert "out of 6 points" in log


def test_hostile_submissions_harm_nothing(hostile):
    course, outcome, _, contacts = hostile
    assert (course / "solutions" / "hello" / "hello.ipynb").is_file()
    assert (course / "gradebook.db").stat().st_size > 0
    assert len(list((course / "submitted").iterdir())) == len(EXPECTED)
    assert not (course / "owned.txt").exists()
    assert not Path("/tmp/owned-by-student").exists()
    assert contacts == []  # no connection reached the listener
    assert (ROOT / "solutions").is_dir()
    shared = Path("/proc/sysvipc/shm").read_text()
    assert "1296125001" not in shared  # 0x4D414C49: the segment died with its sandbox
    if os.geteuid() == 0:  # the sandboxes ran as their own users: none of their processes remain
        uids = ",".join(str(uid) for uid in outcome.sandbox_uids if uid is not None)
        leftover = subprocess.run(["pgrep", "-a", "-u", uids], capture_output=True, text=True)
        assert leftover.stdout == "", leftover.stdout


def test_output_is_capped_per_cell_and_per_notebook(hostile):
    course, *_ = hostile
    for student in ("loud", "bomber"):
        notebook = course / "autograded" / student / "hello" / "hello.ipynb"
        assert notebook.stat().st_size < 8 << 20, student
        assert "output cut" in notebook.read_text()


def live_parts(page: str) -> dict:
    """What a browser would run in a page: script text, event handlers, javascript: links."""
    found = {"scripts": [], "handlers": [], "links": []}

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            self.in_script = tag == "script"
            for name, value in attrs:
                if name.startswith("on"):
                    found["handlers"].append(f"{tag} {name}={value}")
                if name in ("href", "src") and (value or "").strip().lower().startswith(
                    "javascript"
                ):
                    found["links"].append(value)

        def handle_data(self, data):
            if getattr(self, "in_script", False):
                found["scripts"].append(data)

        def handle_endtag(self, tag):
            self.in_script = False

    Parser().feed(page)
    return found


def test_feedback_shows_no_test_code_and_no_student_script(hostile):
    course, *_ = hostile
    for student in ("good", "historian", "scripter"):
        page = (course / "feedback" / student / "hello" / "hello.html").read_text()
        assert "checks.close(answer, 42" not in page  # hidden test code stays hidden
        assert 'AnswerBook("hello").get("colour") == "blue"' not in page
    page = (course / "feedback" / "scripter" / "hello" / "hello.html").read_text()
    assert "My answer." in page
    live = live_parts(page)
    assert not [s for s in live["scripts"] if "/api/contents" in s], live["scripts"]
    assert live["handlers"] == [] and live["links"] == []
    historian = (course / "feedback" / "historian" / "hello" / "hello.html").read_text()
    assert "export" in historian  # it did print its history: what it shows is only that


def test_grade_files_open_as_text(hostile):
    course, *_ = hostile
    for name in ("hello.csv", "hello-canvas.csv", "hello-moodle.csv"):
        with (course / "grades" / name).open(newline="", encoding="utf-8") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        assert "'=HYPERLINK(1)" in cells, name
        assert not [c for c in cells if c[:1] in ("=", "+", "@")], name


def test_feedback_and_reports(hostile):
    course, *_ = hostile
    feedback = (course / "feedback" / "good" / "hello" / "hello.html").read_text()
    assert "test_answer" in feedback or "answer" in feedback
    table = (course / "grades" / "hello.csv").read_text().splitlines()
    assert table[0].split(",")[:5] == [
        "student",
        "essay",
        "test_answer",
        "test_colour",
        "test_double",
    ]
    assert any(line.startswith("good,") and ",4,6," in line for line in table)
    canvas = (course / "grades" / "hello-canvas.csv").read_text().splitlines()
    assert canvas[0] == "Student,ID,SIS User ID,SIS Login ID,Section,hello"
    assert canvas[1].strip().startswith("Points Possible")
    items = (course / "grades" / "hello-items.csv").read_text().splitlines()
    assert items[0] == "question,graded_by,max_score,students,mean,share_full_marks,figure"
    assert any(line.startswith("essay,hand,2,") for line in items)
    assert any(line.startswith(f"test_answer,autograder,2,{len(EXPECTED)},") for line in items)
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
    assert scores == {"ana": 4, "ben": 5.5, "chloe": 4}
    with writer.gradebook() as gb:
        essay = gb.find_grade("essay", "hello", "hello", "ben")
        assert essay.manual_score == 1.5 and not essay.needs_manual_grade


def test_from_lms_zip(tmp_path):
    course = make_course(tmp_path)
    archive = tmp_path / "submissions.zip"
    older, newer = (2026, 12, 1, 9, 0, 0), (2026, 12, 2, 9, 0, 0)
    colour = json.dumps({"colour": {"answer": "blue"}})
    nested = tmp_path / "inner.zip"
    with zipfile.ZipFile(nested, "w") as inner:
        inner.writestr(
            "doejane_1001_5001_hello.ipynb", nbformat.writes(edited(answer="answer = 0"))
        )
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("doejane_1001_5001_hello.ipynb", nbformat.writes(edited()))
        bundle.writestr("doejane_1001_5001_hello.answers.json", colour)
        bundle.writestr(zipfile.ZipInfo("roeric_late_1002_5002_hello.ipynb", older), "{}")
        bundle.writestr(
            zipfile.ZipInfo("roeric_late_1002_5002_hello-1.ipynb", newer),
            nbformat.writes(edited(answer="answer = 1")),
        )
        # A nested archive that repeats a classmate's file name, and a file that is not the set's.
        bundle.write(nested, "mallory_1003_5003_doejane_1001_5001_hello.zip")
        bundle.writestr("mallory_1003_5003_notes.py", "print('hi')")
    result = subprocess.run(
        [
            sys.executable, "-m", "malicourse.cli", "grade", "hello", "--course", str(course),
            "--from-zip", str(archive), "--jobs", "2", "--no-feedback",
        ],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Collected 2 submissions" in result.stdout
    assert "an archive inside the archive, left out" in result.stdout
    assert "1003: mallory_1003_5003_notes.py: not a file of hello" in result.stdout
    assert "1002: hello.ipynb submitted more than once: kept the latest" in result.stdout
    totals = {s: e["total"] for s, e in ledger(course).items()}
    assert totals == {"1001": 4, "1002": 1}  # the answers file came through for 1001
    notes = ledger(course)["1002"]["problems"]
    assert any("more than once" in note for note in notes)


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


@pytest.mark.skipif(os.geteuid() != 0, reason="sandbox user ids are claimed only as root")
def test_two_grading_workers_never_share_a_sandbox_user_id():
    """A fork bomb in one class's run must not exhaust the process limit of another's."""
    from malicourse.grading import worker

    first, second = worker._claim_uid(), worker._claim_uid()
    assert first != second and min(first, second) >= worker.FIRST_UID
