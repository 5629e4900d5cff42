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


def test_a_damaged_answer_book_is_reported_not_overwritten(tmp_path):
    path = tmp_path / "lesson.answers.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="damaged"):
        AnswerBook("lesson", tmp_path).save("q1", "x")
    assert path.read_text() == "{not json"
