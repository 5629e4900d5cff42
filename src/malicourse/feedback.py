"""Feedback for learners: hints instead of tracebacks, and questions that answer back."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import ipywidgets as W

from .analysis import CourseInputError
from .checks import Hint
from .data import DataError

HINTED = (CourseInputError, DataError, Hint)


def short_traceback(kind, value, tb=None) -> list[str]:
    """One or two lines a learner can act on, in place of a full traceback.

    No source lines are shown: a test cell's hidden part must not appear in the output that
    feedback shows to students, and the learner has their own cell in front of them anyway.
    """
    if isinstance(value, DataError):
        return [f"Data problem: {value}"]
    if isinstance(value, HINTED):
        return [f"Hint: {value}"]
    first = f"{kind.__name__}: {value}"
    if isinstance(value, NotImplementedError):
        return [
            "NotImplementedError: this answer is not written yet.",
            "Hint: delete the line `raise NotImplementedError()` and write your answer in its "
            "place; the checks below it need the names this cell defines.",
        ]
    if isinstance(value, NameError):
        return [
            first,
            "Hint: run the cells above this one first (Run > Run All Above Selected "
            "Cell), and check the spelling.",
        ]
    if isinstance(value, KeyError):
        return [
            first,
            "Hint: that name is not a column or label here; print the table's "
            ".columns to see the names it has.",
        ]
    line = _line_in_cell(tb)
    return [first + (f" (line {line} of this cell)" if line else "")]


def _line_in_cell(tb) -> int | None:
    """The line of the notebook cell (not of library code) where the error passed last."""
    line = None
    while tb is not None:
        if (
            tb.tb_frame.f_code.co_filename.startswith("/tmp/ipykernel_")
            or "<ipython-input" in tb.tb_frame.f_code.co_filename
        ):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def show_hints_not_tracebacks() -> None:
    """In a notebook, show errors as short hints, not tracebacks.

    The error is still reported as an error (the cell fails, and grading sees the failure);
    only what is printed changes.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return

    def report(shell, kind, value, tb, tb_offset=None):
        lines = short_traceback(kind, value, tb)
        # _showtraceback is the hook ipykernel uses to send an error output: the cell still
        # fails for the notebook, the tests and nbgrader, which scores a cell by its error output.
        shell._showtraceback(kind, value, lines)
        return lines

    shell.set_custom_exc((Exception,), report)


@dataclass
class Question:
    """A multiple-choice 'check your understanding' question with feedback for every option.

    ``options`` maps each answer to the feedback shown when it is chosen; ``correct`` names
    the right one. The feedback explains, so a wrong choice teaches rather than just scores.
    """

    prompt: str
    options: dict[str, str]
    correct: str
    choices: W.RadioButtons = field(init=False)
    button: W.Button = field(init=False)
    reply: W.HTML = field(init=False)

    def __post_init__(self):
        if self.correct not in self.options:
            raise ValueError(f"the correct answer {self.correct!r} is not one of the options")
        self.choices = W.RadioButtons(
            options=list(self.options), value=None, layout=W.Layout(width="auto")
        )
        self.button = W.Button(description="Check my answer", button_style="primary")
        self.reply = W.HTML()
        self.button.on_click(lambda _: self.show(self.choices.value))

    def check(self, choice: str | None) -> tuple[bool, str]:
        if choice is None:
            return False, "Choose an answer first."
        verdict = "Right." if choice == self.correct else "Not quite."
        return choice == self.correct, f"{verdict} {self.options[choice]}"

    def show(self, choice: str | None) -> None:
        right, message = self.check(choice)
        colour = "#006d4e" if right else "#a33a00"
        self.reply.value = f'<p style="color:{colour}">{html.escape(message)}</p>'

    def _ipython_display_(self):
        from IPython.display import display

        display(
            W.VBox(
                [
                    W.HTML(f"<b>{html.escape(self.prompt)}</b>"),
                    self.choices,
                    self.button,
                    self.reply,
                ]
            )
        )
