"""A student works through exercise set 01 in JupyterLab, in a scratch copy of exercises/.

A wrong answer gets a one-line hint from its check cell, not a traceback; an answer given
with a widget is saved to the answer book and is still there after a kernel restart, closing
the notebook and running it again.
"""

import json
import shutil

import pytest
from conftest import ROOT

from .conftest import ARTIFACTS
from .lab import STDERR, Notebook, expect

pytestmark = [pytest.mark.xdist_group("browser"), pytest.mark.slow]

SET = "01_intervention"
QUESTION = "q4_minusma_above_10000"
ANSWERS = {
    # Answers of the right form (the format checks pass; the hidden tests would not).
    "q2-answer": 'longest_ended = pd.DataFrame({"operation_id": list("abc"), "days": [3, 2, 1]})',
    "q3-answer": "def present_on(operations, day):\n    return []",
}


@pytest.fixture
def exercise(lab):
    """A copy of the student version inside the folder the server shows, never exercises/."""
    work = ARTIFACTS / "work" / SET
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(ROOT / "exercises" / SET, work)
    return work / f"{SET}.ipynb"


def cell_index(path, grade_id):
    cells = json.loads(path.read_text())["cells"]
    return next(i for i, c in enumerate(cells) if c["metadata"]["nbgrader"]["grade_id"] == grade_id)


def test_wrong_answer_gets_a_hint_and_a_widget_answer_survives_a_restart(lab, lab_page, exercise):
    assert exercise.is_relative_to(lab.root), (
        f"`make lab` serves {lab.root} only: a student cannot open exercises/ (or a copy of "
        "it) from JupyterLab's file browser"
    )
    committed = {p.name: p.read_bytes() for p in (ROOT / "exercises" / SET).iterdir()}
    nb = Notebook(lab_page, lab, exercise).open()
    q1, q1_check = cell_index(exercise, "q1-answer"), cell_index(exercise, "q1-check")

    # A wrong kind of answer: the check under it says what to look at, in one line.
    nb.type_code(q1, 'started_2013 = "three"')
    for grade_id, code in ANSWERS.items():
        nb.type_code(cell_index(exercise, grade_id), code)
    nb.run_all()
    check_output = nb.cells.nth(q1_check).locator(STDERR)
    expect(check_output).to_have_text(
        "Hint: started_2013 should be a single number, not a str.", use_inner_text=True
    )
    assert "Traceback" not in check_output.inner_text()

    # Fixed: the run now stops only at question 4, whose answer is not submitted yet.
    nb.type_code(q1, "started_2013 = 3")
    nb.run_all()
    box = nb.cell_with_code("widgets.AnswerBox(")
    expect(box.locator(".widget-html-content")).to_have_text("Not submitted yet.")

    box.locator("select").select_option(label="2014")
    box.get_by_role("button", name="Submit").click()
    expect(box.locator(".widget-html-content")).to_contain_text("Submitted: 2014")
    saved = exercise.with_name(f"{SET}.answers.json")
    assert json.loads(saved.read_text())[QUESTION]["answer"] == "2014"

    # Restart the kernel, close the notebook, open it again and run everything.
    nb.save()
    nb.restart_kernel()
    nb.close()
    nb.open()
    prompts = nb.run_all()
    assert prompts[0] == "[1]:", f"the kernel was not restarted: {prompts}"
    nb.assert_ran_cleanly(prompts)
    box = nb.cell_with_code("widgets.AnswerBox(")
    expect(box.locator(".widget-html-content")).to_contain_text("Submitted: 2014")
    assert box.locator("select option:checked").text_content() == "2014"
    expect(nb.cell_with_code('AnswerBook("01_intervention").get(')).to_contain_text(
        "Format check passed: your answer is saved."
    )
    assert json.loads(saved.read_text())[QUESTION]["answer"] == "2014"

    assert {p.name: p.read_bytes() for p in (ROOT / "exercises" / SET).iterdir()} == committed
