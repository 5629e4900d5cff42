"""Hints, self-check questions and the answer book."""

import pytest

from malicourse.answers import AnswerBook
from malicourse.feedback import Question


def test_question_feedback_for_each_choice():
    question = Question("Which?", {"A": "because A.", "B": "B explains itself."}, correct="A")
    assert question.check(None) == (False, "Choose an answer first.")
    assert question.check("A") == (True, "Right. because A.")
    question.choices.value = "B"
    question.button.click()
    assert "Not quite. B explains itself." in question.reply.value


def test_question_refuses_a_correct_answer_that_is_not_an_option():
    with pytest.raises(ValueError, match="not one of the options"):
        Question("Which?", {"A": "a"}, correct="C")


def test_answer_book_survives_a_new_session(tmp_path):
    AnswerBook("lesson", tmp_path).save("q1", "partly supported")
    again = AnswerBook("lesson", tmp_path)
    assert again.get("q1") == "partly supported"
    again.save("q2", ["a", "b"])
    assert AnswerBook("lesson", tmp_path).all().keys() == {"q1", "q2"}
    assert AnswerBook("lesson", tmp_path).get("missing", "none") == "none"
    # Graders (another user on a hub, the exchange) must be able to read it.
    assert (tmp_path / "lesson.answers.json").stat().st_mode & 0o777 == 0o644


def test_a_damaged_answer_book_is_reported_not_overwritten(tmp_path):
    path = tmp_path / "lesson.answers.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="damaged"):
        AnswerBook("lesson", tmp_path).save("q1", "x")
    assert path.read_text() == "{not json"


def test_in_a_kernel_errors_stay_errors_but_show_as_hints(tmp_path):
    # nbgrader scores a test cell by its error output: a hint must still be an error.
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    notebook = new_notebook(
        cells=[
            new_code_cell("from malicourse.lesson import start\ndata = start()"),
            new_code_cell("from malicourse import checks\nchecks.number('3', name='total')"),
            new_code_cell("x = 1\nhidden_expected = 42\ny = x / 0"),
            new_code_cell("totl"),
            new_code_cell("# YOUR CODE HERE\nraise NotImplementedError()"),
        ]
    )
    NotebookClient(notebook, kernel_name="python3", allow_errors=True).execute()
    outputs = [cell.outputs for cell in notebook.cells[1:]]
    assert all(len(out) == 1 and out[0].output_type == "error" for out in outputs)
    assert outputs[0][0].traceback == ["Hint: total should be a single number, not a str."]
    assert outputs[1][0].traceback == ["ZeroDivisionError: division by zero (line 3 of this cell)"]
    assert "hidden_expected" not in str(outputs[1][0])  # no source lines in what students see
    assert "Run All Above" in outputs[2][0].traceback[1]
    # An unanswered cell says so where it is, not only in the check below it.
    assert "delete the line `raise NotImplementedError()`" in outputs[3][0].traceback[1]
