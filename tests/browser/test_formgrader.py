"""An instructor opens nbgrader's formgrader in JupyterLab and finds a submission to grade.

The course directory is a scratch copy (config, solutions/ and data of one set, one submission
graded with ``malicourse grade``), served by its own JupyterLab: nothing is written to the
repository's gradebook, submitted/ or autograded/. The submission's written answer carries a
script that would write a file through the Jupyter API with the instructor's rights: the
formgrader must show it as text and run nothing.
"""

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT

from malicourse.exercises import reference_submission

from .conftest import ARTIFACTS, VENV_BIN, tidy_up
from .lab import TOKEN, Server, expect, free_port, lab_options, menu, server_env

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.slow]

SET = "01_intervention"
STUDENT = "student-a"
OWNED = "owned-by-script.txt"
SCRIPT = (
    "My written answer.\n\n<script>fetch('/api/contents/" + OWNED + "', {method: 'PUT', "
    "headers: {'Content-Type': 'application/json', 'X-XSRFToken': "
    "(document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || ''}, "
    "body: JSON.stringify({type: 'file', format: 'text', content: 'owned'})})</script>\n\n"
    '<img src="missing.png" onerror="alert(1)">'
)


def nbgrader(*args, cwd, env):
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def course_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("formgrader")
    course = home / "course"
    shutil.copytree(ROOT / "solutions" / SET, course / "solutions" / SET)
    config = (ROOT / "nbgrader_config.py").read_text()
    config += f"\nc.CourseDirectory.root = {str(course)!r}\nc.Exchange.root = {str(home)!r}\n"
    (course / "nbgrader_config.py").write_text(config)
    shutil.copytree(ROOT / "data", course / "data")
    env = server_env(home, VENV_BIN)
    nbgrader("generate_assignment", SET, cwd=course, env=env)
    submitted = reference_submission(SET, course / "submitted" / STUDENT / SET)
    notebook = nbformat.read(submitted / f"{SET}.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "q5-answer":
            cell.source = SCRIPT
    nbformat.write(notebook, submitted / f"{SET}.ipynb")
    graded = subprocess.run(
        [str(VENV_BIN / "malicourse"), "grade", SET, "--course", str(course), "--jobs", "1"],
        cwd=course, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "Status: 1 graded" in graded.stdout, graded.stdout

    port = free_port()
    command = [str(VENV_BIN / "jupyter"), "lab", "--no-browser", f"--port={port}"]
    command += ["--allow-root"] if os.getuid() == 0 else []
    log = ARTIFACTS / "formgrader-lab.log"
    server = Server([*command, *lab_options(home)], course, env, port, log)
    server.root = course
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


@pytest.fixture
def course_page(course_server, page, request):
    yield page
    tidy_up(request, page, course_server)


def test_formgrader_lists_the_assignment_and_a_submission_to_grade(course_server, course_page):
    page = course_page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{course_server.base}/lab?token={TOKEN}&reset")
    menu(page, "Nbgrader", "Formgrader")
    grader = page.frame_locator(".jp-MainAreaWidget iframe")

    # Manage Assignments: the set, with one submission.
    row = grader.locator("#main-table tr", has=grader.locator("td.name", has_text=SET))
    expect(row.locator("td.num-submissions")).to_have_text("1", timeout=30_000)

    # Manage Submissions: the student's work, autograded, waiting for the written answer.
    row.locator("td.num-submissions a").click()
    student = grader.locator("tr", has=grader.locator("td.student-id", has_text=STUDENT))
    expect(student.locator("td.status")).to_have_text("needs manual grading", timeout=30_000)
    expect(student.locator("td.score")).to_have_text("10 / 14")

    # Manual Grading > set > notebook > the submission: the written answer and a score box.
    grader.get_by_role("link", name="Manual Grading").click()
    grader.locator("td a", has_text=SET).click()
    notebook = grader.locator("tr", has=grader.locator("td.name", has_text=SET))
    expect(notebook.locator("td.needs-manual-grade .glyphicon-ok")).to_be_visible()
    notebook.locator("td.name a").click()
    submission = grader.locator("tr", has=grader.locator("td.name", has_text="Submission #1"))
    expect(submission.locator("td.needs-manual-grade .glyphicon-ok")).to_be_visible(timeout=30_000)
    submission.locator("td.name a", has_text="Submission #1").click()
    # nbgrader names each score box after its cell; q5 is the hand-marked written answer.
    written = grader.locator("input.score#q5-answer")
    expect(written).to_be_visible(timeout=30_000)
    expect(written).to_have_value("")
    written.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "formgrader.png")

    # The written answer's script is shown as text; it ran nothing and wrote nothing.
    expect(grader.get_by_text("My written answer.")).to_be_visible()
    expect(grader.get_by_text("fetch('/api/contents/", exact=False).first).to_be_visible()
    page.wait_for_timeout(2000)
    assert dialogs == []
    assert not (course_server.root / OWNED).exists()
    listing = page.request.get(f"{course_server.base}/api/contents?token={TOKEN}")
    assert OWNED not in json.dumps(listing.json())
